/**
 * The sidebar: the sections of the admin UI, in groups — only sections that are built (no
 * placeholders). `adminOnly` entries show only to platform admins. Logs holds the postbacks
 * in and out and the conversions (old `/postbacks` links redirect there); Offers is the
 * canonical path of what was Destinations (`/destinations*` redirects to `/offers*`).
 */
import {
  Activity,
  Building2,
  ChartColumn,
  CircleUser,
  HeartPulse,
  KeyRound,
  LayoutDashboard,
  Mail,
  Megaphone,
  MousePointerClick,
  Network,
  PanelsTopLeft,
  Rocket,
  ScrollText,
  ShieldCheck,
  Target,
  type LucideIcon,
  UserCog,
  Wallet,
  Waypoints,
} from 'lucide-react'

export interface NavItem {
  to: string
  label: string
  icon: LucideIcon
  /** Active only on the exact path (the dashboard at `/`). */
  end?: boolean
  adminOnly?: boolean
}

export interface NavGroup {
  label: string
  items: NavItem[]
}

export const NAV: NavGroup[] = [
  {
    label: 'Overview',
    items: [
      { to: '/', label: 'Dashboard', icon: LayoutDashboard, end: true },
      { to: '/reports', label: 'Reports', icon: ChartColumn },
    ],
  },
  {
    label: 'Traffic',
    items: [
      { to: '/campaigns', label: 'Campaigns', icon: Megaphone },
      { to: '/offers', label: 'Offers', icon: Target },
      { to: '/landers', label: 'Landers', icon: PanelsTopLeft },
      { to: '/sources', label: 'Sources', icon: Waypoints },
      { to: '/networks', label: 'Networks', icon: Network },
    ],
  },
  {
    label: 'Tracking',
    items: [
      { to: '/clicks', label: 'Click log', icon: MousePointerClick },
      { to: '/logs', label: 'Logs', icon: ScrollText },
      { to: '/health', label: 'Health', icon: HeartPulse },
    ],
  },
  {
    label: 'Growth',
    items: [
      { to: '/autopilot', label: 'Autopilot', icon: Rocket },
      { to: '/visitors', label: 'Visitors', icon: Activity },
      { to: '/outreach', label: 'Outreach', icon: Mail },
    ],
  },
  {
    label: 'Settings',
    items: [
      { to: '/billing', label: 'Billing', icon: Wallet },
      { to: '/settings/workspace', label: 'Workspace', icon: Building2 },
      { to: '/settings/api-keys', label: 'API keys', icon: KeyRound },
      { to: '/settings/profile', label: 'Profile', icon: CircleUser },
      { to: '/settings/security', label: 'Security', icon: ShieldCheck },
      { to: '/users', label: 'Users', icon: UserCog, adminOnly: true },
    ],
  },
]

/** The groups a user sees (admin-only entries removed for non-admins, empty groups dropped). */
export function navFor(isAdmin: boolean): NavGroup[] {
  return NAV.map((g) => ({ ...g, items: g.items.filter((i) => isAdmin || !i.adminOnly) })).filter(
    (g) => g.items.length > 0,
  )
}
