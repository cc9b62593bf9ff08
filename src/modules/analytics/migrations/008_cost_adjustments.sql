-- Cost updates (issue 17): the real cost of a campaign (optionally of one sub ID value)
-- over a time range, spread over that range's clicks. Written only by
-- `queries/cost-adjust.ts` (the routing module's cost-update routes call it).
--
-- `lander_id` and `os_version` on clicks: the landers work adds them in 007 with the same
-- idempotent statements; repeated here so this file also works on its own.
ALTER TABLE {{database}}.clicks ADD COLUMN IF NOT EXISTS lander_id LowCardinality(String) DEFAULT '';

ALTER TABLE {{database}}.clicks ADD COLUMN IF NOT EXISTS os_version LowCardinality(String) DEFAULT '';

-- Append-only deltas, never updated or deleted. One row per click per apply/revert of an
-- update: `delta_micros` is added to the click's `cost_micros` by every report, so a
-- click's effective cost = cost_micros + sum(delta_micros of its rows).
--   kind 'apply':  target_micros = the click's share of the update's total,
--                  delta = target − the click's effective cost before the update.
--   kind 'revert': target_micros = what the click goes back to (the newest other applied
--                  update's share, else base_micros), delta = target − effective cost.
-- The report dimension columns are copied from the click, so every grouping and filter
-- of the reports applies to the adjustments as it does to the clicks.
-- non_replicated_deduplication_window: each apply/revert is one INSERT … SELECT with
-- insert_deduplication_token = 'cost:<update id>:apply|revert'.
CREATE TABLE IF NOT EXISTS {{database}}.cost_adjustments
(
    update_id      String,
    kind           LowCardinality(String),
    created_at     DateTime64(3, 'UTC'),
    click_id       String,
    ts             DateTime64(3, 'UTC'),
    workspace_id   LowCardinality(String),
    campaign_id    LowCardinality(String),
    stream_id      LowCardinality(String),
    destination_id LowCardinality(String),
    source_id      LowCardinality(String),
    lander_id      LowCardinality(String),
    country        LowCardinality(String),
    language       LowCardinality(String),
    device         LowCardinality(String),
    os             LowCardinality(String),
    os_version     LowCardinality(String),
    browser        LowCardinality(String),
    external_id    String,
    sub1           String,
    sub2           String,
    sub3           String,
    sub4           String,
    sub5           String,
    sub6           String,
    sub7           String,
    sub8           String,
    sub9           String,
    sub10          String,
    utm_source     String,
    utm_medium     String,
    utm_campaign   String,
    utm_term       String,
    utm_content    String,
    base_micros    Int64,
    target_micros  Int64,
    delta_micros   Int64,
    INDEX idx_update_id update_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_click_id click_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (workspace_id, toStartOfHour(ts), campaign_id, ts)
SETTINGS non_replicated_deduplication_window = 10000;

-- The rollups of 005 get the deltas too (clicks 0, cost = delta), so rollup readers see
-- the corrected cost. Bucketed by the click's time, like the click itself.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.cost_adjustments_route_15m_mv
TO {{database}}.clicks_route_15m
AS SELECT
    workspace_id,
    toDateTime(toStartOfFifteenMinutes(ts), 'UTC') AS bucket,
    campaign_id,
    stream_id,
    destination_id,
    source_id,
    toUInt64(0) AS clicks,
    toUInt64(0) AS unique_clicks,
    toUInt64(0) AS bots,
    sum(delta_micros) AS cost_micros
FROM {{database}}.cost_adjustments
GROUP BY workspace_id, bucket, campaign_id, stream_id, destination_id, source_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.cost_adjustments_geo_15m_mv
TO {{database}}.clicks_geo_15m
AS SELECT
    workspace_id,
    toDateTime(toStartOfFifteenMinutes(ts), 'UTC') AS bucket,
    campaign_id,
    source_id,
    country,
    device,
    toUInt64(0) AS clicks,
    toUInt64(0) AS unique_clicks,
    toUInt64(0) AS bots,
    sum(delta_micros) AS cost_micros
FROM {{database}}.cost_adjustments
GROUP BY workspace_id, bucket, campaign_id, source_id, country, device;
