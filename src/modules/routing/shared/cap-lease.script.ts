/**
 * The two Lua scripts behind cap leases and their model in TypeScript, side by side: the
 * model is what the property tests run thousands of interleavings against
 * (`cap-lease.core.test.ts`), and the medium test runs the same call sequences through the
 * real scripts and compares (`test/routing.shared-counters.test.ts`). Change both together.
 *
 * One Redis hash per lease key (`leaseKey`):
 * - `used`: budget granted and not given back, all nodes — spent clicks plus budget held.
 *   The only number a grant is checked against: a grant is min(want, cap − used), so the
 *   budget granted never exceeds the cap.
 * - per node n: `o:n` budget Redis believes n holds (granted, not reported spent, not given
 *   back); `e:n` expiry (Redis `TIME` ms); `q:n` the sequence number of n's last sync; `lg:n`,
 *   `ls:n`, `lr:n`, `lx:n` what that sync credited, the spends and give-backs it carried and
 *   whether it told the node its lease was reclaimed (for a retry after a lost reply); `r:n`
 *   marks a reclaimed lease's tombstone.
 *
 * Reclaim: any call first removes the fields of nodes whose `e` has passed and takes their
 * `o` out of `used` — a crashed node's budget comes back after `leaseTtlMs`. The clicks it
 * served after its last sync were in that `o`, so they may be sold again: the crash
 * overshoot, at most the budget the node held at its last acknowledged sync (README).
 */

/**
 * Shared prelude: `now` from Redis TIME, the hash as a table `f`, `used`, and the reclaim of
 * expired nodes other than `self`. Needs `self` and `tomb` (tombstone lifetime, ms) defined.
 * An expired node's `o` is taken out of `used` and its fields stay as a tombstone (`r` = 1,
 * `o` = 0) for `tomb` ms, so that when the node comes back its last sync is still known
 * (its spends are counted exactly once); an expired tombstone is deleted.
 */
const PRELUDE = `
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HGETALL', key)
local f = {}
for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
local used = tonumber(f['used'] or '0')
local reclaimed = 0
local dead = {}
for k, v in pairs(f) do
  if string.sub(k, 1, 2) == 'e:' and tonumber(v) < now then
    local n = string.sub(k, 3)
    if n ~= self then dead[#dead + 1] = n end
  end
end
for _, n in ipairs(dead) do
  if f['r:' .. n] then
    redis.call('HDEL', key, 'o:' .. n, 'e:' .. n, 'q:' .. n, 'lg:' .. n, 'ls:' .. n, 'lr:' .. n, 'lx:' .. n, 'r:' .. n)
    f['o:' .. n] = nil
    f['q:' .. n] = nil
    f['r:' .. n] = nil
  else
    local o = tonumber(f['o:' .. n] or '0')
    used = used - o
    reclaimed = reclaimed + o
    redis.call('HSET', key, 'o:' .. n, 0, 'r:' .. n, 1, 'e:' .. n, now + tomb, 'lg:' .. n, 0)
    f['o:' .. n] = '0'
    f['r:' .. n] = '1'
  end
end
`

/**
 * `tfxLeaseSync` — KEYS[1] lease key; ARGV: node, seq, ackSeq, spent, give, want, cap,
 * leaseTtlMs, keyTtlMs (0 = no key expiry), final ('1'/'0').
 * Returns [granted, lost, reclaimedSelf (0/1), used, reclaimed, outstanding (Σ o, all nodes)].
 *
 * - The node's lease was reclaimed (tombstone `r`), or the node is unknown but `ackSeq > 0`
 *   (the tombstone expired, or Redis lost its data): its reported spends are real clicks,
 *   added to `used` (less what an applied, unacknowledged sync reported already, when the
 *   tombstone still knows it); its give-back is ignored (the reclaim took it);
 *   `reclaimedSelf` tells the node to drop what it still holds.
 * - `q > ackSeq`: the reply of the node's previous sync was lost. Its effects stand; the
 *   spends and give-back sent again (cumulative since the last acknowledged sync) count only
 *   beyond what it applied, and its credit is returned again as `lost`.
 * - `final`: the node drops the lease: lost grants are taken back, `o` goes to 0 (whatever
 *   is left in it counts as spent) and the fields stay as a tombstone until they expire, so a
 *   retried final is recognised.
 */
