import { describe, expect, it } from 'vitest'
import { AppError } from '../../platform/errors.ts'
import {
  checkMemberChange,
  isCountryCode,
  type MemberChange,
  nextStatus,
  workspaceAccess,
} from './accounts.core.ts'

const refusal = (fn: () => unknown): { status: number; code: string } | 'allowed' => {
  try {
    fn()
    return 'allowed'
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code }
    throw err
  }
}

const change = (c: Partial<MemberChange>) =>
  refusal(() =>
    checkMemberChange({ actorRole: 'owner', self: false, from: 'member', to: 'admin', ownerCount: 1, ...c }),
  )

describe('workspaceAccess', () => {
  it('members act with their role; a platform admin elsewhere acts as owner (admin view); others not at all', () => {
    expect(workspaceAccess('member', 'admin')).toEqual({ role: 'member', member: true })
    expect(workspaceAccess('admin', 'user')).toEqual({ role: 'admin', member: true })
    expect(workspaceAccess(undefined, 'admin')).toEqual({ role: 'owner', member: false })
    expect(workspaceAccess(undefined, 'user')).toBeUndefined()
  })
})

describe('checkMemberChange', () => {
  it('owners and admins manage members; plain members and outsiders cannot', () => {
    expect(change({ actorRole: 'owner', from: null, to: 'admin' })).toBe('allowed')
    expect(change({ actorRole: 'admin', from: null, to: 'member' })).toBe('allowed')
    expect(change({ actorRole: 'admin', from: 'member', to: 'admin' })).toBe('allowed')
    expect(change({ actorRole: 'admin', from: 'admin', to: null })).toBe('allowed')
    expect(change({ actorRole: 'member', from: null, to: 'member' })).toEqual({
      status: 403,
      code: 'forbidden',
    })
    expect(change({ actorRole: 'member', from: 'member', to: 'admin', self: true })).toEqual({
      status: 403,
      code: 'forbidden',
    })
    expect(change({ actorRole: undefined, from: null, to: 'member' })).toEqual({
      status: 403,
      code: 'forbidden',
    })
  })

  it('only owners grant, change or remove the owner role', () => {
    expect(change({ actorRole: 'admin', from: 'member', to: 'owner' })).toEqual({
      status: 403,
      code: 'forbidden',
    })
    expect(change({ actorRole: 'admin', from: 'owner', to: 'member', ownerCount: 2 })).toEqual({
      status: 403,
      code: 'forbidden',
    })
    expect(change({ actorRole: 'admin', from: 'owner', to: null, ownerCount: 2 })).toEqual({
      status: 403,
      code: 'forbidden',
    })
    expect(change({ actorRole: 'owner', from: 'member', to: 'owner' })).toBe('allowed')
    expect(change({ actorRole: 'owner', from: 'owner', to: 'admin', ownerCount: 2 })).toBe('allowed')
  })

  it('anyone may leave, but the last owner can neither leave nor be demoted', () => {
    expect(change({ actorRole: 'member', self: true, from: 'member', to: null })).toBe('allowed')
    expect(change({ actorRole: 'owner', self: true, from: 'owner', to: null, ownerCount: 2 })).toBe('allowed')
    expect(change({ actorRole: 'owner', self: true, from: 'owner', to: null, ownerCount: 1 })).toEqual({
      status: 409,
      code: 'last_owner',
    })
    expect(change({ actorRole: 'owner', self: true, from: 'owner', to: 'admin', ownerCount: 1 })).toEqual({
      status: 409,
      code: 'last_owner',
    })
    // Re-asserting the owner role of the last owner changes nothing and is fine.
    expect(change({ actorRole: 'owner', self: true, from: 'owner', to: 'owner', ownerCount: 1 })).toBe(
      'allowed',
    )
  })
})

describe('nextStatus', () => {
  it('approve: pending → active (stamps approval); active stays; suspended refused', () => {
    expect(nextStatus('approve', 'pending', false)).toEqual({
      status: 'active',
      changed: true,
      approves: true,
      endSessions: false,
    })
    expect(nextStatus('approve', 'active', false)).toMatchObject({ status: 'active', changed: false })
    expect(refusal(() => nextStatus('approve', 'suspended', false))).toEqual({
      status: 409,
      code: 'conflict',
    })
  })

  it('suspend ends sessions, is idempotent, and never applies to oneself', () => {
    expect(nextStatus('suspend', 'active', false)).toEqual({
      status: 'suspended',
      changed: true,
      approves: false,
      endSessions: true,
    })
    expect(nextStatus('suspend', 'pending', false)).toMatchObject({ status: 'suspended', changed: true })
    expect(nextStatus('suspend', 'suspended', false)).toMatchObject({ changed: false, endSessions: true })
    expect(refusal(() => nextStatus('suspend', 'active', true))).toEqual({
      status: 409,
      code: 'cannot_suspend_self',
    })
  })

  it('reactivate: suspended → active; pending must be approved instead', () => {
    expect(nextStatus('reactivate', 'suspended', false)).toMatchObject({ status: 'active', changed: true })
    expect(nextStatus('reactivate', 'active', false)).toMatchObject({ status: 'active', changed: false })
    expect(refusal(() => nextStatus('reactivate', 'pending', false))).toEqual({
      status: 409,
      code: 'conflict',
    })
  })
})

describe('isCountryCode', () => {
  it('accepts assigned ISO 3166-1 alpha-2 codes only, upper case', () => {
    for (const c of ['DE', 'US', 'GB', 'FR', 'JP', 'BR', 'XK']) expect(isCountryCode(c)).toBe(true)
    for (const c of ['de', 'XX', 'ZZ', 'EU', 'UN', 'UK', 'AA', 'D', 'DEU', ''])
      expect(isCountryCode(c)).toBe(false)
  })
})
