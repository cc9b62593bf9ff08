/** Injected time source so decisions and schedules can be replayed in tests. */
export interface Clock {
  /** Current time. */
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock that only moves when told to (tests, replays). */
export function manualClock(
  start: Date | string | number,
): Clock & { set(t: Date | string | number): void; advance(ms: number): void } {
  let t = new Date(start).getTime()
  return {
    now: () => new Date(t),
    set: (v) => {
      t = new Date(v).getTime()
    },
    advance: (ms) => {
      t += ms
    },
  }
}
