-- Conversion events (one row per accepted conversion change), written only by the
-- conversions module from its PostgreSQL outbox (`conversion_events`), see
-- src/modules/conversions/README.md.
--
-- Rows are deltas, never updated: `conversions_delta` is +1 on the event that creates a
-- conversion and 0 on a status change; `revenue_delta_micros` is new revenue − old revenue
-- (lead $2 → +2 000 000, then sale $10 → +8 000 000, then rejected → −10 000 000). So
-- sum(conversions_delta) counts conversions and sum(revenue_delta_micros) is the revenue
-- counted now, without FINAL or mutations. Conversions currently in a status S:
-- sum((status = S) - (previous_status = S)).
--
-- `ts` is the time of the change (reports by conversion time); `click_ts` the click's
-- time (reports by click time). Click attributes are copied from the click.
--
-- non_replicated_deduplication_window: each outbox batch is inserted with
-- insert_deduplication_token = "conversions:<batch id>" and re-sent with the same token
-- until its success is recorded, so a retried batch is dropped by ClickHouse instead of
-- being counted twice.
CREATE TABLE IF NOT EXISTS {{database}}.conversions
(
    ts                   DateTime64(3, 'UTC'),
    conversion_id        String,
    seq                  UInt32,
    click_id             String,
    workspace_id         LowCardinality(String),
    network_id           LowCardinality(String),
    campaign_id          LowCardinality(String),
    stream_id            LowCardinality(String),
    destination_id       LowCardinality(String),
    source_id            LowCardinality(String),
    country              LowCardinality(String),
    device               LowCardinality(String),
    os                   LowCardinality(String),
    browser              LowCardinality(String),
    sub1                 String,
    sub2                 String,
    sub3                 String,
    sub4                 String,
    sub5                 String,
    sub6                 String,
    sub7                 String,
    sub8                 String,
    sub9                 String,
    sub10                String,
    external_id          String,
    status               LowCardinality(String),
    previous_status      LowCardinality(String),
    conversions_delta    Int8,
    revenue_delta_micros Int64,
    payout_micros        Int64,
    currency             LowCardinality(String),
    transaction_id       String,
    click_ts             DateTime64(3, 'UTC'),
    INDEX idx_click_id click_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (workspace_id, toStartOfHour(ts), campaign_id, ts)
SETTINGS non_replicated_deduplication_window = 10000;