export const LEASE_SYNC_LUA = `
local self = ARGV[1]
local tomb = tonumber(ARGV[11])
${PRELUDE}
local seq = tonumber(ARGV[2])
local ack = tonumber(ARGV[3])
local spent = tonumber(ARGV[4])
local give = tonumber(ARGV[5])
local want = tonumber(ARGV[6])
local cap = tonumber(ARGV[7])
local ttl = tonumber(ARGV[8])
local keyTtl = tonumber(ARGV[9])
local final = ARGV[10] == '1'
local known = f['q:' .. self] ~= nil
local o = tonumber(f['o:' .. self] or '0')
local lost = 0
local reclaimedSelf = 0
if f['r:' .. self] or ((not known) and ack > 0) then
  reclaimedSelf = 1
  local prevSpent = 0
  if known and tonumber(f['q:' .. self]) > ack then prevSpent = tonumber(f['ls:' .. self] or '0') end
  used = used + spent - prevSpent
  o = 0
  redis.call('HDEL', key, 'r:' .. self)
else
  local prevSpent = 0
  local prevGive = 0
  if known and tonumber(f['q:' .. self]) > ack then
    lost = tonumber(f['lg:' .. self] or '0')
    if f['lx:' .. self] == '1' then reclaimedSelf = 1 end
    prevSpent = tonumber(f['ls:' .. self] or '0')
    prevGive = tonumber(f['lr:' .. self] or '0')
  end
  o = o - (spent - prevSpent) - (give - prevGive)
  used = used - (give - prevGive)
end
local granted = 0
if final then
  used = used - lost
  lost = 0
  o = 0
elseif want > 0 then
  granted = math.min(want, math.max(0, cap - used))
  used = used + granted
  o = o + granted
end
redis.call('HSET', key, 'used', used, 'o:' .. self, o, 'e:' .. self, now + ttl, 'q:' .. self, seq,
  'lg:' .. self, granted + lost, 'ls:' .. self, spent, 'lr:' .. self, give, 'lx:' .. self, reclaimedSelf)
if keyTtl > 0 then redis.call('PEXPIRE', key, keyTtl) end
local outstanding = o
for k, v in pairs(f) do
  if string.sub(k, 1, 2) == 'o:' and k ~= 'o:' .. self then outstanding = outstanding + tonumber(v) end
end
return {granted, lost, reclaimedSelf, used, reclaimed, outstanding}
`

/**
 * `tfxLeaseReconcile` — KEYS[1] lease key; ARGV: count (authoritative clicks delivered),
 * keyTtlMs (0 = none). Reclaims expired nodes, then `used = max(used, count + Σ o)` over the
 * live nodes: never lowers `used`, so it cannot cause an overshoot; it restores `used` after
 * Redis lost data, and re-counts a crashed node's clicks that reached the click store.
 * Returns [usedBefore (after the reclaim), usedAfter].
 */
export const LEASE_RECONCILE_LUA = `
local self = ''
local tomb = tonumber(ARGV[3])
${PRELUDE}
local count = tonumber(ARGV[1])
local keyTtl = tonumber(ARGV[2])
local outstanding = 0
for k, v in pairs(f) do
  if string.sub(k, 1, 2) == 'o:' then outstanding = outstanding + tonumber(v) end
end
local before = used
if count + outstanding > used then used = count + outstanding end
redis.call('HSET', key, 'used', used)
if keyTtl > 0 then redis.call('PEXPIRE', key, keyTtl) end
return {before, used}
`

