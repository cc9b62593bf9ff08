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
 * 5. **webhooks**: BENCH_ORDERS orders, each paid by one signed Revolut `TransactionCreated`
 *    (signed in advance by the payments simulator), POSTed to `/api/v1/webhooks/revolut` of
 *    the real API app over loopback HTTP by BENCH_WRITERS keep-alive connections, with 20 %
 *    of the deliveries exact duplicates of earlier ones (some still in flight); then every
 *    order must be paid once and the workspace hold exactly the sum of their visits.
 *
 * CPU per operation is the whole machine's busy time (from /proc/stat, so it includes the
 * PostgreSQL server's processes) divided by the operations: the machines are noisy 2-core
 * boxes, so compare within one run. Prints a table, writes bench/results/ledger.json; exit
 * code 1 on any invariant violation.
 * Env: BENCH_DURATION (s per phase, default 8), BENCH_WRITERS (32), BENCH_ORDERS (2000),
 * TEST_PG_URL (admin URL of the local PostgreSQL; default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { sql } from 'drizzle-orm'
import http from 'node:http'
import {
  ledgerAccounts as acct,
  billingRoutes,
  billingSettingsFromEnv,
  createBillingService,
  createLedgerRepository,
  webhookRoutes,
} from '../src/modules/billing/index.ts'
import type { Db } from '../src/platform/db/client.ts'
import { startPaymentsSimulator } from '../src/simulators/payments/payments.simulator.ts'
import { createWorkspaceWithKey, testApiApp, testConfig } from '../test/helpers/auth.ts'
import { throwawayDb } from '../test/helpers/pg.ts'
import { ROOT } from '../test/helpers/server.ts'

const DURATION_S = Number(process.env.BENCH_DURATION ?? 8)
const WRITERS = Number(process.env.BENCH_WRITERS ?? 32)
const NOW = new Date('2026-12-06T12:00:00Z')
const ORDERS = Number(process.env.BENCH_ORDERS ?? 2000)
const REVOLUT_SECRET = 'bench-revolut-secret'

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

/** Webhook events per second with 20 % duplicates, through the real API app; checks exactly-once. */
async function webhookPhase(db: Db) {
  const config = testConfig({ REVOLUT_WEBHOOK_SECRET: REVOLUT_SECRET })
  const service = createBillingService({
    db,
    clock: { now: () => new Date() },
    settings: billingSettingsFromEnv(config),
  })
  const app = await testApiApp(db, {
    config,
    plugins: [{ plugin: billingRoutes({ service }) }, { plugin: webhookRoutes({ service }) }],
  })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const sim = await startPaymentsSimulator({
    target: `${base}/api/v1/webhooks`,
    stripeSecret: 'unused',
    revolutSecret: REVOLUT_SECRET,
  })
  const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS })
  try {
    const c = await createWorkspaceWithKey(db)
    const bodies: { body: string; headers: Record<string, string> }[] = []
    let expectedVisits = 0
    for (let i = 0; i < ORDERS; i++) {
      const o = await service.createOrder({
        workspaceId: c.workspaceId,
        userId: c.userId,
        amountMinor: 50_000,
      })
      expectedVisits += o.visits
      const p = await sim.pay('revolut', { reference: o.reference, amountMinor: 50_000 }, { send: false })
      bodies.push({ body: p.webhooks[0]!.body, headers: p.webhooks[0]!.headers })
    }
    // 20 % duplicates: each slot after the first few repeats a random earlier delivery.
    let seed = 7
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const stream: number[] = []
    let next = 0
    while (next < bodies.length) {
      if (next > WRITERS && rnd() < 0.2) stream.push(Math.floor(rnd() * next))
      else stream.push(next++)
    }
    const url = new URL(`${base}/api/v1/webhooks/revolut`)
    const send = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const b = bodies[i]!
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            agent,
            headers: {
              ...b.headers,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(b.body),
            },
          },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end(b.body)
      })
    const lat: number[] = []
    const statuses = new Map<number, number>()
    let cursor = 0
    const cpu0 = cpuTicks()
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (cursor < stream.length) {
          const i = stream[cursor++]!
          const s = performance.now()
          const st = await send(i)
          lat.push(performance.now() - s)
          statuses.set(st, (statuses.get(st) ?? 0) + 1)
        }
      }),
    )
    const elapsed = (performance.now() - t0) / 1000
    const cpu1 = cpuTicks()
    lat.sort((a, b) => a - b)
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0
    const available = Number(await service.ledger.balance(acct.visitsAvailable(c.workspaceId)))
    const paid = (
      (await db.execute(
        sql`SELECT count(*)::int AS n FROM billing_orders WHERE workspace_id = ${c.workspaceId} AND status = 'paid'`,
      )) as unknown as { rows: { n: number }[] }
    ).rows[0]!.n
    const r2 = (x: number) => Math.round(x * 100) / 100
    return {
      events_per_s: Math.round(stream.length / elapsed),
      deliveries: stream.length,
      duplicates: stream.length - bodies.length,
      p50_ms: r2(q(0.5)),
      p99_ms: r2(q(0.99)),
      cpu_ms_per_event: r2(((cpu1.busy - cpu0.busy) * TICK_MS) / stream.length),
      http_statuses: Object.fromEntries(statuses),
      orders: bodies.length,
      orders_paid: paid,
      visits_expected: expectedVisits,
      visits_credited: available,
      exactly_once: paid === bodies.length && available === expectedVisits,
    }
  } finally {
    agent.destroy()
    await sim.stop()
    await app.close()
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

    const webhooks = await webhookPhase(db)
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
      webhooks,
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
  for (const [kind, r] of Object.entries(results)) {
    const w = r.webhooks
    rows[`${kind}: webhooks (20 % duplicates)`] = {
      'ops/s': w.events_per_s,
      'p50 ms': w.p50_ms,
      'p99 ms': w.p99_ms,
      'CPU ms/op': w.cpu_ms_per_event,
      errors: w.deliveries - (w.http_statuses[200] ?? 0),
    }
  }
  console.table(rows)
  for (const [kind, r] of Object.entries(results))
    console.log(
      `${kind}: postings/baseline ${r.ratio_postings_to_baseline} · ${r.postings_total} postings, ` +
        `${r.transfers_total} transfers · invariant violations ${r.invariant_violations} · webhooks: ` +
        `${r.webhooks.orders_paid}/${r.webhooks.orders} orders paid once, visits ${r.webhooks.visits_credited} of ` +
        `${r.webhooks.visits_expected} (exactly once: ${r.webhooks.exactly_once})`,
    )
  const out = {
    bench: 'ledger',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    settings: { duration_s: DURATION_S, writers: WRITERS, webhook_orders: ORDERS },
    ...results,
  }
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true })
  writeFileSync(path.join(ROOT, 'bench/results/ledger.json'), `${JSON.stringify(out, null, 2)}\n`)
  if (Object.values(results).some((r) => r.invariant_violations > 0 || !r.webhooks.exactly_once))
    process.exitCode = 1
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
