/**
 * The bench:redirect campaign: 12 destinations with caps, 12 regular/forced streams with
 * conditions of every common kind plus a default stream, anti-repeat on. Created through
 * the admin API of a running server.
 */
/** Creates the benchmark campaign through the admin API; returns a function reading stored events. */
export async function configureBenchCampaign(url: string, cookie: string): Promise<() => Promise<number>> {
  const headers = { cookie, 'content-type': 'application/json', 'x-requested-with': 'traffoflex' }
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${url}/api/v1${p}`, { method: 'POST', headers, body: JSON.stringify(body) })
    if (res.status !== 201) throw new Error(`POST ${p}: ${res.status} ${await res.text()}`)
    return (await res.json()) as { id: string }
  }
  const dests: string[] = []
  for (let i = 0; i < 12; i++) {
    const d = await post('/destinations', {
      name: `Bench offer ${i}`,
      url: `https://offer${i}.example/landing?click_id={click_id}&sub1={sub1}&country={country}&device={device}`,
      daily_click_cap: 1_000_000_000,
      total_click_cap: 1_000_000_000,
    })
    dests.push(d.id)
  }
  const campaign = await post('/campaigns', {
    name: 'Bench',
    alias: 'bench',
    anti_repeat: { enabled: true, window_seconds: 3600 },
  })
  const rule = (r: unknown) => ({ join: 'and', groups: [{ join: 'and', rules: [r] }] })
  const streams: [string, unknown][] = [
    ['bots', rule({ type: 'bot', op: 'is' })],
    [
      'blocked ranges',
      rule({ type: 'ip', op: 'is', values: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'] }),
    ],
    ['vip param', rule({ type: 'param', op: 'is', name: 'sub2', values: ['vip*'] })],
    [
      'DE/AT/CH German',
      {
        join: 'and',
        groups: [
          {
            join: 'and',
            rules: [
              { type: 'country', op: 'is', values: ['DE', 'AT', 'CH'] },
              { type: 'language', op: 'is', values: ['de'] },
            ],
          },
        ],
      },
    ],
    [
      'iOS mobile',
      {
        join: 'and',
        groups: [
          {
            join: 'and',
            rules: [
              { type: 'os', op: 'is', values: ['iOS'] },
              { type: 'device', op: 'is', values: ['mobile'] },
            ],
          },
        ],
      },
    ],
    ['Android', rule({ type: 'os', op: 'is', values: ['Android'] })],
    [
      'Firefox not US',
      {
        join: 'and',
        groups: [
          {
            join: 'and',
            rules: [
              { type: 'browser', op: 'is', values: ['Firefox'] },
              { type: 'country', op: 'is_not', values: ['US'] },
            ],
          },
        ],
      },
    ],
    ['Tier 1', rule({ type: 'country', op: 'is', values: ['US', 'GB', 'CA', 'AU', 'NZ', 'IE'] })],
    [
      'EU weekdays',
      {
        join: 'and',
        groups: [
          {
            join: 'and',
            rules: [
              { type: 'country', op: 'is', values: ['FR', 'IT', 'ES', 'NL', 'BE', 'PL', 'SE'] },
              {
                type: 'schedule',
                op: 'is',
                schedule: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '23:59' },
              },
            ],
          },
        ],
      },
    ],
    ['Asia', rule({ type: 'country', op: 'is', values: ['JP', 'KR', 'CN', 'IN', 'ID', 'TH', 'VN', 'SG'] })],
    ['referrer search', rule({ type: 'referrer', op: 'is', values: ['*google.*', '*bing.*'] })],
    ['LatAm', rule({ type: 'country', op: 'is', values: ['BR', 'MX', 'AR', 'CO', 'CL', 'PE'] })],
  ]
  let priority = 1
  for (const [name, conditions] of streams) {
    const i = priority - 1
    await post('/streams', {
      campaign_id: campaign.id,
      name,
      kind: name === 'bots' ? 'forced' : 'regular',
      priority: priority++,
      conditions,
      strategy: i % 3 === 0 ? 'weighted' : i % 3 === 1 ? 'round_robin' : 'waterfall',
      destinations: [dests[i], dests[(i + 1) % 12], dests[(i + 2) % 12]].map((id, k) => ({
        destination_id: id,
        weight: 100 - k * 30,
      })),
    })
  }
  await post('/streams', {
    campaign_id: campaign.id,
    name: 'default',
    kind: 'default',
    strategy: 'weighted',
    destinations: dests.map((id) => ({ destination_id: id, weight: 10 })),
  })

  /** Clicks plus trafficback events stored for today (UTC), through the reports API. */
  return async () => {
    const res = await fetch(`${url}/api/v1/reports/overview?tz=UTC`, { headers: { cookie } })
    const o = (await res.json()) as { clicks: number; trafficback: number }
    return Number(o.clicks) + Number(o.trafficback)
  }
}
