/**
 * Child process for conversions.batch.processes.test.ts: a second postback committer in its
 * own process — its own event loop, its own `pg` pool, so its batches run truly in parallel
 * with the parent's, in other backends — driven over the IPC channel (`fork`), messages in
 * conversions.interleavings.ts (`toChild` / `fromChild`):
 *
 *   child → ready                      (pool open, network loaded)
 *   parent → arm {run, options, clicks, items}   child → armed {run}
 *   parent → go {run}                  child applies the items (the undelayed ones in the same
 *                                      turn, so they batch), → done {run, answers, stats}
 *   parent → exit                      child closes its pool and disconnects (exit code 0)
 *
 * It drives the committer (`createPostbackCommitter`) directly, not the whole service: the
 * service needs a ClickHouse handle, and the embedded chDB binds one data directory per
 * process (no ClickHouse server here) — and the service's `stop()` would sync the outbox
 * into that second store, out of the parent's sight. The parent's service syncs every
 * event, the child's included. The postback is parsed by the service's own parser
 * (`postbackFields`, `parsePostback`), and admitted like the service does once the network,
 * secret and click are known.
 *
 * argv: <databaseUrl> <networkId>. Any failure: the message on stderr, exit code 1.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ClickInfo } from '../src/modules/conversions/click.lookup.ts'
import { destinationDefaults } from '../src/modules/conversions/conversions.core.ts'
import { loadNetwork } from '../src/modules/conversions/conversions.repository.ts'
import {
  createPostbackCommitter,
  type PostbackCommitter,
  type PostbackToApply,
} from '../src/modules/conversions/postback.committer.ts'
import { parsePostback, postbackFields } from '../src/modules/conversions/postback.parse.ts'
import { systemClock } from '../src/platform/clock.ts'
import { openDb } from '../src/platform/db/client.ts'
import { type FromChild, toChild } from './conversions.interleavings.ts'

const [databaseUrl, networkId] = process.argv.slice(2) as [string, string]
const send = (m: FromChild) => process.send!(m)
const fail = (err: unknown) => {
  process.stderr.write(`committer child: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
}
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)

const db = await openDb({ databaseUrl, pgDir: '', onIdleError: fail })
const net = await loadNetwork(db.db, networkId)
if (!net) throw new Error(`network ${networkId} not found`)

let armed:
  | {
      run: number
      committer: PostbackCommitter
      items: { i: number; delayMs: number; p?: PostbackToApply }[]
    }
  | undefined

process.on('message', (raw) => {
  const m = toChild.parse(raw)
  if (m.type === 'arm') {
    const clicks = new Map<string, ClickInfo>(m.clicks.map((c) => [c.click_id, c]))
    armed = {
      run: m.run,
      committer: createPostbackCommitter({ db: db.db, ...m.options }),
      items: m.items.map(({ i, params, delayMs }) => {
        const rawQuery = new URLSearchParams(params).toString()
        const parsed = parsePostback(postbackFields(rawQuery, undefined, undefined).fields, net.settings)
        if (!parsed.ok) return { i, delayMs }
        const pb = parsed.postback
        const click = clicks.get(pb.clickId)
        if (!click) throw new Error(`click ${pb.clickId} not sent`)
        // Built (and timed) at `arm`, so the `go` turn only queues.
        const now = systemClock.now()
        return {
          i,
          delayMs,
          p: {
            net,
            postback: pb,
            click,
            // No destination with a default payout in these scenarios (the service reads it here).
            defaults: destinationDefaults(undefined),
            now: now.getTime(),
            log: {
              id: randomUUID(),
              receivedAt: now,
              workspaceId: net.workspaceId,
              networkId: net.id,
              method: 'GET',
              query: rawQuery,
              body: '',
              ip: '10.0.0.2',
              outcome: 'error',
              httpStatus: 500,
              reason: '',
              clickId: pb.clickId,
              transactionId: pb.transactionId,
              status: pb.status,
              payoutMicros: pb.payoutMicros ?? null,
            },
          },
        }
      }),
    }
    send({ type: 'armed', run: m.run })
    return
  }
  if (m.type === 'go') {
    const a = armed
    if (!a || a.run !== m.run) throw new Error(`go for run ${m.run}, armed ${a?.run}`)
    armed = undefined
    // The undelayed items are queued in this turn: they batch like requests parsed in one turn do.
    const applyOne = async ({ i, p }: (typeof a.items)[number]) => {
      if (!p) return { i, outcome: 'malformed' as const }
      const q = a.committer.apply(p)
      if (!q) return { i, outcome: 'error' as const, error: 'queue full' }
      try {
        return { i, outcome: (await q).outcome }
      } catch (err) {
        return { i, outcome: 'error' as const, error: String(err) }
      }
    }
    void Promise.all(
      a.items.map((item) =>
        item.delayMs === 0 ? applyOne(item) : sleep(item.delayMs).then(() => applyOne(item)),
      ),
    ).then((answers) => {
      const { batches, maxBatch, retries, fallbacks } = a.committer.stats()
      send({ type: 'done', run: m.run, answers, stats: { batches, maxBatch, retries, fallbacks } })
    }, fail)
    return
  }
  // exit: nothing is in flight (the parent waits for `done`); close the pool and let the
  // event loop empty once the channel is closed.
  void db.close().then(() => process.disconnect(), fail)
})

send({ type: 'ready' })
