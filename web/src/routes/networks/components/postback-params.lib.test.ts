import { describe, expect, it } from 'vitest'
import type { PostbackSettings } from '@/hooks/api/networks'
import {
  copiedPostbackUrl,
  formFieldOf,
  nextFreeSub,
  postbackFormSchema,
  previewPostbackUrl,
  rowsToSubs,
  SECRET_MASK,
  SUB_KEYS,
  shownPostbackUrl,
  subRowsSchema,
  subsToRows,
  toApiParams,
  toFormValues,
} from './postback-params.lib'

const saved: PostbackSettings = {
  network_id: '5b0a3c1e-0000-4000-8000-000000000001',
  template: 'subid_tid_payout_status',
  params: { payout: 'amount', subs: { sub3: 'aff_sub3', sub1: 's1' } },
  status_map: { '1': 'sale' },
  default_status: 'sale',
  has_postback_secret: true,
  ip_allowlist: [],
  effective_params: {},
  postback_url:
    'https://tf.example/postback?network=5b0a3c1e-0000-4000-8000-000000000001&secret={secret}&subid={click_id}',
}

describe('sub rows ↔ params.subs', () => {
  it('turns the API object into rows in sub order, and back', () => {
    const rows = subsToRows(saved.params.subs)
    expect(rows).toEqual([
      { key: 'sub1', param: 's1' },
      { key: 'sub3', param: 'aff_sub3' },
    ])
    expect(rowsToSubs(rows)).toEqual({ sub1: 's1', sub3: 'aff_sub3' })
  })

  it('has no subs object without rows (and no rows without subs)', () => {
    expect(rowsToSubs([])).toBeUndefined()
    expect(subsToRows(undefined)).toEqual([])
    expect(subsToRows({ sub2: '' })).toEqual([])
  })

  it('offers the first unmapped sub for a new row', () => {
    expect(nextFreeSub([{ key: 'sub1' }, { key: 'sub3' }])).toBe('sub2')
    expect(nextFreeSub(SUB_KEYS.map((key) => ({ key })))).toBeUndefined()
  })
})

describe('validation', () => {
  it('refuses a sub mapped twice, at the second row', () => {
    const r = subRowsSchema.safeParse([
      { key: 'sub2', param: 'a' },
      { key: 'sub2', param: 'b' },
    ])
    expect(r.success).toBe(false)
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['1.key', 'sub2 is mapped twice'],
    ])
  })

  it('requires a parameter name the API accepts', () => {
    const r = subRowsSchema.safeParse([
      { key: 'sub1', param: '  ' },
      { key: 'sub2', param: 'bad name!' },
      { key: 'sub3', param: 'x'.repeat(65) },
      { key: 'sub4', param: 'aff_sub[4].ok-' },
    ])
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['0.param', '1.param', '2.param'])
    expect(r.error?.issues[1]?.message).toBe('1–64 chars of A–Z a–z 0–9 _ . - [ ]')
  })

  it('accepts empty parameter overrides and refuses bad ones with the API’s message', () => {
    const values = { ...toFormValues(saved), click_id: '', payout: 'sum total' }
    const r = postbackFormSchema.safeParse(values)
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['payout', '1–64 chars of A–Z a–z 0–9 _ . - [ ]'],
    ])
  })
})

describe('toApiParams', () => {
  it('keeps set names (trimmed) and the subs', () => {
    const v = { ...toFormValues(saved), status: ' st ' }
    expect(toApiParams(v)).toEqual({ payout: 'amount', status: 'st', subs: { sub1: 's1', sub3: 'aff_sub3' } })
  })

  it('sends no subs when every row was removed (the PUT replaces params as a whole)', () => {
    expect(toApiParams({ ...toFormValues(saved), subs: [] })).toEqual({ payout: 'amount' })
  })
})

describe('formFieldOf', () => {
  const rows = [{ key: 'sub1' as const }, { key: 'sub3' as const }]
  it('maps API error paths to form fields', () => {
    expect(formFieldOf('params.subs.sub3', rows)).toBe('subs.1.param')
    expect(formFieldOf('params.payout', rows)).toBe('payout')
    expect(formFieldOf('params.subs.sub9', rows)).toBeUndefined()
    expect(formFieldOf('status_map.ok', rows)).toBe('status_map')
    expect(formFieldOf('default_status', rows)).toBe('default_status')
    expect(formFieldOf('params.clickid', rows)).toBeUndefined()
  })
})

describe('previewPostbackUrl', () => {
  it('builds the URL like the server, with the mapped subs', () => {
    expect(previewPostbackUrl(saved, 'cid_txid_payout', { subs: { sub2: 'aff_sub2' } })).toBe(
      'https://tf.example/postback?network=5b0a3c1e-0000-4000-8000-000000000001&secret={secret}&cid={click_id}&txid={transaction_id}&payout={payout}&aff_sub2={sub2}',
    )
  })
})

describe('the copied postback URL carries the real secret', () => {
  const url = saved.postback_url
  it('copies the secret in place of {secret}, leaving only the network’s macros', () => {
    const copied = copiedPostbackUrl(url, 's3cret')
    expect(copied).toBe(
      'https://tf.example/postback?network=5b0a3c1e-0000-4000-8000-000000000001&secret=s3cret&subid={click_id}',
    )
    expect(copied.match(/\{[^}]+\}/g)).toEqual(['{click_id}'])
  })

  it('URL-encodes a secret with reserved characters (it reads back exactly)', () => {
    const secret = 'a&b=c d/é+%'
    const copied = copiedPostbackUrl(url, secret)
    expect(new URL(copied.replace('{click_id}', 'x')).searchParams.get('secret')).toBe(secret)
  })

  it('keeps {secret} when the secret is not known (no access) or there is none', () => {
    expect(copiedPostbackUrl(url, null)).toBe(url)
    expect(copiedPostbackUrl(url, '')).toBe(url)
    const noSecret = previewPostbackUrl(
      { ...saved, has_postback_secret: false },
      'subid_tid_payout_status',
      {},
    )
    expect(copiedPostbackUrl(noSecret, 'ignored')).toBe(noSecret)
  })

  it('masks the secret on screen until revealed', () => {
    expect(shownPostbackUrl(url, 's3cret', false)).toContain(`&secret=${SECRET_MASK}&`)
    expect(shownPostbackUrl(url, 's3cret', false)).not.toContain('s3cret')
    expect(shownPostbackUrl(url, 's3cret', true)).toBe(copiedPostbackUrl(url, 's3cret'))
    expect(shownPostbackUrl(url, null, true)).toBe(url)
  })

  it('works on the preview of unsaved settings too', () => {
    const preview = previewPostbackUrl(saved, 'cid_txid_payout', { subs: { sub2: 'aff_sub2' } })
    expect(copiedPostbackUrl(preview, 'k')).toBe(
      'https://tf.example/postback?network=5b0a3c1e-0000-4000-8000-000000000001&secret=k&cid={click_id}&txid={transaction_id}&payout={payout}&aff_sub2={sub2}',
    )
  })
})
