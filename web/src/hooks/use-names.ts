/**
 * Names of configured objects for report keys: reports return ids (campaign, stream,
 * destination, lander, source, network); this joins them to names from the list endpoints
 * (first 500 of each, archived ones included, fetched only for the dimensions on screen).
 */
import { useCallback, useMemo } from 'react'
import { useCampaigns } from '@/hooks/api/campaigns'
import { useDestinations } from '@/hooks/api/destinations'
import { useLanders } from '@/hooks/api/landers'
import { useNetworks } from '@/hooks/api/networks'
import { useSources } from '@/hooks/api/sources'
import { useStreams } from '@/hooks/api/streams'
import { EMPTY_KEY_LABEL, type IdDimension, isIdDimension } from '@/lib/report-meta'

/** Archived rows included: past traffic of an archived row still needs its name. */
const LIMIT = { limit: 500, status: 'all' }

let regions: Intl.DisplayNames | null | undefined
/** "Germany (DE)" for `DE`; the code alone when the browser has no name for it. */
function countryName(code: string): string {
  if (regions === undefined) {
    try {
      regions = new Intl.DisplayNames(undefined, { type: 'region' })
    } catch {
      regions = null
    }
  }
  let name: string | undefined
  try {
    name = /^[A-Z]{2}$/.test(code) ? regions?.of(code) : undefined
  } catch {
    name = undefined
  }
  return name && name !== code ? `${name} (${code})` : code
}

/**
 * `nameOf(dimension, key)` → the object's name (countries: "Germany (DE)"), `(none)` for an
 * empty key, else the key itself.
 */
export function useNames(dims: readonly string[]) {
  const need = (d: IdDimension) => dims.includes(d)
  const campaigns = useCampaigns(LIMIT, { enabled: need('campaign') })
  const streams = useStreams({ limit: 500 }, { enabled: need('stream') })
  const destinations = useDestinations(LIMIT, { enabled: need('destination') })
  const landers = useLanders(LIMIT, { enabled: need('lander') })
  const sources = useSources(LIMIT, { enabled: need('source') })
  const networks = useNetworks(LIMIT, { enabled: need('network') })
  const lists = useMemo<Record<IdDimension, { id: string; name: string }[] | undefined>>(
    () => ({
      campaign: campaigns.data?.items,
      stream: streams.data?.items,
      destination: destinations.data?.items,
      lander: landers.data?.items,
      source: sources.data?.items,
      network: networks.data?.items,
    }),
    [campaigns.data, streams.data, destinations.data, landers.data, sources.data, networks.data],
  )
  const options = useCallback((d: IdDimension) => lists[d] ?? [], [lists])
  const nameOf = useCallback(
    (dim: string, key: string | undefined): string => {
      if (key === undefined) return ''
      if (key === '') return EMPTY_KEY_LABEL
      if (dim === 'country') return countryName(key)
      if (!isIdDimension(dim)) return key
      return lists[dim]?.find((o) => o.id === key)?.name ?? key
    },
    [lists],
  )
  return { nameOf, options }
}
