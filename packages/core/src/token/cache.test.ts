// The verified-token cache: bounded, keyed by the whole token, never past the token's bounds.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CompactEncrypt, SignJWT } from 'jose'
import { Doorkeeper, TAIL_CHARS, TokenCache } from './cache.js'
import type { AuthContext } from '../types.js'

const NOW = 1_800_000_000
beforeEach(() => {
  vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

const ctx = (token: string): AuthContext<unknown> => ({
  token,
  source: 'header',
  payload: {},
  protectedHeader: { alg: 'HS256' },
  scopes: [],
  roles: [],
})
const entry = (token: string) => ({ ctx: ctx(token), claims: {} })

describe('TokenCache', () => {
  it('returns an entry until its bound, then forgets it', () => {
    const cache = new TokenCache({ max: 10, ttlMs: undefined, admitAfter: 1 })
    cache.set('t', entry('t'), NOW + 60)
    expect(cache.get('t')?.ctx.token).toBe('t')
    vi.setSystemTime((NOW + 60) * 1000)
    expect(cache.get('t')).toBeUndefined()
  })

  it('ttl caps the entry below the token bound', () => {
    const cache = new TokenCache({ max: 10, ttlMs: 5000, admitAfter: 1 })
    cache.set('t', entry('t'), NOW + 60)
    vi.setSystemTime((NOW + 5) * 1000)
    expect(cache.get('t')).toBeUndefined()
  })

  it.each<[string, number, number | undefined]>([
    ['no exp and no ttl: not cached', Number.POSITIVE_INFINITY, undefined],
    ['already past its bound: not cached', NOW - 1, undefined],
  ])('%s', (_name, bound, ttl) => {
    const cache = new TokenCache({ max: 10, ttlMs: ttl, admitAfter: 1 })
    cache.set('t', entry('t'), bound)
    expect(cache.get('t')).toBeUndefined()
  })

  it('no exp with a ttl: cached for the ttl', () => {
    const cache = new TokenCache({ max: 10, ttlMs: 1000, admitAfter: 1 })
    cache.set('t', entry('t'), Number.POSITIVE_INFINITY)
    expect(cache.get('t')).toBeDefined()
  })

  it('is bounded (least recently used goes first), and keyed by the whole token', () => {
    const cache = new TokenCache({ max: 2, ttlMs: undefined, admitAfter: 1 })
    cache.set('a', entry('a'), NOW + 60)
    cache.set('b', entry('b'), NOW + 60)
    cache.get('a')
    cache.set('c', entry('c'), NOW + 60)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')?.ctx.token).toBe('a')
    expect(cache.get('c')?.ctx.token).toBe('c')
    expect(cache.get('c.')).toBeUndefined()
  })

  it("a token sharing another token's lookup key (its length and last TAIL_CHARS characters) never gets its context, and can only replace it", () => {
    const cache = new TokenCache({ max: 10, ttlMs: undefined, admitAfter: 1 })
    const tail = 'S'.repeat(TAIL_CHARS + 8) // a signature segment longer than the characters hashed
    const [one, two] = [`h1.p1.${tail}`, `h2.p2.${tail}`]
    cache.set(one, entry(one), NOW + 60)
    expect(cache.get(two)).toBeUndefined()
    expect(cache.get(one)?.ctx.token).toBe(one)
    cache.set(two, entry(two), NOW + 60)
    expect(cache.get(two)?.ctx.token).toBe(two)
    expect(cache.get(one)).toBeUndefined()
  })

  it('the hashed tail lies inside the last segment of the shortest signature and tag (jose-made HS256 JWS, A128GCM JWE)', async () => {
    const secret = new Uint8Array(32).fill(7)
    const jws = await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'HS256' }).sign(secret)
    const jwe = await new CompactEncrypt(new TextEncoder().encode('x'))
      .setProtectedHeader({ alg: 'dir', enc: 'A128GCM' })
      .encrypt(new Uint8Array(16).fill(9))
    for (const token of [jws, jwe]) {
      const last = token.slice(token.lastIndexOf('.') + 1)
      expect(last.length).toBeGreaterThanOrEqual(TAIL_CHARS)
    }
    // 32 bytes of HMAC-SHA256 (43 characters), 16 bytes of GCM tag (22): the shortest we accept.
    expect([jws.split('.')[2]!.length, jwe.split('.')[4]!.length]).toEqual([43, 22])
  })

  it('tokens of the same last segment length that differ in their last TAIL_CHARS characters are kept apart', () => {
    const cache = new TokenCache({ max: 10, ttlMs: undefined, admitAfter: 1 })
    const one = `h.p.${'A'.repeat(10)}${'B'.repeat(TAIL_CHARS)}`
    const two = `h.p.${'A'.repeat(10)}${'C'.repeat(TAIL_CHARS)}`
    cache.set(one, entry(one), NOW + 60)
    cache.set(two, entry(two), NOW + 60)
    expect(cache.get(one)?.ctx.token).toBe(one)
    expect(cache.get(two)?.ctx.token).toBe(two)
  })

  it('the hash a miss computed serves the set() that follows it, and only for that token', () => {
    const cache = new TokenCache({ max: 10, ttlMs: undefined })
    const [one, two] = ['h.p.first-signature', 'h.p.other-signature']
    // one: missed, verified (deferred), missed, verified (admitted), hit.
    expect(cache.get(one)).toBeUndefined()
    cache.set(one, entry(one), NOW + 60)
    expect(cache.get(one)).toBeUndefined()
    // Another token's miss in between (requests interleave): one's set() hashes it again.
    expect(cache.get(two)).toBeUndefined()
    cache.set(one, entry(one), NOW + 60)
    expect(cache.get(one)?.ctx.token).toBe(one)
    // two's set() after one's lookups: deferred (first sighting), never stored under one's key.
    cache.set(two, entry(two), NOW + 60)
    expect(cache.get(two)).toBeUndefined()
    expect(cache.get(one)?.ctx.token).toBe(one)
    expect(cache.stats).toEqual({ hits: 2, misses: 4, deferred: 2 })
  })

  it('a token without exp is not cached without a ttl, and is not recorded by the doorkeeper', () => {
    const cache = new TokenCache({ max: 10, ttlMs: undefined })
    for (let i = 0; i < 3; i++) cache.set('t', entry('t'), Number.POSITIVE_INFINITY)
    expect(cache.get('t')).toBeUndefined()
    expect(cache.stats.deferred).toBe(0)
    const ttl = new TokenCache({ max: 10, ttlMs: 1000 })
    for (let i = 0; i < 2; i++) ttl.set('t', entry('t'), Number.POSITIVE_INFINITY)
    expect(ttl.get('t')?.notAfter).toBe(NOW * 1000 + 1000)
  })

  it('admission (default admitAfter 2): a token is cached on its second verification, hit on its third', () => {
    const cache = new TokenCache({ max: 10, ttlMs: undefined })
    cache.set('h.p.sig', entry('h.p.sig'), NOW + 60)
    expect(cache.get('h.p.sig')).toBeUndefined()
    expect(cache.size).toBe(0)
    cache.set('h.p.sig', entry('h.p.sig'), NOW + 60)
    expect(cache.get('h.p.sig')?.ctx.token).toBe('h.p.sig')
    expect(cache.stats).toEqual({ hits: 1, misses: 1, deferred: 1 })
  })

  it('admission never admits what the LRU refuses: a token past its bound, or too heavy', () => {
    const cache = new TokenCache({ max: 10, ttlMs: undefined })
    for (let i = 0; i < 2; i++) cache.set('t', entry('t'), NOW - 1)
    expect(cache.get('t')).toBeUndefined()
    const heavy = 'x'.repeat(7000)
    for (let i = 0; i < 2; i++) cache.set(heavy, entry(heavy), NOW + 60)
    expect(cache.size).toBe(0)
  })
})

