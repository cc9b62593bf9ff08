-- Visits of the visitor engine (one row per settled visit), written by the click pipeline
-- (event type `visit`, see src/modules/analytics/visits.ts) from the engine's hits.
--
-- Sort key: every report is one project of one workspace over a time range, so
-- (workspace_id, project_id, ts) prunes to exactly that. `ts` is the visit's scheduled
-- start (the open model's arrival time); `started_at` the actual launch, `settled_at` when
-- the page and its subresources were done (or the visit failed).
--
-- `status` is 0 and `latency_ms` 0 when the site never answered (`answered` = 0; then
-- `error` names why: dns, connect, tls, timeout, reset, blocked, redirects, other). An
-- answered visit may still carry an error (its body or a subresource failed later).
-- `charged` = 1 when the visit cost a credit (answered).
--
-- non_replicated_deduplication_window: the pipeline inserts each spool range with
-- insert_deduplication_token = "<spool id>:<segment>:<start>-<end>", so a retried or
-- replayed range is dropped instead of stored twice. No TTL, like `clicks`.
CREATE TABLE IF NOT EXISTS {{database}}.visits
(
    visit_id     String,
    ts           DateTime64(3, 'UTC'),
    started_at   DateTime64(3, 'UTC'),
    settled_at   DateTime64(3, 'UTC'),
    workspace_id LowCardinality(String),
    project_id   LowCardinality(String),
    run_id       String,
    url          String CODEC(ZSTD(3)),
    country      LowCardinality(String),
    device       LowCardinality(String),
    mode         LowCardinality(String),
    answered     UInt8,
    status       UInt16,
    latency_ms   Float64,
    bytes        UInt64,
    error        LowCardinality(String),
    charged      UInt8
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (workspace_id, project_id, ts)
SETTINGS non_replicated_deduplication_window = 10000;
