-- Routed clicks (one row per 302 to a destination), written only by the click pipeline.
--
-- Sort key: every report filters by workspace and a time range first, then often by
-- campaign, so (workspace_id, hour, campaign_id, ts) lets ClickHouse prune granules for
-- both workspace-wide and per-campaign reports. Click lookups by click_id (conversions)
-- use the bloom-filter skip index instead of the sort key.
--
-- non_replicated_deduplication_window: the pipeline inserts each spool range with
-- insert_deduplication_token = "<spool id>:<segment>:<start>-<end>"; a retried or
-- replayed range is dropped by ClickHouse instead of being stored twice.
--
-- ip is a String, not IPv6: a malformed value must never make a whole batch unparseable.
CREATE DATABASE IF NOT EXISTS {{database}};

CREATE TABLE IF NOT EXISTS {{database}}.clicks
(
    click_id        String,
    ts              DateTime64(3, 'UTC'),
    workspace_id    LowCardinality(String),
    campaign_id     LowCardinality(String),
    stream_id       LowCardinality(String),
    destination_id  LowCardinality(String),
    source_id       LowCardinality(String),
    is_unique       UInt8,
    is_bot          UInt8,
    ip              String,
    country         LowCardinality(String),
    language        LowCardinality(String),
    device          LowCardinality(String),
    os              LowCardinality(String),
    browser         LowCardinality(String),
    user_agent      String CODEC(ZSTD(3)),
    referrer        String CODEC(ZSTD(3)),
    user_key        String,
    cost_micros     Int64,
    currency        LowCardinality(String),
    external_id     String,
    sub1            String,
    sub2            String,
    sub3            String,
    sub4            String,
    sub5            String,
    sub6            String,
    sub7            String,
    sub8            String,
    sub9            String,
    sub10           String,
    utm_source      String,
    utm_medium      String,
    utm_campaign    String,
    utm_term        String,
    utm_content     String,
    source          String,
    destination_url String CODEC(ZSTD(3)),
    INDEX idx_click_id click_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (workspace_id, toStartOfHour(ts), campaign_id, ts)
SETTINGS non_replicated_deduplication_window = 10000;
