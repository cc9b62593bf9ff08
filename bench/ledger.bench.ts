/**
 * bench:ledger — ledger postings per second on one hot account with 32 concurrent writers
 * (the metering pattern: many spenders draw on one workspace's visit credits), on PGlite and
 * on PostgreSQL, then the invariants over everything written (must be 0 violations).
 *
 * Per database, each for BENCH_DURATION seconds with BENCH_WRITERS writers, each writer
 * sending its next request as soon as the previous answered:
 * 1. **baseline**: a transaction that only does `UPDATE bench_hot SET n = n + 1` on one row —
 *    what any design pays that serialises on one row per commit; the ledger is reported as
 *    a ratio of it;
 * 2. **spend postings**: `post()` of a 1-visit `spend` (workspace available → system spent),
 *    each with its own idempotency key, group-committed (the default), then the same with a
 *    transaction per posting (`groupCommit: false`);
 * 3. **hold commits**: `commit()` of 1 visit against one of 32 open holds (one per writer) of
 *    the same workspace (reserved → spent), each with its own key;
 * 4. **replays**: the spend postings again with keys already used (the idempotent path).
 * Webhook events per second (with 20 % duplicates) are measured by the payments part when
 * present (see below).
 *
 * CPU per operation is the whole machine's busy time (from /proc/stat, so it includes the
 * PostgreSQL server's processes) divided by the operations: the machines are noisy 2-core
 * boxes, so compare within one run. Prints a table, writes bench/results/ledger.json; exit
 * code 1 on any invariant violation.
 * Env: BENCH_DURATION (s per phase, default 8), BENCH_WRITERS (32), BENCH_PG_URL (admin URL
 * of the local PostgreSQL; default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { sql } from 'drizzle-orm'
import { ledgerAccounts as acct, createLedgerRepository } from '../src/modules/billing/index.ts'
import type { Db } from '../src/platform/db/client.ts'
import { throwawayDb } from '../test/helpers/pg.ts'
import { ROOT } from '../test/helpers/server.ts'

const DURATION_S = Number(process.env.BENCH_DURATION ?? 8)
const WRITERS = Number(process.env.BENCH_WRITERS ?? 32)
const NOW = new Date('2026-12-06T12:00:00Z')

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function cpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  const idle = (v[3] ?? 0) + (v[4] ?? 0)
  const total = v.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}
const TICK_MS = 10 // USER_HZ = 100 on Linux

interface Phase {
  ops: number
  per_s: number
  p50_ms: number
  p99_ms: number
  cpu_ms_per_op: number
  errors: number
}

/** Runs `op(writer, i)` from WRITERS writers for DURATION_S; latency percentiles and CPU per op. */
async function phase(op: (w: number, i: number) => Promise<unknown>): Promise<Phase> {
  const lat: number[] = []
  let errors = 0
  const stopAt = performance.now() + DURATION_S * 1000
  const cpu0 = cpuTicks()
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; performance.now() < stopAt; i++) {
        const s = performance.now()
        try {
          await op(w, i)
        } catch {
          errors++
        }
        lat.push(performance.now() - s)
      }
    }),
  )
  const elapsed = (performance.now() - t0) / 1000
  const cpu1 = cpuTicks()
  lat.sort((a, b) => a - b)
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0
  const r2 = (x: number) => Math.round(x * 100) / 100
  return {
    ops: lat.length,
    per_s: Math.round(lat.length / elapsed),
    p50_ms: r2(q(0.5)),
    p99_ms: r2(q(0.99)),
    cpu_ms_per_op: r2(((cpu1.busy - cpu0.busy) * TICK_MS) / Math.max(1, lat.length)),
    errors,
  }
}

