-- Failures of the click pipeline (insert errors, spool write errors, torn or corrupt spool
-- lines), one row per failure episode. Not workspace-scoped: a batch mixes workspaces.
-- `sample` may hold visitor data (IP, user agent) and is shown to admins only.
-- No deduplication window here: two identical error rows are two real failures.
CREATE TABLE IF NOT EXISTS {{database}}.ingestion_errors
(
    ts       DateTime64(3, 'UTC'),
    node     LowCardinality(String),
    stage    LowCardinality(String),
    error    String,
    events   UInt32,
    attempts UInt32,
    sample   String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY ts
TTL toDateTime(ts) + INTERVAL 90 DAY;
