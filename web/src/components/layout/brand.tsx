import { cn } from '@/lib/utils'

/** The traffoflex mark and name. */
export function Brand({ className, inverted = false }: { className?: string; inverted?: boolean }) {
  return (
    <span className={cn('flex items-center gap-2 font-semibold tracking-tight', className)}>
      <svg viewBox="0 0 32 32" className="size-7 shrink-0" aria-hidden="true">
        <rect width="32" height="32" rx="8" fill={inverted ? '#fff' : 'var(--primary)'} />
        <path
          d="M8 21l6-6 4 4 6-8"
          fill="none"
          stroke={inverted ? 'var(--primary)' : '#fff'}
          strokeWidth="3"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </svg>
      <span className="text-lg">traffoflex</span>
    </span>
  )
}
