// Certificate-bound tokens behind a real TLS-terminating proxy: HAProxy passes the client certificate
// as RFC 9440 Client-Cert to Express, Koa and Hono on plain HTTP, which trust it (trustProxy).
import type { AuthenticatorOptions } from '@tokengate/core'
import {
  clientCertHeader,
  keysFor,
  makePki,
  signToken,
  type TestKeys,
  type TestPki,
} from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHaproxy, type Proxy } from './haproxy.js'
import { frameworks, startPlain, tlsGet, type Framework } from './tls.js'

const names = Object.keys(frameworks) as Framework[]
let pki: TestPki
let server: TestKeys
let bound: string
let proxy: Proxy | undefined
const apps: { port: number; close(): Promise<void> }[] = []

beforeAll(async () => {
  pki = makePki()
  server = await keysFor('ES256', { kid: 'server' })
  bound = await signToken(
    { sub: 'alice', cnf: { 'x5t#S256': pki.client.x5tS256 } },
    { alg: 'ES256', key: server },
  )
  const options = {
    algorithms: ['ES256'],
    key: server.publicJwk,
    // The proxy is the only way in, sets Client-Cert and removes the client's (RFC 9440 §4).
    trustProxy: true,
  } as AuthenticatorOptions
  for (const name of names) apps.push(await startPlain(name, options))
  proxy = await startHaproxy(
    pki,
    apps.map((app) => app.port),
  )
})
afterAll(async () => {
  await proxy?.stop()
  await Promise.all(apps.map((app) => app.close()))
})

describe.each(names.map((name, i) => [name, i] as const))('%s behind HAProxy', (_name, i) => {
  const get = (cert: typeof pki.client | undefined, headers: Record<string, string> = {}) =>
    tlsGet(proxy!.ports[i]!, '/protected', pki, cert, {
      authorization: `Bearer ${bound}`,
      ...headers,
    })

  it('the bound certificate, passed on as Client-Cert: 200', async () => {
    const res = await get(pki.client)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.payload?.sub).toBe('alice')
  })

  it('another certificate: 401 client_certificate_mismatch', async () => {
    const res = await get(pki.otherClient)
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('client_certificate_mismatch')
  })

  it('no certificate: 401 client_certificate_missing', async () => {
    const res = await get(undefined)
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('client_certificate_missing')
  })

  it("a client's own Client-Cert is removed by the proxy: no certificate, or its real one, counts", async () => {
    const spoof = { 'client-cert': clientCertHeader(pki.client) }
    expect((await get(undefined, spoof)).body.code).toBe('client_certificate_missing')
    expect((await get(pki.otherClient, spoof)).body.code).toBe('client_certificate_mismatch')
  })
})
