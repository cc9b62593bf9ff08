import { describe, expect, it } from 'vitest'
import type { Campaign } from '@/hooks/api/campaigns'
import {
  campaignToForm,
  formToCampaign,
  optionsWithCurrent,
  pickable,
  pickerLabel,
} from './campaign-form.lib'

const SRC = '7b0c6a4e-52a1-4c1f-9d1b-1f6a3d1b2c3d'
const sources = [
  { id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'ExoClick' },
  { id: SRC, name: 'TrafficStars' },
]

describe('campaign form: the traffic source select', () => {
  it('keeps the campaign’s source while the sources load (was: "None")', () => {
    const opts = optionsWithCurrent(undefined, SRC, 'None', true)
    expect(opts).toEqual([
      { value: '', label: 'None' },
      { value: SRC, label: 'Loading…' },
    ])
  })

  it('names the source once loaded, no stand-in', () => {
    const opts = optionsWithCurrent(sources, SRC, 'None', false)
    expect(opts.map((o) => o.label)).toEqual(['None', 'ExoClick', 'TrafficStars'])
    expect(opts.filter((o) => o.value === SRC)).toEqual([{ value: SRC, label: 'TrafficStars' }])
  })

  it('marks a source that is not in the list (deleted, or beyond the first page)', () => {
    const opts = optionsWithCurrent(sources.slice(0, 1), SRC, 'None', false, 'Source not found')
    expect(opts.at(-1)).toEqual({ value: SRC, label: 'Source not found' })
  })

  it('adds nothing for no source', () => {
    expect(optionsWithCurrent(sources, '', 'None', false)).toHaveLength(3)
    expect(optionsWithCurrent(undefined, '', 'None', true)).toEqual([{ value: '', label: 'None' }])
  })

  it('carries the source ID from the campaign to the form and back', () => {
    const c = {
      id: 'c1',
      name: 'Summer',
      alias: 'summer',
      source_id: SRC,
      status: 'active',
      timezone: 'UTC',
      trafficback: { type: 'none' },
      anti_repeat: { enabled: false, window_seconds: 86400 },
    } as unknown as Campaign
    const v = campaignToForm(c)
    expect(v.source_id).toBe(SRC)
    expect(optionsWithCurrent(sources, v.source_id, 'None', false).some((o) => o.value === SRC)).toBe(true)
    expect(formToCampaign(v).source_id).toBe(SRC)
    expect(formToCampaign({ ...v, source_id: '' }).source_id).toBeNull()
  })
})

describe('pickers and archived rows (lists are loaded with status=all)', () => {
  const OLD = 'a1b2c3d4-0000-4000-8000-00000000000a'
  const items = [
    { id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'ExoClick', status: 'active' },
    { id: OLD, name: 'Old pops', status: 'archived' },
    { id: SRC, name: 'TrafficStars', status: 'active' },
  ]
  it.each([
    [
      'the current archived row stays, labelled',
      OLD,
      ['None', 'ExoClick', 'Old pops (archived)', 'TrafficStars'],
    ],
    ['other archived rows are not offered', SRC, ['None', 'ExoClick', 'TrafficStars']],
    ['nor with no current value', '', ['None', 'ExoClick', 'TrafficStars']],
  ])('%s', (_name, current, labels) => {
    const opts = optionsWithCurrent(items, current, 'None', false)
    expect(opts.map((o) => o.label)).toEqual(labels)
    if (current) expect(opts.some((o) => o.value === current)).toBe(true)
  })

  it('pickable leaves out archived rows and those already taken; pickerLabel marks archived', () => {
    expect(pickable(items).map((i) => i.name)).toEqual(['ExoClick', 'TrafficStars'])
    expect(pickable(items, new Set([SRC])).map((i) => i.name)).toEqual(['ExoClick'])
    expect(pickable(undefined)).toEqual([])
    expect(items.map(pickerLabel)).toEqual(['ExoClick', 'Old pops (archived)', 'TrafficStars'])
  })
})
