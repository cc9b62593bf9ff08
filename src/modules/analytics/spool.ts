/**
 * The click pipeline's on-disk half: an append-only spool of JSON-lines segment files
 * plus a checkpoint, in one directory owned by one process.
 *
 * Layout of `dir`:
 * - `000000000042.jsonl` — segment 42: one JSON event per line, appended with `writeSync`
 *   on an fd kept open, so a line is in the kernel page cache (safe from `kill -9`) by the
 *   time `append` returns.
 * - `checkpoint.json` — {@link Checkpoint}: the committed watermark and the batch in flight.
 *   Replaced atomically (write tmp, fsync, rename), so it is always the old or the new state.
 * - `lock` — pid of the owning process; a second live process is refused, because two
 *   writers would pick the same segment numbers.
 *
 * Segments only grow; a byte range of a segment therefore always reads back the same
 * lines, which is what makes `<spool id>:<segment>:<start>-<end>` a stable
 * deduplication token for ClickHouse.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  mkdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { open, rename } from 'node:fs/promises'
import path from 'node:path'

/** A byte range `[start, end)` of segment `seg`, always whole lines. */
export interface SegmentRange {
  seg: number
  start: number
  end: number
}

/** A byte position in the spool: offset `offset` of segment `seg`. */
export interface SpoolPos {
  seg: number
  offset: number
}

/** Contents of `checkpoint.json`. */
export interface Checkpoint {
  v: 1
  /** Random id of this spool, part of every deduplication token (see module doc). */
  spoolId: string
  /** Committed watermark: every byte before (seg, offset) is stored in ClickHouse. */
  seg: number
  offset: number
  /**
   * The batch being inserted, recorded before the insert and cleared after it. On
   * restart it is re-inserted first, with the same token, so ClickHouse drops it if the
   * first attempt had landed.
   */
  intent: SegmentRange | null
}

/** One complete line read back from a segment (`text` without the newline). */
export interface SpoolLine {
  start: number
  end: number
  text: string
}

/** Result of {@link Spool.read}. */
export interface SpoolRead {
  lines: SpoolLine[]
  /** Offset to continue reading from (past a torn tail when one was skipped). */
  next: number
  /** Bytes of an incomplete last line skipped at the end of a closed segment (0 if none). */
  tornBytes: number
}

const SEG_RE = /^(\d{12})\.jsonl$/
const segName = (seg: number) => `${String(seg).padStart(12, '0')}.jsonl`

/** Orders two spool positions: negative, zero or positive like a comparator. */
export function comparePos(a: SpoolPos, b: SpoolPos): number {
  return a.seg !== b.seg ? a.seg - b.seg : a.offset - b.offset
}

/**
 * The spool of one process. All methods are synchronous except
 * {@link Spool.saveCheckpoint}; they throw Node `fs` errors (ENOSPC, EACCES, …).
 */
export class Spool {
  /** Segment currently appended to (always the highest number). */
  writeSeg: number
  /** Logical size of the write segment: bytes of whole lines appended so far. */
  writeOffset = 0
  /** When the write segment was opened (epoch ms, from the caller's clock). */
  writeOpenedAt: number
  /** First segment created by this process; lower numbers are a previous run's backlog. */
  readonly firstOwnSeg: number
  /** Checkpoint as read at open (or freshly created). */
  readonly initialCheckpoint: Checkpoint
  readonly spoolId: string

  private fd: number
  /** Closed segments still on disk → logical size in bytes. */
  private readonly closed = new Map<number, number>()
  private closedFlag = false

  private constructor(
    readonly dir: string,
    now: number,
  ) {
    mkdirSync(dir, { recursive: true })
    this.lock()
    const cp = this.readCheckpoint()
    this.initialCheckpoint = cp
    this.spoolId = cp.spoolId
    let max = Math.max(cp.seg, cp.intent?.seg ?? 0)
    for (const name of readdirSync(dir)) {
      const m = SEG_RE.exec(name)
      if (!m) continue
      const seg = Number(m[1])
      max = Math.max(max, seg)
      if (seg < cp.seg) {
        // Wholly before the committed watermark: stored already, the delete was interrupted.
        this.unlinkQuiet(seg)
        continue
      }
      this.closed.set(seg, statSync(this.file(seg)).size)
    }
    this.writeSeg = max + 1
    this.firstOwnSeg = this.writeSeg
    this.fd = openSync(this.file(this.writeSeg), 'ax')
    this.writeOpenedAt = now
  }

