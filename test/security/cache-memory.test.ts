// The verified-token cache under a flood of distinct valid tokens (issue 21 item 2): bounded by memory.
//
// With public-key JWE decryption and `decrypt.required` false, anyone holding one valid token can
// re-encrypt its inner JWS under a junk protected header (RFC 7516 §5.1: the sender chooses the
// header), so every variant is a new, valid, heavy token. The cache's accounting (cache.ts
// `entryWeight`, 8 bytes per token character) is read directly: no heap measurement, no timing.
import { createServer, type Server } from 'node:http'
import { createAuthenticator, type AuthenticatorOptions } from '@tokengate/core'
import { encryptToken, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cacheOf, entryWeight, MAX_ENTRY_BYTES } from '../../packages/core/src/token/cache.js'
import { closeServer, listen } from '../support/http.js'

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

// The introspection cache (introspection/index.ts) is the other place that keeps what an outsider
// sends: one active answer per distinct opaque token. It is bounded by the answers' size
// (introspection.cache.maxBytes), not only by their count: a server that answers 60 KB per token
// must not make ten thousand cached answers (600 MB). Counted by the endpoint's calls: an answer
// still held is not asked for again.
describe('introspection cache memory bound (issue 21 item 2, for the introspection cache)', () => {
  let endpoint: Server
  let url = ''
  let calls = 0
  let padding = 0
  beforeAll(async () => {
    endpoint = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        calls += 1
        const exp = Math.floor(Date.now() / 1000) + 600
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ active: true, sub: 'alice', exp, pad: 'x'.repeat(padding) }))
      })
    })
    url = `http://127.0.0.1:${await listen(endpoint)}/introspect`
  })
  afterAll(() => closeServer(endpoint))

  const authenticator = () =>
    createAuthenticator({
      algorithms: ['ES256'],
      key: signing.publicJwk,
      introspection: {
        endpoint: url,
        client: { id: 'api', secret: 'introspection-client-secret-0123456789' },
        cache: { maxBytes: MAX_BYTES },
      },
    })
  /** Ten distinct opaque tokens, twice in a row: returns the endpoint's calls for the second round. */
  async function twoRounds(): Promise<number> {
    const auth = authenticator()
    const tokens = Array.from({ length: 10 }, (_, i) => `opaque-token-${i}-0123456789abcdef`)
    for (const token of tokens)
      expect((await auth.authenticate(request(token)))?.payload).toMatchObject({ sub: 'alice' })
    const before = calls
    for (const token of tokens) await auth.authenticate(request(token))
    return calls - before
  }

  it('small answers: all ten are held, the second round asks nothing', async () => {
    padding = 0
    expect(await twoRounds()).toBe(0)
  })

  it('60 KB answers: only a few fit in 1 MiB, so the oldest are gone and asked for again', async () => {
    padding = 60_000
    // Each answer weighs about 240 KB (introspection/index.ts): four fit, the ten cycle through.
    expect(await twoRounds()).toBe(10)
  })
})
