// Token introspection (RFC 7662) against a real authorization server (oidc-provider on 127.0.0.1)
// issuing real opaque tokens: each client authentication method, the signed answer (RFC 9701),
// inactive tokens, the claim rules, the cache (counted by the server's calls), single-flight, and the
// endpoint slow, down or answering garbage (503 with Retry-After, never 401, never an accept).
import { createServer, type Server } from 'node:http'
import { inspect } from 'node:util'
import { AuthError, createAuthenticator, type AuthenticatorOptions } from '@tokengate/core'
import { dpopProof, jktOf, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  API_RESOURCE,
  RS_CLIENTS,
  refusedUrl,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/authorization-server.js'
import { closeServer, listen } from '../support/http.js'

let as: AuthorizationServer
let local: TestKeys
beforeAll(async () => {
  as = await startAuthorizationServer()
  local = await keysFor('ES256', { kid: 'local' })
})
afterAll(() => as.close())
afterEach(() => {
  as.fault = 'none'
  vi.useRealTimers()
})

const basicClient = { id: RS_CLIENTS.basic.id, secret: RS_CLIENTS.basic.secret }

/** An authenticator for the server's opaque tokens (and local ES256 JWTs), audience the API. */
function authenticator(
  introspection: Partial<NonNullable<AuthenticatorOptions['introspection']>> = {},
  extra: Partial<AuthenticatorOptions> = {},
) {
  return createAuthenticator({
    algorithms: ['RS256'],
    key: { discovery: as.issuer },
    audience: API_RESOURCE,
    ...extra,
    introspection: { client: basicClient, ...introspection },
  } as AuthenticatorOptions)
}

const request = (token: string, scheme = 'Bearer', headers: Record<string, string> = {}) => ({
  method: 'GET',
  url: '/orders',
  headers: { authorization: `${scheme} ${token}`, ...headers },
})

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(err)}`)
  return err
}

describe('client authentication to the endpoint (RFC 7662 §2.1)', () => {
  it.each([
    ['client_secret_basic (RFC 6749 §2.3.1)', () => ({ client: basicClient })],
    [
      'client_secret_post (RFC 6749 §2.3.1)',
      () => ({ client: { ...RS_CLIENTS.post, auth: 'client_secret_post' as const } }),
    ],
    [
      'private_key_jwt (RFC 7523 §2.2, aud = the issuer)',
      () => ({
        client: {
          id: RS_CLIENTS.privateKeyJwt.id,
          auth: 'private_key_jwt' as const,
          key: as.rsPrivateJwk,
        },
      }),
    ],
    [
      'a signed answer (RFC 9701), verified with the issuer keys',
      () => ({ client: RS_CLIENTS.jwtResponse, jwtResponse: true }),
    ],
  ])('%s: an opaque token is accepted with the answer as its claims', async (_name, options) => {
    const auth = authenticator(options())
    const token = await as.token({ scope: 'orders:read' })
    const ctx = await auth.authenticate(request(token))
    expect(ctx?.introspected).toBe(true)
    expect(ctx?.payload).toMatchObject({
      active: true,
      client_id: 'app',
      iss: as.issuer,
      aud: API_RESOURCE,
      scope: 'orders:read',
      token_type: 'Bearer',
    })
    expect(ctx?.scopes).toEqual(['orders:read'])
    expect(ctx?.protectedHeader).toEqual({})
    expect(Object.isFrozen(ctx)).toBe(true)
  })

  it('a wrong client secret is 503 introspection_unavailable, and the secret is nowhere in the error', async () => {
    const secret = 'wrong-secret-that-must-never-leak-0123456789'
    const auth = authenticator({ client: { id: RS_CLIENTS.basic.id, secret } })
    const err = await refusal(auth.authenticate(request(await as.token())))
    expect(err.code).toBe('introspection_unavailable')
    expect(err.status).toBe(503)
    const rendered = [
      inspect(err, { depth: 10 }),
      JSON.stringify(err.toResponse()),
      String((err.cause as Error).message),
    ].join('\n')
    expect(rendered).toContain('HTTP 401')
    expect(rendered).not.toContain(secret)
    expect(rendered).not.toContain(
      Buffer.from(`${RS_CLIENTS.basic.id}:${secret}`).toString('base64'),
    )
  })

  it('the endpoint is found through discovery (introspection_endpoint on the issuer origin)', async () => {
    const auth = authenticator()
    const calls = as.introspectionCalls
    await expect(auth.authenticate(request(await as.token()))).resolves.toMatchObject({
      introspected: true,
    })
    expect(as.introspectionCalls).toBe(calls + 1)
  })

  it('an explicit endpoint works with a local key (no discovery)', async () => {
    const auth = createAuthenticator({
      algorithms: ['ES256'],
      key: local.publicJwk,
      issuer: as.issuer,
      introspection: { endpoint: as.introspectionEndpoint, client: basicClient },
    })
    await expect(auth.authenticate(request(await as.token()))).resolves.toMatchObject({
      payload: { client_id: 'app' },
    })
  })
})

describe('inactive tokens and the claim rules (RFC 7662 §2.2)', () => {
  it('a token revoked at the server (RFC 7009) is 401 token_inactive', async () => {
    const auth = authenticator({ cache: false })
    const token = await as.token()
    await expect(auth.authenticate(request(token))).resolves.toBeTruthy()
    await as.revoke(token)
    const err = await refusal(auth.authenticate(request(token)))
    expect([err.code, err.status, err.error]).toEqual(['token_inactive', 401, 'invalid_token'])
    expect(err.challenge).toMatch(/^Bearer error="invalid_token"/)
  })

  it('a token the server never issued is 401 token_inactive', async () => {
    const err = await refusal(
      authenticator().authenticate(request('never-issued-0123456789abcdef')),
    )
    expect(err.code).toBe('token_inactive')
  })

  it('aud: an answer for another audience is 401 claim_invalid (RFC 7519 §4.1.3)', async () => {
    const auth = authenticator({}, { audience: 'https://other.example.test' })
    const err = await refusal(auth.authenticate(request(await as.token())))
    expect([err.code, err.description]).toEqual([
      'claim_invalid',
      'claim aud does not include this audience',
    ])
  })

  it('iss: an answer naming another issuer is 401 claim_invalid', async () => {
    const auth = authenticator()
    const token = await as.token()
    as.fault = 'other-issuer'
    const err = await refusal(auth.authenticate(request(token)))
    expect([err.code, err.description]).toEqual([
      'claim_invalid',
      'claim iss is not an accepted issuer',
    ])
  })

  it('exp: an answer whose exp has passed is 401 token_expired', async () => {
    const exp = Math.floor(Date.now() / 1000) - 60
    as.fault = {
      contentType: 'application/json',
      body: JSON.stringify({ active: true, exp, iss: as.issuer, aud: API_RESOURCE }),
    }
    const err = await refusal(authenticator().authenticate(request('answered-by-the-fault-0001')))
    expect(err.code).toBe('token_expired')
  })

  it('requireExp: an answer without exp is refused unless requireExp is false', async () => {
    as.fault = {
      contentType: 'application/json',
      body: JSON.stringify({ active: true, iss: as.issuer, aud: API_RESOURCE }),
    }
    expect(
      (await refusal(authenticator().authenticate(request('no-exp-token-0001')))).description,
    ).toMatch(/claim exp is required/)
    await expect(
      authenticator({}, { requireExp: false }).authenticate(request('no-exp-token-0002')),
    ).resolves.toMatchObject({ payload: { iss: as.issuer } })
  })

  it('nbf: an answer not valid yet is 401 token_not_yet_valid', async () => {
    const nbf = Math.floor(Date.now() / 1000) + 600
    as.fault = {
      contentType: 'application/json',
      body: JSON.stringify({
        active: true,
        nbf,
        exp: nbf + 600,
        iss: as.issuer,
        aud: API_RESOURCE,
      }),
    }
    expect((await refusal(authenticator().authenticate(request('nbf-token-0001')))).code).toBe(
      'token_not_yet_valid',
    )
  })

  it('an answer without iss is taken as the issuer itself (RFC 7662 §2.2 iss is optional)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600
    as.fault = {
      contentType: 'application/json',
      body: JSON.stringify({ active: true, exp, aud: API_RESOURCE }),
    }
    await expect(authenticator().authenticate(request('no-iss-0001'))).resolves.toMatchObject({
      payload: { iss: as.issuer },
    })
  })

  it.each([
    ['token_type refresh_token', { token_type: 'refresh_token' }],
    ["Hydra's token_use refresh_token", { token_use: 'refresh_token' }],
  ])('a refresh token is never an access token: %s is 401 claim_invalid', async (_name, extra) => {
    const exp = Math.floor(Date.now() / 1000) + 600
    as.fault = {
      contentType: 'application/json',
      body: JSON.stringify({ active: true, exp, iss: as.issuer, aud: API_RESOURCE, ...extra }),
    }
    expect((await refusal(authenticator().authenticate(request('refresh-0001')))).code).toBe(
      'claim_invalid',
    )
  })

  it('the zod claims schema runs on the answer; its output is the payload', async () => {
    const schema = z.object({ client_id: z.string(), scope: z.string() })
    const auth = authenticator({}, { claims: schema } as Partial<AuthenticatorOptions>)
    const ctx = await auth.authenticate(request(await as.token({ scope: 'orders:read' })))
    expect(ctx?.payload).toEqual({ client_id: 'app', scope: 'orders:read' })
    const strict = authenticator({}, {
      claims: z.object({ sub: z.string() }),
    } as Partial<AuthenticatorOptions>)
    expect((await refusal(strict.authenticate(request(await as.token())))).code).toBe(
      'claim_invalid',
    )
  })

  it('isRevoked sees the introspected context, and its refusal is 401 token_revoked', async () => {
    const seen: unknown[] = []
    const auth = authenticator(
      {},
      {
        isRevoked: (ctx) => {
          seen.push(ctx.payload.client_id)
          return true
        },
      },
    )
    expect((await refusal(auth.authenticate(request(await as.token())))).code).toBe('token_revoked')
    expect(seen).toEqual(['app'])
  })
})

describe('which tokens are introspected (mode)', () => {
  it("'opaque' (default): a JWT is verified locally and never sent to the server", async () => {
    const auth = createAuthenticator({
      algorithms: ['ES256'],
      key: local.publicJwk,
      issuer: as.issuer,
      introspection: { endpoint: as.introspectionEndpoint, client: basicClient },
    })
    const jwt = await signToken(
      { iss: as.issuer, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 },
      { alg: 'ES256', key: local },
    )
    const calls = as.introspectionCalls
    await expect(auth.authenticate(request(jwt))).resolves.toMatchObject({
      payload: { sub: 'alice' },
    })
    expect(as.introspectionCalls).toBe(calls)
  })

  it("'always': a JWT goes to the server too, and the server's answer decides", async () => {
    // The authenticator has only the issuer's RS256 keys: this ES256 JWT could not verify locally.
    const auth = authenticator({ mode: 'always' })
    const jwt = await signToken(
      { iss: as.issuer, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 },
      { alg: 'ES256', key: local },
    )
    const exp = Math.floor(Date.now() / 1000) + 600
    as.fault = {
      contentType: 'application/json',
      body: JSON.stringify({ active: true, sub: 'from-the-server', exp, aud: API_RESOURCE }),
    }
    const calls = as.introspectionCalls
    await expect(auth.authenticate(request(jwt))).resolves.toMatchObject({
      introspected: true,
      payload: { sub: 'from-the-server' },
    })
    expect(as.introspectionCalls).toBe(calls + 1)
  })

  it('a server that cannot introspect JWTs (oidc-provider: 400 unsupported_token_type) is 503, not an accept', async () => {
    const auth = authenticator({ mode: 'always' })
    const jwt = await signToken(
      { iss: as.issuer, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 },
      { alg: 'ES256', key: local },
    )
    expect((await refusal(auth.authenticate(request(jwt)))).code).toBe('introspection_unavailable')
  })
})

describe('a failing endpoint is 503 with Retry-After, never 401 and never an accept', () => {
  it.each([
    ['slow (past the timeout)', 'slow'],
    ['an HTML page', 'html'],
    ['JSON under another content type', 'wrong-content-type'],
    ['a JSON array', 'json-array'],
    ['a JSON string', 'json-string'],
    ['active that is not a boolean', 'no-active'],
    ['a body over the 64 KiB cap (chunked)', 'huge'],
    ['HTTP 500', 'http-500'],
  ] as const)('%s', async (_name, fault) => {
    const auth = authenticator({ timeout: '300ms' })
    const token = await as.token()
    as.fault = fault
    const err = await refusal(auth.authenticate(request(token)))
    expect([err.code, err.status, err.error]).toEqual([
      'introspection_unavailable',
      503,
      'temporarily_unavailable',
    ])
    const response = err.toResponse()
    expect(response.headers['retry-after']).toBe('5')
    expect(response.headers['www-authenticate']).toBeUndefined()
    // Failures are not cached: once the server answers again, the token passes.
    as.fault = 'none'
    await expect(auth.authenticate(request(token))).resolves.toMatchObject({ introspected: true })
  })

  it('down (connection refused)', async () => {
    const auth = authenticator({ endpoint: await refusedUrl() })
    const err = await refusal(auth.authenticate(request(await as.token())))
    expect([err.code, err.status, err.toResponse().headers['retry-after']]).toEqual([
      'introspection_unavailable',
      503,
      '5',
    ])
  })

  it('a signed answer was asked for: a plain JSON answer is refused (no downgrade, RFC 9701 §5)', async () => {
    const auth = authenticator({ client: RS_CLIENTS.jwtResponse, jwtResponse: true })
    as.fault = { contentType: 'application/json', body: '{"active":true,"sub":"mallory"}' }
    expect((await refusal(auth.authenticate(request('downgrade-0001')))).code).toBe(
      'introspection_unavailable',
    )
  })

  it('a signed answer that does not verify with the issuer keys is refused', async () => {
    const auth = authenticator({ client: RS_CLIENTS.jwtResponse, jwtResponse: true })
    const forged = await signToken(
      { iss: as.issuer, token_introspection: { active: true, sub: 'mallory' } },
      { alg: 'ES256', key: local, header: { typ: 'token-introspection+jwt' } },
    )
    as.fault = { contentType: 'application/token-introspection+jwt', body: forged }
    expect((await refusal(auth.authenticate(request('forged-0001')))).code).toBe(
      'introspection_unavailable',
    )
  })
})

describe('the cache and single-flight, counted by the server', () => {
  it('a second request for a token is answered from the cache', async () => {
    const auth = authenticator()
    const token = await as.token()
    const calls = as.introspectionCalls
    await auth.authenticate(request(token))
    await auth.authenticate(request(token))
    await auth.authenticate(request(token))
    expect(as.introspectionCalls).toBe(calls + 1)
  })

  it('cache: false asks every time', async () => {
    const auth = authenticator({ cache: false })
    const token = await as.token()
    const calls = as.introspectionCalls
    await auth.authenticate(request(token))
    await auth.authenticate(request(token))
    expect(as.introspectionCalls).toBe(calls + 2)
  })

  it('an inactive answer is kept for negativeTtl, then asked again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const auth = authenticator({ cache: { negativeTtl: '10s' } })
    const calls = as.introspectionCalls
    for (let i = 0; i < 3; i++)
      expect((await refusal(auth.authenticate(request('unknown-token-negative')))).code).toBe(
        'token_inactive',
      )
    expect(as.introspectionCalls).toBe(calls + 1)
    vi.setSystemTime(Date.now() + 11_000)
    await refusal(auth.authenticate(request('unknown-token-negative')))
    expect(as.introspectionCalls).toBe(calls + 2)
  })

  it('an active answer is reused for maxAge at most: a revocation at the server takes effect after it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const auth = authenticator({ cache: { maxAge: '30s' } })
    const token = await as.token()
    await auth.authenticate(request(token))
    await as.revoke(token)
    await expect(auth.authenticate(request(token))).resolves.toBeTruthy() // within maxAge
    vi.setSystemTime(Date.now() + 31_000)
    expect((await refusal(auth.authenticate(request(token)))).code).toBe('token_inactive')
  })

  it('an active answer never outlives the token exp, whatever maxAge says', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const auth = authenticator({ cache: { maxAge: '1d' } }, { clockTolerance: 0 })
    const token = await as.token() // exp: now + 3600 s
    await auth.authenticate(request(token))
    const calls = as.introspectionCalls
    vi.setSystemTime(Date.now() + 3601_000)
    // Asked again (not token_expired from a cached answer): the server says inactive.
    expect((await refusal(auth.authenticate(request(token)))).code).toBe('token_inactive')
    expect(as.introspectionCalls).toBe(calls + 1)
  })

  it('concurrent requests for one token share one call (single-flight)', async () => {
    const auth = authenticator()
    const token = await as.token()
    const calls = as.introspectionCalls
    const results = await Promise.all(
      Array.from({ length: 25 }, () => auth.authenticate(request(token))),
    )
    expect(results.every((ctx) => ctx?.introspected === true)).toBe(true)
    expect(as.introspectionCalls).toBe(calls + 1)
  })

  it('concurrent requests share one failure too, and each gets the 503', async () => {
    const auth = authenticator({ timeout: '200ms' })
    const token = await as.token()
    as.fault = 'slow'
    const calls = as.introspectionCalls
    const errors = await Promise.all(
      Array.from({ length: 10 }, () => refusal(auth.authenticate(request(token)))),
    )
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['introspection_unavailable']))
    expect(as.introspectionCalls).toBe(calls + 1)
  })
})

describe('DPoP-bound opaque tokens: the answer cnf.jkt goes through the same binding (RFC 9449 §6.2)', () => {
  it('accepted with a proof of the bound key, refused as Bearer and with another key', async () => {
    const client = await keysFor('ES256', { label: 'introspection-dpop' })
    const other = await keysFor('ES256', { label: 'introspection-dpop-other' })
    const token = await as.token({
      dpopProof: dpopProof({ key: client, htm: 'POST', htu: `${as.issuer}/token` }),
    })
    const auth = authenticator(
      {},
      { dpop: { mode: 'allowed', origins: ['https://api.example.test'] } },
    )
    const htu = 'https://api.example.test/orders'
    const proof = (key: TestKeys) => ({
      dpop: dpopProof({ key, htm: 'GET', htu, accessToken: token }),
    })
    const ctx = await auth.authenticate(request(token, 'DPoP', proof(client)))
    expect(ctx?.dpop?.jkt).toBe(await jktOf(client))
    expect(ctx?.payload).toMatchObject({ token_type: 'DPoP', cnf: { jkt: await jktOf(client) } })
    // RFC 9449 §7.2: a DPoP-bound token sent as Bearer; §6.1: a proof of another key.
    expect((await refusal(auth.authenticate(request(token)))).code).toBe('dpop_required')
    const err = await refusal(auth.authenticate(request(token, 'DPoP', proof(other))))
    expect([err.code, err.description]).toEqual([
      'claim_invalid',
      "the DPoP proof key does not match the token's cnf.jkt (RFC 9449 section 6.1)".replace(
        'section ',
        '§',
      ),
    ])
  })
})

// Issue 21 items 5 and 6 for the introspection endpoint: a discovered URL gets the client's
// credentials, so it follows the same rules as a discovered jwks_uri (keys/remote-jwks.ts
// checkRemoteUrl): the issuer's origin only, no link-local address, plain http only on literal
// loopback (never *.localhost, which Node resolves through DNS). A discovery server of our own
// names each URL; a second server on another port counts what would have reached it.
describe('a discovered introspection_endpoint is held to the URL rules (issue 21 items 5, 6)', () => {
  let discovery: Server
  let other: Server
  let issuer = ''
  let named = ''
  let otherHits = 0
  beforeAll(async () => {
    discovery = createServer((req, res) => {
      if (!req.url?.startsWith('/.well-known/')) return void res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ issuer, introspection_endpoint: named }))
    })
    other = createServer((_req, res) => {
      otherHits += 1
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"active":true}')
    })
    issuer = `http://127.0.0.1:${await listen(discovery)}`
    named = `http://127.0.0.1:${await listen(other)}/introspect`
  })
  afterAll(async () => {
    await closeServer(discovery)
    await closeServer(other)
  })

  it.each([
    ['another origin (another port of 127.0.0.1)', () => named, /not on the issuer's origin/],
    ['a link-local address', () => 'https://169.254.169.254/introspect', /link-local/],
    [
      'plain http on a *.localhost name',
      () => 'http://idp.localhost/introspect',
      /must use https .*not \*\.localhost/,
    ],
    ['plain http on a non-loopback host', () => 'http://idp.example.test/i', /must use https/],
  ])('%s: 503 introspection_unavailable, nothing sent there', async (_name, url, rule) => {
    named = url()
    otherHits = 0
    const auth = createAuthenticator({
      algorithms: ['ES256'],
      key: { discovery: issuer },
      introspection: { client: basicClient },
    })
    const err = await refusal(auth.authenticate(request('an-opaque-token-0123456789')))
    expect(err.code).toBe('introspection_unavailable')
    expect(err.status).toBe(503)
    expect(String((err.cause as Error).message)).toMatch(rule)
    expect(otherHits).toBe(0)
  })
})
