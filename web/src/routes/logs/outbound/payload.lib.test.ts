import { describe, expect, it } from 'vitest'
import { attemptLabel, payloadOf } from './payload.lib'

describe('payloadOf', () => {
  it('splits the target and the decoded parameters, keeping the redaction', () => {
    expect(payloadOf('https://src.example/pb?clickid=SRC%201&payout=7.5&token=***&status=sale')).toEqual({
      target: 'https://src.example/pb',
      params: [
        ['clickid', 'SRC 1'],
        ['payout', '7.5'],
        ['token', '***'],
        ['status', 'sale'],
      ],
    })
  })

  it('does not show credentials of the URL (the API shows them as ***)', () => {
    expect(payloadOf('https://***:***@src.example/pb')?.target).toBe('https://src.example/pb')
  })

  it('gives null for a URL that never rendered', () => {
    expect(payloadOf('')).toBeNull()
    expect(payloadOf('not a url')).toBeNull()
  })
})

describe('attemptLabel', () => {
  it('names automatic and manual rounds', () => {
    expect(attemptLabel(0, 3)).toBe('#3')
    expect(attemptLabel(1, 2)).toBe('retry 1 · #2')
  })
})
