/**
 * `/billing` — visit credits and affiliate money, in sections that are routes:
 * - `/billing`: balances, "Buy credits" (quote calculator, tier table, create an order and
 *   pay it) and the orders (`components/overview.tsx`);
 * - `/billing/transactions`: the ledger postings with filters and CSV (`components/transactions.tsx`);
 * - `/billing/affiliate`: referral link, earnings, payout requests (`components/affiliate.tsx`);
 * - `/billing/admin` (platform admins; the API answers 403 to others): unmatched payments,
 *   adjustments, payout approvals, flagged referrals, audit log (`components/admin.tsx`).
 */
import { ShieldAlert } from 'lucide-react'
import { Navigate, Route, Routes } from 'react-router'
import { PageHeader } from '@/components/common/page-header'
import { EmptyState } from '@/components/common/states'
import { Card } from '@/components/ui/card'
import { useMe } from '@/hooks/api/auth'
import { Affiliate } from './components/affiliate'
import { BillingAdmin } from './components/admin'
import { BillingOverview } from './components/overview'
import { BillingNav } from './components/shared'
import { Transactions } from './components/transactions'

function AdminsOnly() {
  return (
    <Card>
      <EmptyState
        icon={ShieldAlert}
        title="For administrators"
        description="Billing administration is open to platform administrators only."
      />
    </Card>
  )
}

export function Component() {
  const me = useMe()
  const admin = me.data?.user.role === 'admin'
  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Billing"
        description="Visit credits, orders and payments, and your affiliate earnings."
      />
      <BillingNav admin={admin} />
      <Routes>
        <Route index element={<BillingOverview />} />
        <Route path="transactions" element={<Transactions />} />
        <Route path="affiliate" element={<Affiliate />} />
        <Route path="admin" element={admin ? <BillingAdmin /> : <AdminsOnly />} />
        <Route path="*" element={<Navigate to="/billing" replace />} />
      </Routes>
    </div>
  )
}
