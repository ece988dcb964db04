// DPoP server nonces (RFC 9449 §8, §9): issued with use_dpop_nonce, checked, rolled, shared by secret.
import { dpopProof, jktOf, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { AuthError } from '../errors.js'
import type { Authenticator, DpopNonceOptions, RequestLike } from '../types.js'

const NOW = 1_800_000_040 // 40 s into a 60 s window (1_800_000_040 / 60 = 30_000_000.67)
const ORIGIN = 'https://api.example.com'
const SECRET = 'a shared secret of at least 32 bytes, same on every instance'

beforeEach(() => void vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] }))
afterEach(() => void vi.useRealTimers())

let server: TestKeys
let client: TestKeys
let token: string
beforeAll(async () => {
  server = await keysFor('ES256', { kid: 'server' })
  client = await keysFor('ES256', { label: 'client' })
  token = await signToken(
    { sub: 'alice', cnf: { jkt: await jktOf(client) } },
    { alg: 'ES256', key: server, now: NOW, exp: NOW + 100_000 },
  )
})

function instance(nonce: DpopNonceOptions = { secret: SECRET }): Authenticator {
  return createAuthenticator({
    algorithms: ['ES256'],
    key: server.publicJwk,
    realm: 'api',
    dpop: { mode: 'required', origins: [ORIGIN], nonce },
  })
}

function request(nonce?: string): RequestLike {
  const proof = dpopProof({
    key: client,
    htm: 'GET',
    htu: `${ORIGIN}/me`,
    accessToken: token,
    iat: Math.floor(Date.now() / 1000),
    ...(nonce !== undefined && { claims: { nonce } }),
  })
  return {
    method: 'GET',
    url: `${ORIGIN}/me`,
    headers: { authorization: `DPoP ${token}`, dpop: proof },
  }
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  return err as AuthError
}

/** The nonce a first request without one is handed (RFC 9449 §9). */
async function nonceFrom(auth: Authenticator): Promise<string> {
  const res = (await refusal(auth.authenticate(request()))).toResponse()
  return res.headers['dpop-nonce'] as string
}

describe('issuing (RFC 9449 §9)', () => {
  it('a proof without nonce: 401 use_dpop_nonce, WWW-Authenticate DPoP error, and a DPoP-Nonce header', async () => {
    const err = await refusal(instance().authenticate(request()))
    expect(err.code).toBe('use_dpop_nonce')
    const res = err.toResponse()
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(
      /^DPoP realm="api", error="use_dpop_nonce", error_description="[^"]+", algs="[^"]+"$/,
    )
    // §8.1: NQCHAR only (%x21 / %x23-5B / %x5D-7E).
    expect(res.headers['dpop-nonce']).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/)
    expect(res.body).toMatchObject({ error: 'use_dpop_nonce', code: 'use_dpop_nonce' })
  })

  it('a proof with the nonce is accepted, and no new nonce is handed out within the window', async () => {
    const auth = instance()
    const ctx = await auth.authenticate(request(await nonceFrom(auth)))
    expect(ctx?.dpop?.jkt).toBe(await jktOf(client))
    expect(ctx?.dpop?.nonce).toBeUndefined()
  })

  it('a wrong, forged or non-string nonce: use_dpop_nonce with the current one', async () => {
    const auth = instance()
    const current = await nonceFrom(auth)
    const [index] = current.split('.')
    for (const nonce of ['x', `${index}.AAAAAAAAAAAAAAAAAAAAAA`, '', current.toUpperCase()]) {
      const err = await refusal(auth.authenticate(request(nonce)))
      expect(err.code, nonce).toBe('use_dpop_nonce')
      expect(err.toResponse().headers['dpop-nonce']).toBe(current)
    }
    const numeric = dpopProof({
      key: client,
      htm: 'GET',
      htu: `${ORIGIN}/me`,
      accessToken: token,
      claims: { nonce: 42 },
    })
    const err = await refusal(
      auth.authenticate({
        ...request(),
        headers: { authorization: `DPoP ${token}`, dpop: numeric },
      }),
    )
    expect(err.code).toBe('use_dpop_nonce')
  })

  it('an otherwise broken proof is invalid_dpop_proof, not use_dpop_nonce (checks before the nonce)', async () => {
    const auth = instance()
    const bad = dpopProof({ key: client, htm: 'POST', htu: `${ORIGIN}/me`, accessToken: token })
    const err = await refusal(
      auth.authenticate({ ...request(), headers: { authorization: `DPoP ${token}`, dpop: bad } }),
    )
    expect(err.code).toBe('invalid_dpop_proof')
    expect(err.toResponse().headers['dpop-nonce']).toBeUndefined()
  })
})

describe('windows and rollover (RFC 9449 §8.2)', () => {
  it("last window's nonce is accepted and the context carries the current one for the response", async () => {
    const auth = instance()
    const old = await nonceFrom(auth)
    vi.setSystemTime((NOW + 60) * 1000) // the next window
    const ctx = await auth.authenticate(request(old))
    const fresh = ctx?.dpop?.nonce
    expect(fresh).toBeDefined()
    expect(fresh).not.toBe(old)
    expect(await nonceFrom(auth)).toBe(fresh)
    // The fresh one is accepted without a further rollover.
    expect((await auth.authenticate(request(fresh)))?.dpop?.nonce).toBeUndefined()
  })

  it('a nonce two windows old is stale: use_dpop_nonce', async () => {
    const auth = instance()
    const old = await nonceFrom(auth)
    vi.setSystemTime((NOW + 120) * 1000)
    const err = await refusal(auth.authenticate(request(old)))
    expect(err.code).toBe('use_dpop_nonce')
    expect(err.toResponse().headers['dpop-nonce']).not.toBe(old)
  })

  it('window is configurable', async () => {
    const auth = instance({ secret: SECRET, window: '10m' })
    const nonce = await nonceFrom(auth)
    vi.setSystemTime((NOW + 300) * 1000)
    expect(await auth.authenticate(request(nonce))).not.toBeNull()
  })
})

describe('across instances, without shared state', () => {
  it('a nonce issued by one instance is accepted by another with the same secret', async () => {
    const one = instance()
    const two = instance()
    const nonce = await nonceFrom(one)
    expect(await nonceFrom(two)).toBe(nonce)
    expect(await two.authenticate(request(nonce))).not.toBeNull()
  })

  it('an instance with another secret refuses it (the nonce cannot be made without the secret)', async () => {
    const nonce = await nonceFrom(instance())
    const other = instance({ secret: new Uint8Array(32).fill(7) })
    const err = await refusal(other.authenticate(request(nonce)))
    expect(err.code).toBe('use_dpop_nonce')
  })
})

describe('start-up', () => {
  it.each([
    [{ secret: 'short' }, /at least 32 bytes/],
    [{ secret: new Uint8Array(31) }, /at least 32 bytes/],
    [{}, /at least 32 bytes/],
    [{ secret: SECRET, window: 0 }, /window must be at least 1 second/],
    [{ secret: SECRET, window: 'soon' }, /window/],
    [{ secret: SECRET, ttl: 60 }, /unknown option options\.dpop\.nonce\.ttl/],
    ['yes', /must be an object/],
  ])('%j is refused', (nonce, message) => {
    expect(() => instance(nonce as DpopNonceOptions)).toThrow(message)
  })
})