  /**
   * Opens (creating if needed) the spool in `dir`, takes its lock and starts a new write
   * segment. Segments left by a previous run stay for the pipeline to replay.
   * @throws Error when another live process holds the lock, or an fs error.
   */
  static open(dir: string, now: number): Spool {
    return new Spool(dir, now)
  }

  /** Absolute path of segment `seg`. */
  file(seg: number): string {
    return path.join(this.dir, segName(seg))
  }

  /**
   * Appends whole lines (each ending with `\n`) to the write segment. Synchronous: when it returns the bytes are in the kernel.
   * @returns the byte range the line occupies.
   * @throws the fs error after truncating any partial write away, so a failed append never
   *   leaves half a line in front of the next one.
   */
  append(line: string | Buffer): SegmentRange {
    const start = this.writeOffset
    // Bytes are written as they are; a string is encoded once.
    const buf = typeof line === 'string' ? Buffer.from(line, 'utf8') : line
    const length = buf.length
    let written = 0
    try {
      while (written < length) written += writeSync(this.fd, buf, written, length - written)
    } catch (err) {
      if (written > 0) {
        try {
          ftruncateSync(this.fd, start)
        } catch {
          // Cannot cut the partial line off: start a new segment so it stays a torn tail
          // of a closed segment (skipped on read) instead of corrupting the next line.
          try {
            this.rotate(this.writeOpenedAt)
          } catch {
            // Nothing more to do; the caller counts the failure.
          }
        }
      }
      throw err
    }
    this.writeOffset = start + length
    return { seg: this.writeSeg, start, end: this.writeOffset }
  }

  /**
   * Closes the write segment and starts the next one (no-op when the write segment is
   * empty). The new file is opened before the old fd is closed, so a failure leaves the
   * old segment in use.
   */
  rotate(now: number): void {
    if (this.writeOffset === 0) return
    const next = this.writeSeg + 1
    const fd = openSync(this.file(next), 'ax')
    closeSync(this.fd)
    this.closed.set(this.writeSeg, this.writeOffset)
    this.fd = fd
    this.writeSeg = next
    this.writeOffset = 0
    this.writeOpenedAt = now
  }

  /** Logical end of segment `seg` in bytes, or undefined when it is not on disk. */
  segmentEnd(seg: number): number | undefined {
    return seg === this.writeSeg ? this.writeOffset : this.closed.get(seg)
  }

  /** The lowest segment number above `seg` that exists (the write segment at the latest). */
  nextSegment(seg: number): number {
    let best = this.writeSeg
    for (const s of this.closed.keys()) if (s > seg && s < best) best = s
    return best
  }

  /** Number of segment files, the write segment included. */
  segmentCount(): number {
    return this.closed.size + 1
  }

  /** Bytes on disk at or after `from` (whole spool when `from` is before every segment). */
  bytesAfter(from: SpoolPos): number {
    let total = 0
    for (const [seg, size] of [...this.closed, [this.writeSeg, this.writeOffset] as const]) {
      if (seg > from.seg) total += size
      else if (seg === from.seg) total += Math.max(0, size - from.offset)
    }
    return total
  }

  /**
   * Reads up to `maxLines` complete lines of segment `seg` in `[from, limit)`.
   * At the end of a closed segment a trailing incomplete line (a write torn by a crash) is
   * skipped: `next` moves past it and `tornBytes` says how long it was.
   */
  read(seg: number, from: number, limit: number, maxLines: number): SpoolRead {
    const lines: SpoolLine[] = []
    let pos = from
    let chunk = 1 << 20
    const fd = openSync(this.file(seg), 'r')
    try {
      while (pos < limit && lines.length < maxLines) {
        const want = Math.min(chunk, limit - pos)
        const buf = Buffer.allocUnsafe(want)
        const n = readSync(fd, buf, 0, want, pos)
        if (n === 0) break
        let i = 0
        while (lines.length < maxLines) {
          const nl = buf.indexOf(10, i)
          if (nl === -1 || nl >= n) break
          lines.push({ start: pos + i, end: pos + nl + 1, text: buf.toString('utf8', i, nl) })
          i = nl + 1
        }
        if (i === 0) {
          // A line longer than the chunk: read a bigger chunk; otherwise the rest is torn.
          if (n === want && want < limit - pos) {
            chunk *= 2
            continue
          }
          break
        }
        pos += i
      }
    } finally {
      closeSync(fd)
    }
    const isClosed = seg !== this.writeSeg
    const torn = isClosed && lines.length < maxLines && pos < limit ? limit - pos : 0
    return { lines, next: pos + torn, tornBytes: torn }
  }

