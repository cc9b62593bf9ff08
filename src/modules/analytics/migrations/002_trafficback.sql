-- Requests that fell through to trafficback (or a 404 past the hop limit), written only by
-- the click pipeline with the same deduplication protocol as clicks (see 001_clicks.sql).
-- campaign_id is '' when the alias was unknown.
CREATE TABLE IF NOT EXISTS {{database}}.trafficback
(
    click_id     String,
    ts           DateTime64(3, 'UTC'),
    workspace_id LowCardinality(String),
    campaign_id  LowCardinality(String),
    reason       LowCardinality(String),
    target_type  LowCardinality(String),
    target       String,
    hops         UInt8,
    is_bot       UInt8,
    ip           String,
    country      LowCardinality(String),
    device       LowCardinality(String),
    user_agent   String CODEC(ZSTD(3)),
    referrer     String CODEC(ZSTD(3)),
    source       String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (workspace_id, toStartOfHour(ts), campaign_id, ts)
SETTINGS non_replicated_deduplication_window = 10000;
