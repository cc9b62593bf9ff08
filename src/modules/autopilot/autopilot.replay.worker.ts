/**
 * Worker-thread entry of the replay pool (`autopilot.replay.pool.ts`): piscina calls the
 * default export once per task, off the main thread, so a long replay never blocks the event
 * loop that answers redirects.
 */
import { type ReplayInput, type ReplayResult, replay } from './autopilot.replay.ts'

/** One replay. @throws ZodError on invalid input (the API validated it before). */
export default function runReplay(input: ReplayInput): ReplayResult {
  return replay(input)
}