  /** Counts complete lines at or after `from` (used once at open for the backlog size). */
  countLines(from: SpoolPos): number {
    let count = 0
    for (const [seg, size] of this.closed) {
      if (seg < from.seg) continue
      const start = seg === from.seg ? from.offset : 0
      const fd = openSync(this.file(seg), 'r')
      try {
        const buf = Buffer.allocUnsafe(1 << 20)
        for (let pos = start; pos < size; ) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos)
          if (n === 0) break
          for (let i = buf.indexOf(10, 0); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) count++
          pos += n
        }
      } finally {
        closeSync(fd)
      }
    }
    return count
  }

  /** Deletes closed segment `seg` (a no-op for the write segment or a missing file). */
  deleteSegment(seg: number): void {
    if (seg === this.writeSeg) return
    this.closed.delete(seg)
    this.unlinkQuiet(seg)
  }

  /**
   * Atomically replaces `checkpoint.json`: write a temp file, fsync it (when `fsync`),
   * rename over. A `kill -9` at any point leaves either the old or the new checkpoint.
   */
  async saveCheckpoint(cp: Checkpoint, fsync = true): Promise<void> {
    const tmp = path.join(this.dir, 'checkpoint.json.tmp')
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(JSON.stringify(cp))
      if (fsync) await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path.join(this.dir, 'checkpoint.json'))
  }

  /**
   * Closes the write fd and releases the lock. The write segment is deleted when it is
   * empty or `committed` says it is wholly stored. Idempotent.
   */
  close(committed?: SpoolPos): void {
    if (this.closedFlag) return
    this.closedFlag = true
    try {
      closeSync(this.fd)
    } catch {
      // already closed
    }
    const done =
      committed !== undefined && comparePos(committed, { seg: this.writeSeg, offset: this.writeOffset }) >= 0
    if (this.writeOffset === 0 || done) this.unlinkQuiet(this.writeSeg)
    try {
      if (readFileSync(path.join(this.dir, 'lock'), 'utf8').trim() === String(process.pid)) {
        unlinkSync(path.join(this.dir, 'lock'))
      }
    } catch {
      // lock already gone
    }
  }

  private unlinkQuiet(seg: number): void {
    try {
      unlinkSync(this.file(seg))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }

  private lock(): void {
    const file = path.join(this.dir, 'lock')
    let holder = 0
    try {
      holder = Number(readFileSync(file, 'utf8').trim())
    } catch {
      // no lock file
    }
    if (holder > 0 && holder !== process.pid && pidAlive(holder)) {
      throw new Error(
        `spool ${this.dir} is in use by process ${holder} (delete ${file} if that process is not traffoflex)`,
      )
    }
    writeFileSync(file, String(process.pid))
  }

  private readCheckpoint(): Checkpoint {
    const file = path.join(this.dir, 'checkpoint.json')
    let text: string | undefined
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (text !== undefined) {
      const cp = JSON.parse(text) as Checkpoint
      if (cp.v !== 1 || typeof cp.spoolId !== 'string' || !/^[0-9a-f]{16,64}$/.test(cp.spoolId)) {
        throw new Error(`unreadable spool checkpoint ${file}`)
      }
      return cp
    }
    // A new spool gets a new id, so its tokens can never collide with those of an earlier
    // spool (a wiped directory) or of another node writing to the same ClickHouse.
    const cp: Checkpoint = { v: 1, spoolId: randomBytes(8).toString('hex'), seg: 0, offset: 0, intent: null }
    const tmp = `${file}.tmp`
    writeFileSync(tmp, JSON.stringify(cp))
    const fd = openSync(tmp, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
    return cp
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
