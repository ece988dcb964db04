// @tokengate/core inside a real Workers runtime (workerd via miniflare): bundled for the browser-like
// conditions, verifying tokens there and returning the results to the test.
import { fileURLToPath } from 'node:url'
import { encryptToken, foreignEncrypt, keysFor, signToken, tamper } from '@tokengate/testkit'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenIssuer } from '../src/issuing/issue.js'

// The worker: POST { options, token, method?, headers? } -> the context, or the AuthError's code/status.
const WORKER = `
import { createAuthenticator, isAuthError } from './index.ts'
const authenticators = new Map()
export default {
  async fetch(request) {
    if (request.method === 'GET') return new Response(navigator.userAgent)
    const { options, token, headers = {} } = await request.json()
    const key = JSON.stringify(options)
    let authenticator = authenticators.get(key)
    if (!authenticator) authenticators.set(key, (authenticator = createAuthenticator(options)))
    try {
      const ctx = await authenticator.authenticate({
        method: 'GET',
        url: request.url,
        headers: new Headers({ authorization: 'Bearer ' + token, ...headers }),
      })
      return Response.json({ ok: true, ctx })
    } catch (err) {
      if (isAuthError(err)) return Response.json({ ok: false, code: err.code, status: err.status })
      return Response.json({ ok: false, crash: String(err) })
    }
  },
}
`

let mf: Miniflare

