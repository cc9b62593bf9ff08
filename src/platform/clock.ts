/** Injected time source so decisions and schedules can be replayed in tests. */
export interface Clock {
  /** Current time. */
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** The clock's current time as epoch milliseconds (UTC), for shells that compute with numbers. */
export function nowMs(clock: Clock): number {
  return clock.now().getTime()
}

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

/**
 * Injected source of uniform random numbers (retry jitter), so a shell's randomness can be
 * fixed in tests like its time.
 */
export interface Random {
  /** A number in [0, 1). */
  next(): number
}

export const systemRandom: Random = { next: () => Math.random() }
