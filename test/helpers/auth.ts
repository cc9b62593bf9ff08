/**
 * Test helpers for the admin API: a workspace with a user and an API key created directly
 * through the accounts service (no HTTP), and an API app wired to a throwaway database.
 */
import type { FastifyInstance } from 'fastify'
import { type AppConfig, loadConfig } from '../../src/config.ts'
import { createAccount, createApiKey } from '../../src/modules/accounts/accounts.service.ts'
import type { Db } from '../../src/platform/db/client.ts'
import { type AdminApiDeps, createAdminApi } from '../../src/api.ts'
import { createLogger } from '../../src/platform/logger.ts'

let seq = 0

/**
 * Creates a new workspace, an active user that owns it and an API key for that user in it.
 * @param opts.email default a unique `user-N-…@test.local`; @param opts.password default "password-123456".
 * @returns ids, the raw API key (`tfk_…`, send as `Authorization: Bearer <apiKey>`) and the credentials.
 */
export async function createWorkspaceWithKey(
  db: Db,
  opts: { email?: string; password?: string; role?: 'user' | 'admin'; workspaceName?: string } = {},
): Promise<{ workspaceId: string; userId: string; apiKey: string; email: string; password: string }> {
  const email = opts.email ?? `user-${++seq}-${Math.random().toString(36).slice(2, 8)}@test.local`
  const password = opts.password ?? 'password-123456'
  const { workspaceId, userId } = await createAccount(db, {
    email,
    password,
    role: opts.role ?? 'user',
    workspaceName: opts.workspaceName ?? `WS ${email}`,
  })
  const { key } = await createApiKey(db, { workspaceId, userId, name: 'test', scopes: ['admin'] })
  return { workspaceId, userId, apiKey: key, email, password }
}

/** Configuration for API tests: defaults plus `PUBLIC_URL=http://tf.test`. */
export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'http://tf.test', LOG_LEVEL: 'silent', ...env })
}

/** An API app (not listening; use `app.inject`) over `db` with a silent logger. */
export async function testApiApp(db: Db, extra: Partial<AdminApiDeps> = {}): Promise<FastifyInstance> {
  const config = extra.config ?? testConfig()
  const app = await createAdminApi({ db, config, logger: createLogger('silent'), ...extra })
  await app.ready()
  return app
}