beforeAll(async () => {
  const result = await build({
    stdin: {
      contents: WORKER,
      loader: 'js',
      resolveDir: fileURLToPath(new URL('../src', import.meta.url)),
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@tokengate/source', 'workerd', 'worker', 'browser'],
    write: false,
    logLevel: 'silent',
  })
  mf = new Miniflare({
    modules: true,
    script: result.outputFiles[0]!.text,
    compatibilityDate: '2025-01-01',
  })
  await mf.ready
})

afterAll(async () => {
  await mf?.dispose()
})

async function inWorker(body: unknown): Promise<Record<string, any>> {
  const res = await mf.dispatchFetch('https://api.example.com/x', {
    method: 'POST',
    body: JSON.stringify(body),
  })
  return (await res.json()) as Record<string, any>
}

describe('@tokengate/core on workerd', () => {
  it('runs inside workerd', async () => {
    expect(await (await mf.dispatchFetch('https://api.example.com/')).text()).toBe(
      'Cloudflare-Workers',
    )
  })

  it('verifies an HS256 token', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!'
    const hs = await keysFor('HS256')
    const token = await signToken(
      { sub: 'alice', scope: 'read write' },
      { alg: 'HS256', key: new TextEncoder().encode(secret), kid: hs.kid },
    )
    const result = await inWorker({ options: { algorithms: ['HS256'], key: secret }, token })
    expect(result).toMatchObject({
      ok: true,
      ctx: {
        source: 'header',
        payload: { sub: 'alice' },
        protectedHeader: { alg: 'HS256' },
        scopes: ['read', 'write'],
      },
    })
  })

  it('verifies an ES256 token with a PEM key and with a JWKS', async () => {
    const es = await keysFor('ES256')
    const token = await signToken({ sub: 'bob', roles: ['admin'] }, { alg: 'ES256', key: es })
    for (const key of [es.publicPem, { jwks: { keys: [es.publicJwk] } }]) {
      const result = await inWorker({ options: { algorithms: ['ES256'], key }, token })
      expect(result).toMatchObject({
        ok: true,
        ctx: {
          payload: { sub: 'bob' },
          roles: ['admin'],
          protectedHeader: { alg: 'ES256', kid: es.kid },
        },
      })
    }
  })

  it('verifies a nested JWE (ECDH-ES+A256KW around an ES256 JWS)', async () => {
    const [es, enc] = await Promise.all([keysFor('ES256'), keysFor('ECDH-ES+A256KW')])
    const jws = await signToken({ sub: 'carol' }, { alg: 'ES256', key: es })
    const token = await encryptToken(jws, { alg: 'ECDH-ES+A256KW', key: enc, cty: 'JWT' })
    const result = await inWorker({
      options: {
        algorithms: ['ES256'],
        key: es.publicJwk,
        decrypt: { keys: enc.privateJwk, keyManagementAlgorithms: ['ECDH-ES+A256KW'] },
      },
      token,
    })
    expect(result).toMatchObject({
      ok: true,
      ctx: {
        payload: { sub: 'carol' },
        encryption: { protectedHeader: { alg: 'ECDH-ES+A256KW' } },
      },
    })
  })

  it('decrypts a createTokenIssuer nested token with a PKCS#8 PEM (RSA-OAEP-256, A128CBC-HS256), cty at+jwt from node-jose too, and refuses tampering and zip', async () => {
    const [es, rsa] = await Promise.all([keysFor('ES256'), keysFor('RSA-OAEP-256')])
    const issuer = createTokenIssuer({
      signingKey: es.privatePem!,
      alg: 'ES256',
      expiresIn: '5m',
      encryptTo: { key: rsa.publicPem!, alg: 'RSA-OAEP-256', enc: 'A128CBC-HS256', kid: rsa.kid },
    })
    const options = {
      algorithms: ['ES256'],
      key: es.publicPem,
      decrypt: { keys: rsa.privatePem, keyManagementAlgorithms: ['RSA-OAEP-256'], required: true },
    }
    const token = await issuer.issue({ sub: 'dana' })
    expect(await inWorker({ options, token })).toMatchObject({
      ok: true,
      ctx: {
        payload: { sub: 'dana' },
        encryption: { protectedHeader: { alg: 'RSA-OAEP-256', enc: 'A128CBC-HS256', cty: 'JWT' } },
      },
    })
    const foreign = await foreignEncrypt(
      await signToken({ sub: 'ed' }, { alg: 'ES256', key: es }),
      {
        alg: 'RSA-OAEP-256',
        jwk: rsa.publicJwk,
        cty: 'at+jwt',
      },
    )
    expect(await inWorker({ options, token: foreign })).toMatchObject({
      ok: true,
      ctx: { payload: { sub: 'ed' } },
    })
    const zipped = await encryptToken(await signToken({ sub: 'z' }, { alg: 'ES256', key: es }), {
      alg: 'RSA-OAEP-256',
      key: rsa,
      zip: 'DEF',
    })
    for (const [bad, code] of [
      [tamper(token, 3), 'decryption_failed'],
      [zipped, 'alg_not_allowed'],
    ] as const) {
      expect(await inWorker({ options, token: bad })).toEqual({ ok: false, code, status: 401 })
    }
  })

  it.each<[string, () => Promise<[unknown, string]>, string, number]>([
    [
      'an expired token',
      async () => {
        const es = await keysFor('ES256')
        return [
          { algorithms: ['ES256'], key: es.publicJwk },
          await signToken({ sub: 'x' }, { alg: 'ES256', key: es, exp: 1000, iat: 900 }),
        ]
      },
      'token_expired',
      401,
    ],
    [
      'a bad signature',
      async () => {
        const [es, other] = await Promise.all([
          keysFor('ES256'),
          keysFor('ES256', { label: 'other' }),
        ])
        return [
          { algorithms: ['ES256'], key: es.publicJwk },
          await signToken({ sub: 'x' }, { alg: 'ES256', key: other }),
        ]
      },
      'signature_invalid',
      401,
    ],
    [
      'alg not allowed',
      async () => {
        const hs = await keysFor('HS256')
        return [
          { algorithms: ['HS384'], key: 'k'.repeat(48) },
          await signToken({ sub: 'x' }, { alg: 'HS256', key: hs }),
        ]
      },
      'alg_not_allowed',
      401,
    ],
  ])('refuses %s with the same code as on Node', async (_name, make, code, status) => {
    const [options, token] = await make()
    expect(await inWorker({ options, token })).toEqual({ ok: false, code, status })
  })
})
