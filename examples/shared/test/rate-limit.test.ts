// The examples' sign-in limiter: token buckets with a fixed clock, bounded memory, and the address key.
import { describe, expect, it } from 'vitest'
import { clientKey, createRateLimiter } from '../src/rate-limit.js'

describe('createRateLimiter', () => {
  it('allows the burst, then one per refill interval, with Retry-After in whole seconds', () => {
    const limiter = createRateLimiter({ burst: 2, perMinute: 6 }) // one every 10 s
    const t = 1_000_000
    expect(limiter.take('a', t)).toEqual({ ok: true })
    expect(limiter.take('a', t)).toEqual({ ok: true })
    expect(limiter.take('a', t)).toEqual({ ok: false, retryAfter: 10 })
    expect(limiter.take('a', t + 4_000)).toEqual({ ok: false, retryAfter: 6 })
    expect(limiter.take('a', t + 10_000)).toEqual({ ok: true })
    // Another key has its own bucket.
    expect(limiter.take('b', t)).toEqual({ ok: true })
  })

  it('refund gives one back, never beyond the burst', () => {
    const limiter = createRateLimiter({ burst: 1, perMinute: 1 })
    expect(limiter.take('a', 0).ok).toBe(true)
    limiter.refund('a', 0)
    expect(limiter.take('a', 0).ok).toBe(true)
    expect(limiter.take('a', 0).ok).toBe(false)
    limiter.refund('b', 0)
    limiter.refund('b', 0)
    expect(limiter.take('b', 0).ok).toBe(true)
    expect(limiter.take('b', 0).ok).toBe(false)
  })

  it('keeps at most maxKeys buckets: a flood of new keys evicts the least recently used', () => {
    const limiter = createRateLimiter({ burst: 1, perMinute: 1 }, 3)
    for (const key of ['a', 'b', 'c']) expect(limiter.take(key, 0).ok).toBe(true)
    expect(limiter.take('a', 0).ok).toBe(false) // touched: now the most recent
    expect(limiter.take('d', 0).ok).toBe(true) // evicts b, the oldest
    expect(limiter.take('a', 0).ok).toBe(false)
    expect(limiter.take('c', 0).ok).toBe(false)
    expect(limiter.take('b', 0).ok).toBe(true) // b was forgotten
  })

  it.each([
    [{ burst: 0, perMinute: 1 }],
    [{ burst: 1.5, perMinute: 1 }],
    [{ burst: 1, perMinute: 0 }],
  ])('refuses a limit that can never work: %o', (limit) => {
    expect(() => createRateLimiter(limit)).toThrow(/burst must be a positive integer/)
  })
})

describe('clientKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::99', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s is limited as %s (IPv6 by its /64)', (address, key) => {
    expect(clientKey(address)).toBe(key)
  })
})
