-- Click rollups: quarter-hour sums of `clicks`, fed by materialized views on insert, so the
-- common reports (overview, series, breakdowns by ids, country, device) read a few hundred
-- thousand rows instead of every click. See REPORTS.md "Rollups".
--
-- * Buckets are 15 minutes (UTC), so every zone in use today (offsets are multiples of
--   15 minutes: +05:30 Kolkata, +05:45 Kathmandu) gets exact local hours and days.
-- * Every metric is a plain sum (clicks, unique clicks = sum of the router's is_unique
--   flag, bots, cost), so SummingMergeTree suffices and partially merged rows are still
--   summed by the readers (they always GROUP BY, never read a row as final).
-- * Two narrow rollups instead of one wide one: keying one table by ids AND country AND
--   device barely compresses (ids × countries × devices per quarter-hour is close to the
--   click count), while each narrow one stays small. Readers pick the first rollup whose
--   columns cover the report's dimensions and filters, else the raw table.
-- * non_replicated_deduplication_window: the click pipeline retries a batch with the same
--   insert_deduplication_token; ClickHouse (deduplicate_blocks_in_dependent_materialized_views,
--   default 1 since 24.x) then also drops the view's block, but only when the target table
--   keeps a deduplication window of its own. Without it a retried batch is counted twice.
CREATE TABLE IF NOT EXISTS {{database}}.clicks_route_15m
(
    workspace_id   LowCardinality(String),
    bucket         DateTime('UTC'),
    campaign_id    LowCardinality(String),
    stream_id      LowCardinality(String),
    destination_id LowCardinality(String),
    source_id      LowCardinality(String),
    clicks         UInt64,
    unique_clicks  UInt64,
    bots           UInt64,
    cost_micros    Int64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, campaign_id, stream_id, destination_id, source_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.clicks_route_15m_mv
TO {{database}}.clicks_route_15m
AS SELECT
    workspace_id,
    toDateTime(toStartOfFifteenMinutes(ts), 'UTC') AS bucket,
    campaign_id,
    stream_id,
    destination_id,
    source_id,
    count() AS clicks,
    sum(is_unique) AS unique_clicks,
    sum(is_bot) AS bots,
    sum(cost_micros) AS cost_micros
FROM {{database}}.clicks
GROUP BY workspace_id, bucket, campaign_id, stream_id, destination_id, source_id;

CREATE TABLE IF NOT EXISTS {{database}}.clicks_geo_15m
(
    workspace_id  LowCardinality(String),
    bucket        DateTime('UTC'),
    campaign_id   LowCardinality(String),
    source_id     LowCardinality(String),
    country       LowCardinality(String),
    device        LowCardinality(String),
    clicks        UInt64,
    unique_clicks UInt64,
    bots          UInt64,
    cost_micros   Int64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, campaign_id, source_id, country, device)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.clicks_geo_15m_mv
TO {{database}}.clicks_geo_15m
AS SELECT
    workspace_id,
    toDateTime(toStartOfFifteenMinutes(ts), 'UTC') AS bucket,
    campaign_id,
    source_id,
    country,
    device,
    count() AS clicks,
    sum(is_unique) AS unique_clicks,
    sum(is_bot) AS bots,
    sum(cost_micros) AS cost_micros
FROM {{database}}.clicks
GROUP BY workspace_id, bucket, campaign_id, source_id, country, device;

-- Rollup watermark: the rollups hold every click with ts >= `since`; readers use the raw
-- table before it. A fresh store (no clicks yet) starts at 0, so the rollups serve all
-- time. A store that already had clicks when this file ran starts two hours after the
-- current hour (clicks already stored are not in the views; clicks still in flight from
-- other nodes carry earlier timestamps), until an operator backfills (REPORTS.md,
-- "Backfill"), which moves `since` back by inserting a newer row (latest `set_at` wins).
CREATE TABLE IF NOT EXISTS {{database}}.rollup_state
(
    name   LowCardinality(String),
    since  DateTime64(3, 'UTC'),
    set_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(set_at)
ORDER BY name;

INSERT INTO {{database}}.rollup_state (name, since, set_at)
SELECT
    'clicks',
    if((SELECT count() FROM {{database}}.clicks) = 0,
       toDateTime64(0, 3, 'UTC'),
       toDateTime64(toStartOfHour(now('UTC')) + INTERVAL 2 HOUR, 3, 'UTC')),
    now64(3, 'UTC')
WHERE (SELECT count() FROM {{database}}.rollup_state WHERE name = 'clicks') = 0;
