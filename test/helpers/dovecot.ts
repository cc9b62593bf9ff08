/**
 * A real IMAP server for tests: Debian's Dovecot (`dovecot-imapd`, 2.3) started in the
 * foreground (`-F`) with a throwaway configuration in a temp directory — IMAP only, on
 * 127.0.0.1 at a free port (the imaps listener is disabled, so nothing binds 143/993),
 * plain-text login without TLS, users and passwords in a `passwd-file`, Maildir storage
 * under the temp dir, its own `base_dir`/`state_dir`, so it never meets a system Dovecot.
 *
 * Dovecot refuses to give mail access to root, and its login processes refuse to run as
 * root. When the tests run as root (CI), mail is owned by the `dovecot` system user (from
 * the package) and logins run as `dovenull`; otherwise everything runs as the current user.
 *
 * `deliver()` writes a message file into `Maildir/new` the way an MTA does (write into
 * `tmp/`, then rename). Dovecot notices it through inotify while a client IDLEs (about half
 * a second on this machine) and at the latest at `mailbox_idle_check_interval`, set to 1 s.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const DOVECOT_BIN = '/usr/sbin/dovecot'
const DOVEADM_BIN = '/usr/bin/doveadm'

/** A running test Dovecot. */
export interface TestDovecot {
  host: string
  port: number
  /** The test user's login and password. */
  user: string
  pass: string
  /** The temp directory (config, log, mail). */
  dir: string
  /** Writes a raw RFC 5322 message into the user's `Maildir/new`; returns the file name. */
  deliver(raw: string | Buffer, user?: string): string
  /** Disconnects the user's IMAP sessions (`doveadm kick`), as a server restart would. */
  kick(user?: string): Promise<void>
  /** Dovecot's log so far (for failure messages). */
  log(): string
  /** Stops Dovecot and removes the temp directory. */
  stop(): Promise<void>
}

function passwdEntry(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':')
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) }
  }
  return undefined
}

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()))
  const { port } = srv.address() as { port: number }
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

/** Resolves once `host:port` sends an IMAP greeting. */
async function waitForGreeting(port: number, child: ChildProcess, logPath: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dovecot exited (${child.exitCode}): ${safeRead(logPath)}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port })
      s.setTimeout(1_000)
      s.once('data', (d) => {
        s.destroy()
        resolve(d.toString().startsWith('* OK'))
      })
      s.once('error', () => resolve(false))
      s.once('timeout', () => {
        s.destroy()
        resolve(false)
      })
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`dovecot did not greet on ${port}: ${safeRead(logPath)}`)
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/**
 * Starts Dovecot with one user (`alice`/`secret` unless given), plus `more` accounts.
 * @throws when `/usr/sbin/dovecot` is missing or it does not greet within 10 s.
 */
export async function startDovecot(
  opts: {
    user?: string
    pass?: string /** More accounts (bench: one per mailbox). */
    more?: { user: string; pass: string }[]
  } = {},
): Promise<TestDovecot> {
  const user = opts.user ?? 'alice'
  const pass = opts.pass ?? 'secret'
  const dir = mkdtempSync(join(tmpdir(), 'tf-dovecot-'))
  // Dovecot's unprivileged processes (auth as `dovecot`) read the users file under it.
  chmodSync(dir, 0o755)
  const isRoot = process.getuid?.() === 0
  const me = userInfo()
  const mailOwner = isRoot ? (passwdEntry('dovecot') ?? passwdEntry('nobody')!) : { uid: me.uid, gid: me.gid }
  const internalUser = isRoot ? (passwdEntry('dovecot') ? 'dovecot' : 'nobody') : me.username
  const loginUser = isRoot ? (passwdEntry('dovenull') ? 'dovenull' : 'nobody') : me.username
  const mailRoot = join(dir, 'mail')
  const logPath = join(dir, 'dovecot.log')
  const port = await freePort()

  const maildir = (u: string) => join(mailRoot, u, 'Maildir')
  const own = (p: string) => {
    if (isRoot) chownSync(p, mailOwner.uid, mailOwner.gid)
  }
  const makeMaildir = (u: string) => {
    for (const p of [
      mailRoot,
      join(mailRoot, u),
      maildir(u),
      ...['cur', 'new', 'tmp'].map((s) => join(maildir(u), s)),
    ]) {
      mkdirSync(p, { recursive: true })
      own(p)
    }
  }
  const accounts = [{ user, pass }, ...(opts.more ?? [])]
  for (const a of accounts) makeMaildir(a.user)
  writeFileSync(join(dir, 'users'), accounts.map((a) => `${a.user}:{PLAIN}${a.pass}::::::\n`).join(''), {
    mode: 0o644,
  })
  const conf = join(dir, 'dovecot.conf')
  writeFileSync(
    conf,
    `# throwaway test configuration (test/helpers/dovecot.ts)
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${logPath}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${internalUser}
default_login_user = ${loginUser}
first_valid_uid = ${mailOwner.uid}
first_valid_gid = ${mailOwner.gid}
mail_uid = ${mailOwner.uid}
mail_gid = ${mailOwner.gid}
mail_location = maildir:${mailRoot}/%u/Maildir
mailbox_idle_check_interval = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${join(dir, 'users')}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${join(dir, 'users')}
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  )
  const child = spawn(DOVECOT_BIN, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    await waitForGreeting(port, child, logPath)
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`${(err as Error).message}\n${stderr}`)
  }

  return {
    host: '127.0.0.1',
    port,
    user,
    pass,
    dir,
    deliver(raw, u = user) {
      const name = `${Date.now()}.M${randomBytes(6).toString('hex')}P${process.pid}.tf-test`
      const tmp = join(maildir(u), 'tmp', name)
      writeFileSync(tmp, raw, { mode: 0o644 })
      own(tmp)
      renameSync(tmp, join(maildir(u), 'new', name))
      return name
    },
    async kick(u = user) {
      await promisify(execFile)(DOVEADM_BIN, ['-c', conf, 'kick', u])
    },
    log: () => safeRead(logPath),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