/** One node's fields in the model. */
export interface ModelNode {
  o: number
  e: number
  q: number
  lg: number
  ls: number
  lr: number
  /** The last sync told the node its lease had been reclaimed. */
  lx: boolean
  /** Reclaimed: a tombstone. */
  r: boolean
}

/** The model of one lease hash. */
export interface ModelKey {
  used: number
  nodes: Map<string, ModelNode>
}

/** Arguments of one sync (ARGV of {@link LEASE_SYNC_LUA}). */
export interface SyncArgs {
  node: string
  seq: number
  ackSeq: number
  spent: number
  give: number
  want: number
  cap: number
  leaseTtlMs: number
  final: boolean
  tombstoneMs: number
}

/** Reply of one sync, as the shell decodes it. */
export interface SyncResult {
  granted: number
  lost: number
  reclaimedSelf: boolean
  used: number
  reclaimed: number
  outstanding: number
}

function reclaimModel(
  k: ModelKey,
  self: string,
  nowMs: number,
  tombstoneMs: number,
): { key: ModelKey; reclaimed: number } {
  const nodes = new Map(k.nodes)
  let used = k.used
  let reclaimed = 0
  for (const [n, v] of k.nodes) {
    if (n === self || v.e >= nowMs) continue
    if (v.r) nodes.delete(n)
    else {
      used -= v.o
      reclaimed += v.o
      nodes.set(n, { ...v, o: 0, r: true, e: nowMs + tombstoneMs, lg: 0 })
    }
  }
  return { key: { used, nodes }, reclaimed }
}

/** {@link LEASE_SYNC_LUA} in TypeScript (pure): the next hash and the reply, at Redis time `nowMs`. */
export function syncModel(k0: ModelKey, a: SyncArgs, nowMs: number): { key: ModelKey; reply: SyncResult } {
  const { key: k, reclaimed } = reclaimModel(k0, a.node, nowMs, a.tombstoneMs)
  let used = k.used
  const me = k.nodes.get(a.node)
  let o = me?.o ?? 0
  let lost = 0
  let reclaimedSelf = false
  if (me?.r || (!me && a.ackSeq > 0)) {
    reclaimedSelf = true
    used += a.spent - (me && me.q > a.ackSeq ? me.ls : 0)
    o = 0
  } else {
    const retry = me !== undefined && me.q > a.ackSeq
    lost = retry ? me.lg : 0
    if (retry && me.lx) reclaimedSelf = true
    const prevSpent = retry ? me.ls : 0
    const prevGive = retry ? me.lr : 0
    o = o - (a.spent - prevSpent) - (a.give - prevGive)
    used -= a.give - prevGive
  }
  let granted = 0
  if (a.final) {
    used -= lost
    lost = 0
    o = 0
  } else if (a.want > 0) {
    granted = Math.min(a.want, Math.max(0, a.cap - used))
    used += granted
    o += granted
  }
  const nodes = new Map(k.nodes)
  nodes.set(a.node, {
    o,
    e: nowMs + a.leaseTtlMs,
    q: a.seq,
    lg: granted + lost,
    ls: a.spent,
    lr: a.give,
    lx: reclaimedSelf,
    r: false,
  })
  let outstanding = 0
  for (const v of nodes.values()) outstanding += v.o
  return { key: { used, nodes }, reply: { granted, lost, reclaimedSelf, used, reclaimed, outstanding } }
}

/** {@link LEASE_RECONCILE_LUA} in TypeScript (pure). */
export function reconcileModel(
  k0: ModelKey,
  count: number,
  nowMs: number,
  tombstoneMs: number,
): { key: ModelKey; before: number; after: number } {
  const { key: k } = reclaimModel(k0, '', nowMs, tombstoneMs)
  let outstanding = 0
  for (const v of k.nodes.values()) outstanding += v.o
  const after = Math.max(k.used, count + outstanding)
  return { key: { used: after, nodes: k.nodes }, before: k.used, after }
}
