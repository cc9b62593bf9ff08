import { Check, Copy } from 'lucide-react'
import { useState } from 'react'
import { Button, type ButtonProps } from '@/components/ui/button'
import { toast } from '@/components/ui/sonner'

/** Copies `value` to the clipboard; shows a check mark for two seconds. */
export function CopyButton({
  value,
  label = 'Copy',
  ...props
}: { value: string; label?: string } & ButtonProps) {
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value)
      setCopied(true)
      setTimeout(() => setCopied(false), 2000)
    } catch {
      toast.error('Copying was blocked by the browser; select the text and copy it by hand.')
    }
  }
  return (
    <Button variant="outline" onClick={copy} {...props}>
      {copied ? <Check className="text-success" /> : <Copy />}
      {copied ? 'Copied' : label}
    </Button>
  )
}
