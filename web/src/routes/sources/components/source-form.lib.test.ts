import { describe, expect, it } from 'vitest'
import type { SourceTemplate } from '@/hooks/api/source-templates'
import {
  duplicateTargets,
  nextFreeTarget,
  type ParamRow,
  paramNameFromToken,
  paramsToRows,
  rowsToParams,
  targetLabel,
  templateValues,
} from './source-form.lib'

describe('paramNameFromToken', () => {
  it.each([
    ['{zone_id}', 'zone_id'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: PropellerAds' macro
    ['${SUBID}', 'SUBID'],
    ['{{ad.id}}', 'ad.id'],
    ['__CID__', 'CID'],
    ['[CLICK ID]', 'CLICKID'],
    ['{}', 'param'],
  ])('%s → %s', (token, name) => {
    expect(paramNameFromToken(token, new Set())).toBe(name)
  })
  it('suffixes taken names', () => {
    expect(paramNameFromToken('{a}', new Set(['a', 'a_2']))).toBe('a_3')
  })
})

describe('rows ↔ params', () => {
  const rows: ParamRow[] = [
    { name: '', label: ' Zone ', token: ' {zone} ', target: 'sub1' },
    { name: 'zone', label: '', token: '{zone2}', target: 'sub2' },
    { name: '', label: '', token: '', target: 'sub3' },
  ]
  it('drops empty rows, trims, derives missing or duplicate names', () => {
    expect(rowsToParams(rows)).toEqual([
      { name: 'zone', token: '{zone}', target: 'sub1', label: 'Zone' },
      { name: 'zone2', token: '{zone2}', target: 'sub2' },
    ])
  })
  it('round-trips', () => {
    const params = rowsToParams(rows)
    expect(rowsToParams(paramsToRows(params))).toEqual(params)
  })
  it('next free target and duplicates', () => {
    expect(nextFreeTarget(rows)).toBe('sub4')
    expect(duplicateTargets([...rows, { name: '', label: '', token: '{x}', target: 'sub1' }])).toEqual(
      new Set(['sub1']),
    )
    expect(targetLabel('sub7')).toBe('sub7 · Sub ID 7')
    expect(targetLabel('external_id')).toContain('external_id')
  })
})

describe('templateValues', () => {
  const ts = {
    key: 'trafficstars',
    name: 'TrafficStars',
    cost_model: 'cpm',
    external_id_param: 'external_id',
    postback_url: 'https://tsyndicate.com/api/v1/cpa/action/{external_id}',
    params: [{ name: 'click_id', token: '{click_id}', target: 'external_id' }],
  } as SourceTemplate
  it.each([
    ['empty name → template name', '', undefined, 'TrafficStars'],
    ['previous template name → new template name', 'ExoClick', 'ExoClick', 'TrafficStars'],
    ['own name kept', 'TS Europe', 'ExoClick', 'TS Europe'],
  ])('%s', (_n, name, prev, want) => {
    expect(templateValues(ts, { name }, prev)).toEqual({
      name: want,
      cost_model: 'cpm',
      external_id_param: 'external_id',
      postback_url: ts.postback_url,
      params: [{ name: 'click_id', label: '', token: '{click_id}', target: 'external_id' }],
    })
  })
})
