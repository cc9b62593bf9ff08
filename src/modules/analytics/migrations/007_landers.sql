-- Landers (issue 17): the lander a click was sent to, the OS version of every click and
-- conversion, and the clicks on landers' calls to action.
--
-- clicks.lander_id: the lander the visitor saw first ('' = straight to the offer); then the
-- click's destination_id is '' and the offer is in lander_clicks. Rows stored before this
-- file read '' (straight to the offer), which is what they were.
-- os_version: from the user agent ('17.0'); '' for older rows and unknown agents.
ALTER TABLE {{database}}.clicks ADD COLUMN IF NOT EXISTS lander_id LowCardinality(String) DEFAULT '';
ALTER TABLE {{database}}.clicks ADD COLUMN IF NOT EXISTS os_version LowCardinality(String) DEFAULT '';
ALTER TABLE {{database}}.conversions ADD COLUMN IF NOT EXISTS lander_id LowCardinality(String) DEFAULT '';
ALTER TABLE {{database}}.conversions ADD COLUMN IF NOT EXISTS os_version LowCardinality(String) DEFAULT '';

-- One row per click on a lander's call to action (GET /lp/:alias/click), written only by the
-- click pipeline (event type lander_click), deduplicated per spool range like `clicks`.
-- click_id is the original click's (the visit to the lander); is_unique = 1 on the first
-- CTA click of that visit, so sum(is_unique) counts visitors who clicked through (reports'
-- lp_clicks) however often each clicked. A conversion of a click that went through a lander
-- credits the destination_id of its first row here (conversions README).
CREATE TABLE IF NOT EXISTS {{database}}.lander_clicks
(
    click_id        String,
    ts              DateTime64(3, 'UTC'),
    workspace_id    LowCardinality(String),
    campaign_id     LowCardinality(String),
    stream_id       LowCardinality(String),
    lander_id       LowCardinality(String),
    destination_id  LowCardinality(String),
    source_id       LowCardinality(String),
    is_unique       UInt8,
    country         LowCardinality(String),
    device          LowCardinality(String),
    destination_url String CODEC(ZSTD(3)),
    INDEX idx_click_id click_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (workspace_id, toStartOfHour(ts), campaign_id, ts)
SETTINGS non_replicated_deduplication_window = 10000;
