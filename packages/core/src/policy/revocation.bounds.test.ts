// The memory revocation store's bounds (issue 12 item 7): no one subject can exhaust it, and
// folding a subject's entries into a "revoked before" time never un-revokes a token.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryRevocationStore } from './revocation.js'

const NOW = 1_700_000_000 // frozen clock, epoch seconds
const ISS = 'https://issuer.example/'

beforeEach(() => {
  vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

const of = (sub: string | undefined, iat?: number) => ({
  iss: ISS,
  ...(sub !== undefined && { sub }),
  ...(iat !== undefined && { iat }),
})

describe('createMemoryRevocationStore: one subject cannot exhaust it', () => {
  it('one subject revoking 100,000 tokens never prevents another subject, and all stay refused', () => {
    const store = createMemoryRevocationStore() // max 10000, maxPerSubject 100
    for (let i = 0; i < 100_000; i++) {
      store.revoke(`m-${i}`, NOW + 3600, of('mallory', NOW - 100_000 + i))
    }
    expect(store.size).toBeLessThanOrEqual(100)
    store.revoke('a-1', NOW + 3600, of('alice', NOW))
    for (let i = 0; i < 100_000; i++) {
      expect(store.isRevoked(`m-${i}`, undefined, of('mallory', NOW - 100_000 + i))).toBe(true)
    }
    expect(store.isRevoked('a-1', undefined, of('alice', NOW))).toBe(true)
    // Alice was not folded: her other sessions, even older ones, are untouched.
    expect(store.isRevoked('a-2', undefined, of('alice', NOW - 10))).toBe(false)
    // Mallory's tokens issued after the newest revoked one still pass.
    expect(store.isRevoked('m-new', undefined, of('mallory', NOW))).toBe(false)
  })

  it('folding at maxPerSubject: tokens at or before the newest folded iat, and those without iat, are refused', () => {
    const store = createMemoryRevocationStore({ max: 10, maxPerSubject: 3 })
    store.revoke('j1', NOW + 60, of('bob', NOW - 30))
    store.revoke('j2', NOW + 60, of('bob', NOW - 20))
    store.revoke('j3', NOW + 600, of('bob', NOW - 25))
    expect(store.size).toBe(3)
    store.revoke('j4', NOW + 60, of('bob', NOW - 10)) // the fourth folds
    expect(store.size).toBe(1)
    for (const [jti, iat] of [
      ['j1', NOW - 30],
      ['j2', NOW - 20],
      ['j3', NOW - 25],
      ['j4', NOW - 10],
      ['other-device', NOW - 50], // collateral: the documented cost of folding
      ['same-second', NOW - 10],
    ] as const) {
      expect(store.isRevoked(jti, undefined, of('bob', iat))).toBe(true)
    }
    expect(store.isRevoked('no-iat', undefined, of('bob'))).toBe(true)
    expect(store.isRevoked('later', undefined, of('bob', NOW - 9))).toBe(false)
    // The same sub from another issuer is another subject (RFC 7519 §4.1.2).
    expect(store.isRevoked('x', undefined, { iss: 'https://other/', sub: 'bob', iat: 0 })).toBe(
      false,
    )
    // A folded subject stays folded: a later revocation moves the time on, adds no entry.
    store.revoke('j5', NOW + 60, of('bob', NOW - 5))
    expect(store.size).toBe(1)
    expect(store.isRevoked('j5', undefined, of('bob', NOW - 5))).toBe(true)
    // The record lasts until the longest-lived folded token ends (exp + grace): j3, NOW + 660.
    vi.setSystemTime((NOW + 659) * 1000)
    expect(store.isRevoked('j3', undefined, of('bob', NOW - 25))).toBe(true)
    vi.setSystemTime((NOW + 661) * 1000)
    expect(store.isRevoked('j3', undefined, of('bob', NOW - 25))).toBe(false)
  })

  it('expired entries are dropped before a subject is folded', () => {
    const store = createMemoryRevocationStore({ max: 10, maxPerSubject: 2, grace: 0 })
    store.revoke('j1', NOW + 10, of('carol', NOW - 30))
    store.revoke('j2', NOW + 10, of('carol', NOW - 20))
    vi.setSystemTime((NOW + 11) * 1000)
    store.revoke('j3', NOW + 600, of('carol', NOW))
    expect(store.isRevoked('j3', undefined, of('carol', NOW))).toBe(true)
    // Not folded: an older token of carol's that was never revoked still passes.
    expect(store.isRevoked('old', undefined, of('carol', NOW - 40))).toBe(false)
  })

  it('when full, the subject holding the most entries is folded, never a live entry dropped', () => {
    const store = createMemoryRevocationStore({ max: 6, maxPerSubject: 4 })
    for (let i = 0; i < 4; i++) store.revoke(`m${i}`, NOW + 600, of('mallory', NOW - 10 + i))
    store.revoke('e1', NOW + 600, of('eve', NOW))
    store.revoke('e2', NOW + 600, of('eve', NOW))
    expect(store.size).toBe(6)
    store.revoke('a1', NOW + 600, of('alice', NOW)) // mallory (4 entries) is folded
    expect(store.size).toBe(4)
    for (let i = 0; i < 4; i++) {
      expect(store.isRevoked(`m${i}`, undefined, of('mallory', NOW - 10 + i))).toBe(true)
    }
    expect(store.isRevoked('e1', undefined, of('eve', NOW))).toBe(true)
    expect(store.isRevoked('a1', undefined, of('alice', NOW))).toBe(true)
    expect(store.isRevoked('a0', undefined, of('alice', NOW - 1))).toBe(false)
  })

  it('tokens without sub are one subject, folded like any other', () => {
    const store = createMemoryRevocationStore({ max: 100, maxPerSubject: 2 })
    store.revoke('n1', NOW + 600, of(undefined, NOW - 3))
    store.revoke('n2', NOW + 600, of(undefined, NOW - 2))
    store.revoke('n3', NOW + 600, of(undefined, NOW - 1))
    expect(store.size).toBe(1)
    expect(store.isRevoked('n1', undefined, of(undefined, NOW - 3))).toBe(true)
    expect(store.isRevoked('n4', undefined, of(undefined, NOW))).toBe(false)
    expect(store.isRevoked('s1', undefined, of('dave', NOW - 3))).toBe(false)
  })

  it('refuses only when every record belongs to another live subject, and says so', () => {
    const store = createMemoryRevocationStore({ max: 2 })
    store.revoke('a', NOW + 600, of('alice'))
    store.revoke('b', NOW + 600, of('bob'))
    expect(() => store.revoke('c', NOW + 600, of('carol'))).toThrow(
      /full \(2 live records, each of another subject\)/,
    )
    // A subject already holding an entry folds itself instead of being refused.
    store.revoke('a2', NOW + 600, of('alice', NOW))
    expect(store.isRevoked('a2', undefined, of('alice', NOW))).toBe(true)
    expect(store.isRevoked('a', undefined, of('alice'))).toBe(true)
  })

  it.each([
    ['maxPerSubject 0', { maxPerSubject: 0 }],
    ['maxPerSubject above max', { max: 10, maxPerSubject: 11 }],
    ['maxPerSubject 1.5', { maxPerSubject: 1.5 }],
  ])('refuses bad configuration at start-up: %s', (_name, options) => {
    expect(() => createMemoryRevocationStore(options)).toThrow(/maxPerSubject must be a positive/)
  })
})
