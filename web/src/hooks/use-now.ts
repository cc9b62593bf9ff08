import { useEffect, useState } from 'react'

/**
 * The current time in epoch milliseconds, re-read every `intervalMs` (default 15 s) so
 * relative times ("3 minutes ago", `formatRelative(iso, now)`) keep moving while a page
 * stays open. All components share one timer per interval.
 */
export function useNow(intervalMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => subscribe(intervalMs, setNow), [intervalMs])
  return now
}

const timers = new Map<number, { id: ReturnType<typeof setInterval>; subs: Set<(n: number) => void> }>()

function subscribe(intervalMs: number, fn: (n: number) => void): () => void {
  let t = timers.get(intervalMs)
  if (!t) {
    const subs = new Set<(n: number) => void>()
    const id = setInterval(() => {
      const n = Date.now()
      for (const s of subs) s(n)
    }, intervalMs)
    t = { id, subs }
    timers.set(intervalMs, t)
  }
  t.subs.add(fn)
  fn(Date.now())
  return () => {
    const cur = timers.get(intervalMs)
    if (!cur) return
    cur.subs.delete(fn)
    if (cur.subs.size === 0) {
      clearInterval(cur.id)
      timers.delete(intervalMs)
    }
  }
}
