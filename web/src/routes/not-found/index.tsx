/** Any unknown path inside the app. */
import { Compass } from 'lucide-react'
import { Link } from 'react-router'
import { EmptyState } from '@/components/common/states'
import { Button } from '@/components/ui/button'

export function Component() {
  return (
    <EmptyState
      icon={Compass}
      title="Page not found"
      description="The address may be mistyped, or the page has moved."
      action={
        <Button asChild>
          <Link to="/">Go to the dashboard</Link>
        </Button>
      }
      className="py-24"
    />
  )
}
