// The verified-token cache under a flood of distinct valid tokens (issue 21 item 2): bounded by memory.
//
// With public-key JWE decryption and `decrypt.required` false, anyone holding one valid token can
// re-encrypt its inner JWS under a junk protected header (RFC 7516 §5.1: the sender chooses the
// header), so every variant is a new, valid, heavy token. The cache's accounting (cache.ts
// `entryWeight`, 8 bytes per token character) is read directly: no heap measurement, no timing.
import { createAuthenticator, type AuthenticatorOptions } from '@tokengate/core'
import { encryptToken, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { cacheOf, entryWeight, MAX_ENTRY_BYTES } from '../../packages/core/src/token/cache.js'

const ISSUER = 'https://issuer.example.test/'
const MAX_BYTES = 1024 * 1024
let signing: TestKeys
let encryption: TestKeys
let inner: string

beforeAll(async () => {
  ;[signing, encryption] = await Promise.all([keysFor('ES256'), keysFor('ECDH-ES')])
  inner = await signToken(
    { iss: ISSUER, sub: 'alice' },
    { alg: 'ES256', key: signing, now: Math.floor(Date.now() / 1000) },
  )
})

const options = (): AuthenticatorOptions => ({
  algorithms: ['ES256'],
  key: signing.publicJwk,
  issuer: ISSUER,
  decrypt: { keys: encryption.privateJwk, keyManagementAlgorithms: ['ECDH-ES'] },
  // Every verified token is cached at once: the worst case for memory (the default admits on the second sighting).
  cache: { maxBytes: MAX_BYTES, admitAfter: 1 },
})

/** The same inner token under a fresh junk header of about `size` characters of many members. */
const variant = (i: number, size: number) => {
  const junk: Record<string, number> = {}
  for (let m = 0; m < size / 10; m++) junk[`j${i}_${m}`] = m
  return encryptToken(inner, { alg: 'ECDH-ES', key: encryption, cty: 'JWT', header: junk })
}

const request = (token: string) => ({
  method: 'GET',
  url: '/protected',
  headers: { authorization: `Bearer ${token}` },
})

describe('verified-token cache memory bound (issue 21 item 2)', () => {
  it('distinct re-encrypted variants with junk headers: all accepted, accounted size stays under cache.maxBytes', async () => {
    const authenticator = createAuthenticator(options())
    const cache = cacheOf(authenticator)
    expect(cache).toBeDefined()
    const variants = 80
    let heaviest = 0
    for (let i = 0; i < variants; i++) {
      const token = await variant(i, 3000)
      heaviest = Math.max(heaviest, entryWeight(token))
      const ctx = await authenticator.authenticate(request(token))
      expect(ctx?.payload).toMatchObject({ sub: 'alice' })
      expect(cache!.weight).toBeLessThanOrEqual(MAX_BYTES)
    }
    // The variants were cacheable one by one, and together they would exceed the bound.
    expect(heaviest).toBeLessThanOrEqual(MAX_ENTRY_BYTES)
    expect(heaviest * variants).toBeGreaterThan(MAX_BYTES)
    expect(cache!.size).toBeLessThan(variants)
    expect(cache!.size).toBeGreaterThan(0)
  })

  it('a variant heavier than the per-entry cap is verified but never cached', async () => {
    const authenticator = createAuthenticator({ ...options(), maxTokenLength: 16384 })
    const cache = cacheOf(authenticator)!
    // Under the 8192-character header cap (token/jws.ts decodeHeader), over the per-entry cache cap.
    const token = await variant(0, 4000)
    expect(entryWeight(token)).toBeGreaterThan(MAX_ENTRY_BYTES)
    expect((await authenticator.authenticate(request(token)))?.payload).toMatchObject({
      sub: 'alice',
    })
    expect(cache.size).toBe(0)
    expect(cache.weight).toBe(0)
    // an ordinary token is cached as before
    await authenticator.authenticate(request(inner))
    expect(cache.size).toBe(1)
  })

  it('default admission: distinct one-use variants are verified but never enter the cache', async () => {
    const authenticator = createAuthenticator({ ...options(), cache: { maxBytes: MAX_BYTES } })
    const cache = cacheOf(authenticator)!
    for (let i = 0; i < 20; i++) {
      const ctx = await authenticator.authenticate(request(await variant(i, 3000)))
      expect(ctx?.payload).toMatchObject({ sub: 'alice' })
    }
    expect(cache.size).toBe(0)
    expect(cache.weight).toBe(0)
    expect(cache.stats.deferred).toBe(20)
  })

  it('cache.maxBytes below 1 MiB is refused at start-up with the fix', () => {
    expect(() => createAuthenticator({ ...options(), cache: { maxBytes: 1000 } })).toThrow(
      /options\.cache\.maxBytes must be an integer of at least 1048576/,
    )
  })
})
