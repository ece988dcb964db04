// DPoP server nonces (RFC 9449 §8, §9) and certificate-bound tokens from a trusted proxy's Client-Cert
// (RFC 8705 §3, RFC 9440) on every driver: Express 5/4, Koa 3/2, Hono on Node, and Hono in workerd.
// Every app is a separate instance: a nonce handed out by one is accepted by all (one shared secret).
import { createHmac } from 'node:crypto'
import type { AuthenticatorOptions } from '@tokengate/core'
import {
  clientCertHeader,
  dpopProof,
  jktOf,
  keysFor,
  makePki,
  signToken,
  type TestKeys,
  type TestPki,
} from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type {
  Driver,
  DriverRequest,
  DriverResponse,
  ProtectedBody,
  RunningApp,
} from '../support/drivers.js'
import { allDrivers } from '../support/workers.js'

const PUBLIC = 'https://api.example.test'
const HTU = `${PUBLIC}/protected`
const SECRET = 'conformance nonce secret, 32 bytes or more, shared'
const WINDOW = 60

let server: TestKeys
let client: TestKeys
let pki: TestPki
let dpopToken: string
let certToken: string

const SETUPS = {
  nonce: (): AuthenticatorOptions =>
    ({
      algorithms: ['ES256'],
      key: server.publicJwk,
      realm: 'api',
      dpop: { mode: 'required', origins: [PUBLIC], nonce: { secret: SECRET } },
    }) as AuthenticatorOptions,
  proxy: (): AuthenticatorOptions =>
    ({
      algorithms: ['ES256'],
      key: server.publicJwk,
      realm: 'api',
      trustProxy: true,
    }) as AuthenticatorOptions,
  direct: (): AuthenticatorOptions =>
    ({ algorithms: ['ES256'], key: server.publicJwk, realm: 'api' }) as AuthenticatorOptions,
}
type Setup = keyof typeof SETUPS

const running = new Map<string, Promise<RunningApp>>()
function app(driver: Driver, setup: Setup): Promise<RunningApp> {
  const id = `${driver.name} ${setup}`
  let started = running.get(id)
  if (!started) running.set(id, (started = driver.start({ options: SETUPS[setup]() })))
  return started
}

beforeAll(async () => {
  server = await keysFor('ES256', { kid: 'binding-server' })
  client = await keysFor('ES256', { label: 'binding-client' })
  pki = makePki()
  dpopToken = await signToken(
    { sub: 'alice', cnf: { jkt: await jktOf(client) } },
    { alg: 'ES256', key: server },
  )
  certToken = await signToken(
    { sub: 'alice', cnf: { 'x5t#S256': pki.client.x5tS256 } },
    { alg: 'ES256', key: server },
  )
})
afterAll(async () => {
  await Promise.all([...running.values()].map(async (a) => (await a).close()))
})

/** A fresh proof (new jti) for GET /protected, with `nonce` when given. */
const withProof = (nonce?: string): DriverRequest => ({
  path: '/protected',
  headers: {
    authorization: `DPoP ${dpopToken}`,
    dpop: dpopProof({
      key: client,
      htm: 'GET',
      htu: HTU,
      accessToken: dpopToken,
      ...(nonce !== undefined && { claims: { nonce } }),
    }),
  },
})

/**
 * The nonce of a window, computed as dpop/nonce.ts does, to send last window's nonce without waiting
 * a minute: `<window base 36>.<base64url of the first 16 bytes of HMAC-SHA-256(secret, label)>`.
 */
const nonceOf = (index: number) =>
  `${index.toString(36)}.${createHmac('sha256', SECRET)
    .update(`tokengate DPoP nonce ${index}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url')}`

function expectRefusal(res: DriverResponse, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  expect((res.body as { code?: string }).code).toBe(code)
}

describe.each(allDrivers.map((d) => [d.name, d] as const))('%s', (_name, driver) => {
  describe('DPoP server nonces (RFC 9449 §8, §9)', () => {
    it('a proof without nonce: 401 use_dpop_nonce, the DPoP challenge, and DPoP-Nonce', async () => {
      const res = await (await app(driver, 'nonce')).request(withProof())
      expectRefusal(res, 401, 'use_dpop_nonce')
      expect(res.headers['www-authenticate']).toMatch(/^DPoP realm="api", error="use_dpop_nonce", /)
      expect(res.headers['dpop-nonce']).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/)
    })

    it('the nonce handed out by another instance (Express 5) is accepted here', async () => {
      const issuer = await app(allDrivers[0]!, 'nonce')
      const nonce = (await issuer.request(withProof())).headers['dpop-nonce']!
      const res = await (await app(driver, 'nonce')).request(withProof(nonce))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect((res.body as ProtectedBody).payload?.sub).toBe('alice')
    })

    it("last window's nonce: 200, and the response carries the current one (§8.2)", async () => {
      const index = Math.floor(Date.now() / 1000 / WINDOW)
      const res = await (await app(driver, 'nonce')).request(withProof(nonceOf(index - 1)))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      // At a window edge the current index may have moved on by one since it was read here.
      expect([nonceOf(index), nonceOf(index + 1)]).toContain(res.headers['dpop-nonce'])
    })

    it('a nonce two windows old, or made up: use_dpop_nonce', async () => {
      const index = Math.floor(Date.now() / 1000 / WINDOW)
      const running = await app(driver, 'nonce')
      expectRefusal(await running.request(withProof(nonceOf(index - 2))), 401, 'use_dpop_nonce')
      expectRefusal(await running.request(withProof('made-up')), 401, 'use_dpop_nonce')
    })
  })

  describe('Client-Cert from a trusted proxy (RFC 8705 §3, RFC 9440)', () => {
    const get = async (setup: Setup, cert?: string) =>
      (await app(driver, setup)).request({
        path: '/protected',
        headers: {
          authorization: `Bearer ${certToken}`,
          ...(cert !== undefined && { 'client-cert': cert }),
        },
      })

    it('the bound certificate: 200', async () => {
      const res = await get('proxy', clientCertHeader(pki.client))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    })

    it('another certificate: 401 invalid_token client_certificate_mismatch', async () => {
      const res = await get('proxy', clientCertHeader(pki.otherClient))
      expectRefusal(res, 401, 'client_certificate_mismatch')
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
    })

    it('no header: 401 client_certificate_missing', async () => {
      expectRefusal(await get('proxy'), 401, 'client_certificate_missing')
    })

    it('a malformed header: 400 invalid_request', async () => {
      expectRefusal(await get('proxy', 'not-a-byte-sequence'), 400, 'invalid_request')
    })

    it('without trustProxy a spoofed header is ignored: 401 client_certificate_missing', async () => {
      expectRefusal(
        await get('direct', clientCertHeader(pki.client)),
        401,
        'client_certificate_missing',
      )
    })
  })
})
