// Certificate-bound tokens (RFC 8705 §3): the socket, a trusted proxy's Client-Cert header (RFC 9440),
// Cloudflare's cf.tlsClientAuth, required mode, DPoP together, and every refusal with its code.
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
import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { AuthError } from '../errors.js'
import type { AuthenticatorOptions, RequestLike } from '../types.js'

const URL_ = 'https://api.example.com/orders'
let server: TestKeys
let pki: TestPki
let bound: string
let unbound: string

beforeAll(async () => {
  server = await keysFor('ES256', { kid: 'server' })
  pki = makePki()
  bound = await signToken(
    { sub: 'alice', cnf: { 'x5t#S256': pki.client.x5tS256 } },
    { alg: 'ES256', key: server },
  )
  unbound = await signToken({ sub: 'bob' }, { alg: 'ES256', key: server })
})

function auth(extra: Partial<AuthenticatorOptions> = {}) {
  return createAuthenticator({
    algorithms: ['ES256'],
    key: server.publicJwk,
    ...extra,
  } as AuthenticatorOptions)
}

function req(
  token: string,
  extra: Partial<RequestLike> = {},
  headers: Record<string, string> = {},
): RequestLike {
  return {
    method: 'GET',
    url: URL_,
    headers: { authorization: `Bearer ${token}`, ...headers },
    ...extra,
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

describe('the TLS client certificate (RequestLike.clientCertificate)', () => {
  it('the certificate of the thumbprint: accepted, ctx.mtls.x5tS256 set (RFC 8705 §3.1)', async () => {
    const ctx = await auth().authenticate(req(bound, { clientCertificate: pki.client.der }))
    expect(ctx?.mtls).toEqual({ x5tS256: pki.client.x5tS256 })
  })

  it('a function source is read for a bound token, and never for an unbound one', async () => {
    let reads = 0
    const clientCertificate = () => {
      reads++
      return pki.client.der
    }
    const a = auth()
    expect((await a.authenticate(req(unbound, { clientCertificate })))?.mtls).toBeUndefined()
    expect(reads).toBe(0)
    await a.authenticate(req(bound, { clientCertificate: async () => pki.client.der }))
    await a.authenticate(req(bound, { clientCertificate }))
    expect(reads).toBe(1)
  })

  it.each<[string, () => Uint8Array | undefined, string]>([
    [
      'another certificate of the same CA',
      () => pki.otherClient.der,
      'client_certificate_mismatch',
    ],
    ['a self-signed certificate', () => pki.selfSigned.der, 'client_certificate_mismatch'],
    ['no certificate', () => undefined, 'client_certificate_missing'],
    ['an empty certificate', () => new Uint8Array(0), 'client_certificate_missing'],
    [
      'a source that throws (socket gone)',
      () => {
        throw new Error('socket closed')
      },
      'client_certificate_missing',
    ],
  ])('%s: 401 invalid_token %s (RFC 8705 §3)', async (_name, source, code) => {
    const err = await refusal(auth().authenticate(req(bound, { clientCertificate: source })))
    expect(err.code).toBe(code)
    expect(err.status).toBe(401)
    expect(err.error).toBe('invalid_token')
    expect(err.challenge).toMatch(/^Bearer error="invalid_token"/)
  })

  it('a bound token is checked without options.mtls: binding is never silently skipped', async () => {
    const err = await refusal(auth().authenticate(req(bound)))
    expect(err.code).toBe('client_certificate_missing')
  })

  it('the cache does not carry the binding over: each request shows its own certificate', async () => {
    const a = auth({ cache: { max: 10 } })
    expect(await a.authenticate(req(bound, { clientCertificate: pki.client.der }))).not.toBeNull()
    const err = await refusal(
      a.authenticate(req(bound, { clientCertificate: pki.otherClient.der })),
    )
    expect(err.code).toBe('client_certificate_mismatch')
  })

  it('a cnf x5t#S256 that is not a string is claim_invalid', async () => {
    const odd = await signToken(
      { sub: 'x', cnf: { 'x5t#S256': 42 } },
      { alg: 'ES256', key: server },
    )
    const err = await refusal(auth().authenticate(req(odd, { clientCertificate: pki.client.der })))
    expect(err.code).toBe('claim_invalid')
  })
})

describe('mtls.required', () => {
  it('refuses an unbound token: 401 certificate_binding_required, even with a certificate', async () => {
    const err = await refusal(
      auth({ mtls: { required: true } }).authenticate(
        req(unbound, { clientCertificate: pki.client.der }),
      ),
    )
    expect(err.code).toBe('certificate_binding_required')
    expect(err.error).toBe('invalid_token')
  })

  it('accepts a bound token with its certificate', async () => {
    const ctx = await auth({ mtls: { required: true } }).authenticate(
      req(bound, { clientCertificate: pki.client.der }),
    )
    expect(ctx?.mtls?.x5tS256).toBe(pki.client.x5tS256)
  })
})

describe('Client-Cert from a TLS-terminating proxy (RFC 9440)', () => {
  const header = (cert = pki.client) => ({ 'client-cert': clientCertHeader(cert) })

  it('ignored unless trusted: a spoofed header matching the token does not bind it', async () => {
    const err = await refusal(auth().authenticate(req(bound, {}, header())))
    expect(err.code).toBe('client_certificate_missing')
    // ...nor replace the real socket certificate.
    const err2 = await refusal(
      auth().authenticate(req(bound, { clientCertificate: pki.otherClient.der }, header())),
    )
    expect(err2.code).toBe('client_certificate_mismatch')
  })

  it('read with trustProxy: true (the default header name client-cert)', async () => {
    const ctx = await auth({ trustProxy: true }).authenticate(req(bound, {}, header()))
    expect(ctx?.mtls?.x5tS256).toBe(pki.client.x5tS256)
  })

  it('read with an explicit mtls.clientCertHeader, in place of the socket (the proxy is the peer)', async () => {
    const a = auth({ mtls: { clientCertHeader: 'X-Client-Cert' } })
    expect(
      await a.authenticate(
        req(
          bound,
          { clientCertificate: pki.otherClient.der },
          { 'x-client-cert': clientCertHeader(pki.client) },
        ),
      ),
    ).not.toBeNull()
    const err = await refusal(a.authenticate(req(bound, { clientCertificate: pki.client.der })))
    expect(err.code).toBe('client_certificate_missing')
  })

  it('clientCertHeader: false ignores it even with trustProxy', async () => {
    const a = auth({ trustProxy: true, mtls: { clientCertHeader: false } })
    expect(
      await a.authenticate(
        req(bound, { clientCertificate: pki.client.der }, header(pki.otherClient)),
      ),
    ).not.toBeNull()
  })

  it('another certificate in the header: client_certificate_mismatch', async () => {
    const err = await refusal(
      auth({ trustProxy: true }).authenticate(req(bound, {}, header(pki.otherClient))),
    )
    expect(err.code).toBe('client_certificate_mismatch')
  })

  it.each([
    ['not a byte sequence', 'MIIB'],
    ['URL-encoded PEM (nginx $ssl_client_escaped_cert)', '-----BEGIN%20CERTIFICATE-----'],
    ['base64url instead of base64', ':MIIB-_x:'],
    ['bad padding', ':MIIBA=:'],
    ['two certificates joined by a proxy', ':MIIB:, :MIIB:'],
    ['bytes that are not a DER SEQUENCE', `:${Buffer.from('hello').toString('base64')}:`],
    ['an oversized value', `:${'A'.repeat(40_000)}:`],
  ])('malformed (%s): 400 invalid_request, never a 500', async (_name, value) => {
    const err = await refusal(
      auth({ trustProxy: true }).authenticate(req(bound, {}, { 'client-cert': value })),
    )
    expect(err.code).toBe('invalid_request')
    expect(err.status).toBe(400)
  })

  it('a repeated header is refused (400)', async () => {
    const value = clientCertHeader(pki.client)
    const err = await refusal(
      auth({ trustProxy: true }).authenticate({
        method: 'GET',
        url: URL_,
        headers: { authorization: `Bearer ${bound}`, 'client-cert': [value, value] },
      }),
    )
    expect(err.code).toBe('invalid_request')
  })
})

describe('Cloudflare Workers: request.cf.tlsClientAuth', () => {
  const hex = (der: Uint8Array) => createHash('sha256').update(der).digest('hex')
  const cfRequest = (token: string, tlsClientAuth: Record<string, unknown>) =>
    Object.assign(new Request(URL_, { headers: { authorization: `Bearer ${token}` } }), {
      cf: { tlsClientAuth },
    })

  it('certFingerprintSHA256 (hex SHA-256 of the DER) matches x5t#S256 (base64url), in either case', async () => {
    const fingerprint = hex(pki.client.der)
    for (const value of [fingerprint, fingerprint.toUpperCase()]) {
      const ctx = await auth().authenticate(
        cfRequest(bound, {
          certPresented: '1',
          certVerified: 'SUCCESS',
          certFingerprintSHA256: value,
        }),
      )
      expect(ctx?.mtls?.x5tS256).toBe(pki.client.x5tS256)
    }
  })

  it('another fingerprint: mismatch; no certificate presented (placeholders): missing', async () => {
    const other = hex(pki.otherClient.der)
    expect(
      (
        await refusal(
          auth().authenticate(
            cfRequest(bound, { certPresented: '1', certFingerprintSHA256: other }),
          ),
        )
      ).code,
    ).toBe('client_certificate_mismatch')
    expect(
      (
        await refusal(
          auth().authenticate(cfRequest(bound, { certPresented: '0', certFingerprintSHA256: '' })),
        )
      ).code,
    ).toBe('client_certificate_missing')
  })
})

describe('DPoP and mTLS on one token', () => {
  it('a token with cnf.jkt and cnf x5t#S256 needs both the proof and the certificate', async () => {
    const client = await keysFor('ES256', { label: 'dpop-client' })
    const both = await signToken(
      { sub: 'alice', cnf: { jkt: await jktOf(client), 'x5t#S256': pki.client.x5tS256 } },
      { alg: 'ES256', key: server },
    )
    const a = auth({ dpop: { mode: 'allowed', origins: ['https://api.example.com'] } })
    const dpopReq = (clientCertificate?: Uint8Array): RequestLike => ({
      method: 'GET',
      url: URL_,
      headers: {
        authorization: `DPoP ${both}`,
        dpop: dpopProof({ key: client, htm: 'GET', htu: URL_, accessToken: both }),
      },
      ...(clientCertificate && { clientCertificate }),
    })
    const ctx = await a.authenticate(dpopReq(pki.client.der))
    expect(ctx?.dpop?.jkt).toBe(await jktOf(client))
    expect(ctx?.mtls?.x5tS256).toBe(pki.client.x5tS256)
    expect((await refusal(a.authenticate(dpopReq()))).code).toBe('client_certificate_missing')
    expect(
      (await refusal(a.authenticate(req(both, { clientCertificate: pki.client.der })))).code,
    ).toBe('dpop_required')
  })
})

describe('start-up', () => {
  it.each([
    ['yes', /options\.mtls must be an object/],
    [{ required: 'yes' }, /options\.mtls\.required must be true or false/],
    [{ clientCertHeader: 'bad header' }, /clientCertHeader must be a header name/],
    [{ clientCertHeader: true }, /clientCertHeader must be a header name/],
    [{ require: true }, /unknown option options\.mtls\.require/],
  ])('%j is refused', (mtls, message) => {
    expect(() => auth({ mtls } as Partial<AuthenticatorOptions>)).toThrow(message)
  })
})

// Issue 12 "Also", for a reader added since: headers are own properties only. A polluted
// Object.prototype['client-cert'] is not a certificate the proxy forwarded (RFC 9440 §4).
describe('a polluted Object.prototype is no Client-Cert header', () => {
  it('Object.prototype["client-cert"] with the bound certificate: client_certificate_missing', async () => {
    const proto = Object.prototype as Record<string, unknown>
    const a = auth({ trustProxy: true })
    try {
      proto['client-cert'] = clientCertHeader(pki.client)
      const err = await refusal(a.authenticate(req(bound)))
      expect(err.code).toBe('client_certificate_missing')
    } finally {
      delete proto['client-cert']
    }
  })
})