describe('Doorkeeper', () => {
  it('admits a token seen within the last max / 2 recordings, forgets one seen more than max ago', () => {
    const door = new Doorkeeper(100)
    // Distinct tails, as signatures are (the doorkeeper keeps a hash of the tail and the length).
    const token = (i: number) => `h.p.${'abcdefghijklmnop'.slice(i % 16)}-signature-${i}`
    expect(door.admit(token(0))).toBe(false)
    for (let i = 1; i < 40; i++) expect(door.admit(token(i))).toBe(false)
    expect(door.admit(token(0))).toBe(true)
    // 100 other one-use tokens later (two generations of 50), token 0 was forgotten.
    for (let i = 100; i < 200; i++) door.admit(token(i))
    expect(door.admit(token(0))).toBe(false)
    expect(door.admit(token(0))).toBe(true)
  })

  it('only remembers a 32-bit hash: a fixed table, whatever the number of tokens', () => {
    const door = new Doorkeeper(10_000)
    for (let i = 0; i < 100_000; i++) door.admit(`h.p.${i.toString(36)}`)
    // Tokens seen once 100,000 recordings ago are gone; the last ones are still remembered.
    expect(door.admit('h.p.0')).toBe(false)
    expect(door.admit(`h.p.${(99_999).toString(36)}`)).toBe(true)
  })
})
