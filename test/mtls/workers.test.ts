// Certificate-bound tokens on Cloudflare Workers: the conformance Hono app in workerd (miniflare),
// the certificate seen through request.cf.tlsClientAuth as Cloudflare sets it (hex SHA-256 of the DER).
import { createHash } from 'node:crypto'
import { keysFor, makePki, signToken, type TestKeys, type TestPki } from '@tokengate/testkit'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workerScript } from '../support/workers.js'

let pki: TestPki
let server: TestKeys
let bound: string
let mf: Miniflare

beforeAll(async () => {
  pki = makePki()
  server = await keysFor('ES256', { kid: 'server' })
  bound = await signToken(
    { sub: 'alice', cnf: { 'x5t#S256': pki.client.x5tS256 } },
    { alg: 'ES256', key: server },
  )
  mf = new Miniflare({
    modules: true,
    script: await workerScript(),
    compatibilityDate: '2025-01-01',
    bindings: {
      SPEC: JSON.stringify({ options: { algorithms: ['ES256'], key: server.publicJwk } }),
    },
  })
  await mf.ready
}, 60_000)
afterAll(async () => {
  await mf?.dispose()
})

/** What Cloudflare's edge puts in request.cf.tlsClientAuth for a presented certificate. */
const presented = (der: Uint8Array) => ({
  certPresented: '1',
  certVerified: 'SUCCESS',
  certFingerprintSHA256: createHash('sha256').update(der).digest('hex'),
})
/** ...and when none was presented (Cloudflare's placeholder values). */
const absent = { certPresented: '0', certVerified: 'NONE', certFingerprintSHA256: '' }

async function call(tlsClientAuth: Record<string, string> | undefined, token = bound) {
  const res = await mf.dispatchFetch('https://api.example.test/protected', {
    headers: { authorization: `Bearer ${token}` },
    ...(tlsClientAuth && { cf: { tlsClientAuth } }),
  })
  return {
    status: res.status,
    body: (await res.json()) as { code?: string; payload?: { sub?: string } },
  }
}

describe('workerd: request.cf.tlsClientAuth (RFC 8705 §3)', () => {
  it('runs in workerd', async () => {
    const res = await mf.dispatchFetch('https://api.example.test/__runtime')
    expect(await res.text()).toBe('Cloudflare-Workers')
  })

  it('the bound certificate: 200', async () => {
    const res = await call(presented(pki.client.der))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.payload?.sub).toBe('alice')
  })

  it('another certificate: 401 client_certificate_mismatch', async () => {
    const res = await call(presented(pki.otherClient.der))
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('client_certificate_mismatch')
  })

  it('no certificate (placeholders, or no tlsClientAuth at all): 401 client_certificate_missing', async () => {
    expect((await call(absent)).body.code).toBe('client_certificate_missing')
    expect((await call(undefined)).body.code).toBe('client_certificate_missing')
  })

  it('an unbound token needs no certificate', async () => {
    const unbound = await signToken({ sub: 'bob' }, { alg: 'ES256', key: server })
    expect((await call(undefined, unbound)).status).toBe(200)
  })
})
