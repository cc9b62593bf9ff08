/**
 * Encryption at rest for secrets we must read back (TrafficStars API keys, TOTP secrets): AES-256-GCM from
 * `node:crypto`, a random 96-bit IV per value, the 128-bit tag checked on decryption.
 *
 * Stored form: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. The 32-byte key comes from
 * `SECRETS_KEY` (64 hex characters or 43/44 base64 characters) or, when that is unset, from
 * `DATA_DIR/secret.key`, created once with mode 0600 — so the embedded default encrypts too,
 * and a stolen database dump alone does not reveal keys.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** Encrypts and decrypts short secrets. `open` throws when the value was altered or the key differs. */
export interface SecretBox {
  seal(plain: string): string
  open(sealed: string): string
}

/** @param key 32 bytes */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new RangeError('secret key must be 32 bytes')
  return {
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return ['v1', iv, cipher.getAuthTag(), ct]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.')
    },
    open(sealed) {
      const [v, iv, tag, ct] = sealed.split('.')
      if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unknown secret format')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8')
    },
  }
}

/**
 * The key from `SECRETS_KEY`, else from `<dataDir>/secret.key` (created on first use).
 * @throws Error when `SECRETS_KEY` is set but is not 32 bytes in hex or base64.
 */
export function loadSecretKey(opts: { secretsKey?: string; dataDir: string }): Buffer {
  if (opts.secretsKey) return parseKey(opts.secretsKey, 'SECRETS_KEY')
  const file = path.join(opts.dataDir, 'secret.key')
  if (existsSync(file)) return parseKey(readFileSync(file, 'utf8').trim(), file)
  mkdirSync(opts.dataDir, { recursive: true })
  const key = randomBytes(32)
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
  return key
}

function parseKey(s: string, where: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64')
  if (key.length !== 32) throw new Error(`${where}: expected 32 bytes as 64 hex or base64 characters`)
  return key
}