async function benchOne(kind: 'pglite' | 'postgres') {
  const h = await throwawayDb(kind)
  try {
    const db: Db = h.db
    const L = createLedgerRepository(db)
    const ws = randomUUID()
    await db.execute(sql`CREATE TABLE bench_hot (id int PRIMARY KEY, n bigint NOT NULL)`)
    await db.execute(sql`INSERT INTO bench_hot VALUES (1, 0)`)
    await L.post(
      {
        idempotencyKey: `seed:${ws}`,
        type: 'deposit',
        workspaceId: ws,
        transfers: [{ debit: acct.visitsIssued(), credit: acct.visitsAvailable(ws), amount: 10n ** 12n }],
      },
      NOW,
    )

    const baseline = await phase(() =>
      db.transaction(async (tx) => {
        await tx.execute(sql`UPDATE bench_hot SET n = n + 1 WHERE id = 1`)
      }),
    )
    const spendKey = (w: number, i: number) => `spend:${ws}:${w}:${i}`
    const spend = (w: number, i: number) =>
      L.post(
        {
          idempotencyKey: spendKey(w, i),
          type: 'spend',
          workspaceId: ws,
          transfers: [{ debit: acct.visitsAvailable(ws), credit: acct.visitsSpent(), amount: 1n }],
        },
        NOW,
      )
    let maxSpend = 0
    const postings = await phase(async (w, i) => {
      maxSpend = Math.max(maxSpend, i)
      await spend(w, i)
    })
    const batching = L.stats()
    // The same without group commit: a transaction per posting.
    const single = createLedgerRepository(db, { groupCommit: false })
    const singlePostings = await phase((w, i) =>
      single.post(
        {
          idempotencyKey: `single:${ws}:${w}:${i}`,
          type: 'spend',
          workspaceId: ws,
          transfers: [{ debit: acct.visitsAvailable(ws), credit: acct.visitsSpent(), amount: 1n }],
        },
        NOW,
      ),
    )
    const holds = await Promise.all(
      Array.from({ length: WRITERS }, (_, w) =>
        L.reserve({ workspaceId: ws, amount: 10n ** 9n, idempotencyKey: `bench-hold:${w}` }, NOW),
      ),
    )
    const commits = await phase((w, i) =>
      L.commit({ holdId: holds[w]!.hold.id, amount: 1n, idempotencyKey: `c${i}` }, NOW),
    )
    // Replays of keys already used (each writer walks its own spends again).
    const replays = await phase((w, i) => spend(w, i % Math.max(1, maxSpend)))

    const violations = await L.audit()
    const [counts] = (
      (await db.execute(
        sql`SELECT (SELECT count(*) FROM ledger_postings) AS postings, (SELECT count(*) FROM ledger_transfers) AS transfers`,
      )) as unknown as { rows: { postings: unknown; transfers: unknown }[] }
    ).rows
    return {
      baseline_single_row_tx: baseline,
      spend_postings: postings,
      group_commit: {
        batches: batching.batches,
        postings_per_batch: Math.round((batching.batchedPostings / Math.max(1, batching.batches)) * 10) / 10,
        fallbacks: batching.fallbacks,
      },
      spend_postings_tx_each: singlePostings,
      hold_commits: commits,
      idempotent_replays: replays,
      ratio_postings_to_baseline: Math.round((postings.per_s / Math.max(1, baseline.per_s)) * 100) / 100,
      postings_total: Number(counts?.postings ?? 0),
      transfers_total: Number(counts?.transfers ?? 0),
      invariant_violations: violations.length,
      violations: violations.slice(0, 5),
    }
  } finally {
    await h.drop()
  }
}

async function main() {
  const results: Record<string, Awaited<ReturnType<typeof benchOne>>> = {}
  for (const kind of ['pglite', 'postgres'] as const) {
    console.log(`ledger on ${kind}: ${WRITERS} writers, ${DURATION_S} s per phase…`)
    results[kind] = await benchOne(kind)
  }
  const rows: Record<string, Record<string, number | string>> = {}
  for (const [kind, r] of Object.entries(results)) {
    for (const [name, p] of [
      ['baseline (1-row tx)', r.baseline_single_row_tx],
      ['spend postings (group commit)', r.spend_postings],
      ['spend postings (tx each)', r.spend_postings_tx_each],
      ['hold commits', r.hold_commits],
      ['idempotent replays', r.idempotent_replays],
    ] as const) {
      rows[`${kind}: ${name}`] = {
        'ops/s': p.per_s,
        'p50 ms': p.p50_ms,
        'p99 ms': p.p99_ms,
        'CPU ms/op': p.cpu_ms_per_op,
        errors: p.errors,
      }
    }
  }
  console.table(rows)
  for (const [kind, r] of Object.entries(results))
    console.log(
      `${kind}: postings/baseline ${r.ratio_postings_to_baseline} · ${r.postings_total} postings, ` +
        `${r.transfers_total} transfers · invariant violations ${r.invariant_violations}`,
    )
  const out = {
    bench: 'ledger',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    settings: { duration_s: DURATION_S, writers: WRITERS },
    ...results,
  }
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
  writeFileSync(path.join(ROOT, 'bench/results/ledger.json'), `${JSON.stringify(out, null, 2)}\n`)
  if (Object.values(results).some((r) => r.invariant_violations > 0)) process.exitCode = 1
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
