// Certificate-bound tokens (RFC 8705 §3) over real TLS: Express, Koa and Hono (node-server) on HTTPS
// servers asking for a client certificate; clients with the right one, another one, a self-signed
// one, and none.
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
import { frameworks, startTls, tlsGet, type Framework } from './tls.js'

let pki: TestPki
let server: TestKeys
const tokens: Record<string, string> = {}
const running: { close(): Promise<void> }[] = []

beforeAll(async () => {
  pki = makePki()
  server = await keysFor('ES256', { kid: 'server' })
  const sign = (claims: Record<string, unknown>) =>
    signToken({ sub: 'alice', ...claims }, { alg: 'ES256', key: server })
  tokens.client = await sign({ cnf: { 'x5t#S256': pki.client.x5tS256 } })
  tokens.selfSigned = await sign({ cnf: { 'x5t#S256': pki.selfSigned.x5tS256 } })
  tokens.unbound = await sign({})
})
afterAll(async () => {
  await Promise.all(running.map((r) => r.close()))
})

const options = (extra: Partial<AuthenticatorOptions> = {}) =>
  ({ algorithms: ['ES256'], key: server.publicJwk, realm: 'api', ...extra }) as AuthenticatorOptions

describe.each(Object.keys(frameworks) as Framework[])(
  '%s on HTTPS (requestCert, rejectUnauthorized: false)',
  (framework) => {
    let port: number
    let requiredPort: number
    beforeAll(async () => {
      const app = await startTls(framework, options(), pki)
      const required = await startTls(framework, options({ mtls: { required: true } }), pki)
      running.push(app, required)
      port = app.port
      requiredPort = required.port
    })
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

    it('the bound client certificate: 200', async () => {
      const res = await tlsGet(port, '/protected', pki, pki.client, bearer(tokens.client!))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.payload?.sub).toBe('alice')
    })

    it('another certificate of the same CA: 401 invalid_token client_certificate_mismatch', async () => {
      const res = await tlsGet(port, '/protected', pki, pki.otherClient, bearer(tokens.client!))
      expect(res.status).toBe(401)
      expect(res.body.code).toBe('client_certificate_mismatch')
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
    })

    it('no certificate: 401 invalid_token client_certificate_missing', async () => {
      const res = await tlsGet(port, '/protected', pki, undefined, bearer(tokens.client!))
      expect(res.status).toBe(401)
      expect(res.body.code).toBe('client_certificate_missing')
    })

    it('a self-signed certificate the token is bound to: 200 (binding, not PKI, RFC 8705 §2.2)', async () => {
      const res = await tlsGet(port, '/protected', pki, pki.selfSigned, bearer(tokens.selfSigned!))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
    })

    it('a spoofed Client-Cert header naming the bound certificate is ignored (not a trusted proxy)', async () => {
      const res = await tlsGet(port, '/protected', pki, undefined, {
        ...bearer(tokens.client!),
        'client-cert': clientCertHeader(pki.client),
      })
      expect(res.status).toBe(401)
      expect(res.body.code).toBe('client_certificate_missing')
    })

    it('an unbound token needs no certificate (mtls.required off)', async () => {
      expect(
        (await tlsGet(port, '/protected', pki, undefined, bearer(tokens.unbound!))).status,
      ).toBe(200)
    })

    it('mtls.required: an unbound token is refused even with a certificate; a bound one passes', async () => {
      const res = await tlsGet(requiredPort, '/protected', pki, pki.client, bearer(tokens.unbound!))
      expect(res.status).toBe(401)
      expect(res.body.code).toBe('certificate_binding_required')
      expect(
        (await tlsGet(requiredPort, '/protected', pki, pki.client, bearer(tokens.client!))).status,
      ).toBe(200)
    })
  },
)
