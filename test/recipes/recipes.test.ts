// docs/recipes.md, run: every ```ts block of the page is copied here verbatim (the first test
// fails if one drifts) and exercised against real servers and loopback issuers.
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createAuthenticator,
  createTokenIssuer,
  derToJoseSignature,
  type AuthenticatorOptions,
  type TokenSigner,
} from '@tokengate/core'
import { clearAuthCookie, requireRoles, setAuthCookie, tokengate } from '@tokengate/express'
import { signToken, startIssuer, type LoopbackIssuer } from '@tokengate/testing'
import express from 'express'
import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// ---- the page's blocks, verbatim ------------------------------------------------------------

async function cookieSessionApp(signingKey: Uint8Array) {
  const issuer = createTokenIssuer({
    signingKey,
    alg: 'HS256',
    issuer: 'https://app.example.com',
    audience: 'https://app.example.com',
    expiresIn: '15m',
  })
  const app = express()
  app.post('/login', express.json(), async (req, res) => {
    // ...check req.body.username and req.body.password first...
    const token = await issuer.issue({ sub: req.body.username })
    setAuthCookie(res, '__Host-session', token) // Max-Age from the token's exp
    res.status(204).end()
  })
  app.use(
    tokengate({
      algorithms: ['HS256'],
      key: signingKey,
      issuer: 'https://app.example.com',
      audience: 'https://app.example.com',
      from: { header: true, cookie: '__Host-session' },
    }),
  )
  app.get('/me', (req, res) => res.json({ sub: req.auth?.payload.sub }))
  app.post('/notes', (req, res) => res.status(201).json({ by: req.auth?.payload.sub }))
  app.post('/logout', (_req, res) => {
    clearAuthCookie(res, '__Host-session')
    res.status(204).end()
  })
  return app
}

function rotatingSecretOptions(current: Uint8Array, previous: Uint8Array) {
  const oct = (secret: Uint8Array, kid: string) => ({
    kty: 'oct',
    k: Buffer.from(secret).toString('base64url'),
    kid,
    alg: 'HS256',
  })
  return {
    algorithms: ['HS256'],
    key: { jwks: { keys: [oct(current, '2026-12'), oct(previous, '2026-06')] } },
    issuer: 'https://app.example.com',
  } satisfies AuthenticatorOptions
}

function auth0App(domain: string, audience: string) {
  const app = express()
  app.use(
    tokengate({
      algorithms: ['RS256'],
      key: { jwksUri: `${domain}/.well-known/jwks.json` },
      issuer: `${domain}/`,
      audience,
      roles: { claim: 'permissions' },
    }),
  )
  app.get('/reports', requireRoles('read:reports'), (_req, res) => res.json({ ok: true }))
  app.delete('/reports/:id', requireRoles(['read:reports', 'delete:reports']), (_req, res) =>
    res.status(204).end(),
  )
  return app
}

function cloudflareAccessOptions(teamDomain: string, audTag: string) {
  return {
    algorithms: ['RS256'],
    key: { jwksUri: `${teamDomain}/cdn-cgi/access/certs` },
    issuer: teamDomain,
    audience: audTag,
    from: {
      header: false,
      custom: ({ headers }) => headers.get('cf-access-jwt-assertion') ?? undefined,
    },
  } satisfies AuthenticatorOptions
}

function multiIssuerOptions(
  workforce: { url: string; jwksUri: string },
  customers: { url: string; jwksUri: string },
) {
  return {
    issuers: [
      {
        issuer: workforce.url,
        key: { jwksUri: workforce.jwksUri },
        algorithms: ['RS256'],
        audience: 'https://api.example.com',
      },
      {
        issuer: customers.url,
        key: { jwksUri: customers.jwksUri },
        algorithms: ['ES256'],
        audience: 'https://api.example.com',
      },
    ],
  } satisfies AuthenticatorOptions
}

function tenantOptions(tenants: Map<string, { jwksUri: string }>) {
  return {
    issuers: (iss: string) => {
      const tenant = tenants.get(iss) // your tenant directory, never the iss string itself
      if (tenant === undefined) return undefined
      return {
        issuer: iss,
        key: { jwksUri: tenant.jwksUri },
        algorithms: ['ES256'],
        audience: 'https://api.example.com',
      }
    },
  } satisfies AuthenticatorOptions
}

function behindProxyApp(secret: Uint8Array) {
  const app = express()
  app.set('trust proxy', 1) // one proxy hop: req.protocol follows X-Forwarded-Proto
  app.use(
    tokengate({
      algorithms: ['HS256'],
      key: secret,
      from: { cookie: 'session' },
      // The proxy rewrites Host: name the public origin the browser sees.
      csrf: { allowedOrigins: ['https://app.example.com'] },
      trustProxy: true, // DPoP's htu from X-Forwarded-Proto / X-Forwarded-Host
    }),
  )
  app.post('/notes', (req, res) => res.status(201).json({ by: req.auth?.payload.sub }))
  return app
}

function kmsSigner(
  publicKeyPem: string,
  kmsSign: (signingInput: Uint8Array) => Promise<Uint8Array>,
  returnsDer: boolean,
): TokenSigner {
  return {
    publicKey: publicKeyPem, // the KMS key's public half (GetPublicKey / getPublicKey / getKey)
    sign: async (signingInput) => {
      const signature = await kmsSign(signingInput)
      // RFC 7518 §3.4: a JWS carries R || S; AWS and Google return ECDSA signatures in DER.
      return returnsDer ? derToJoseSignature(signature, 'ES256') : signature
    },
  }
}

function kmsIssuer(signer: TokenSigner) {
  return createTokenIssuer({
    signer,
    alg: 'ES256',
    issuer: 'https://auth.example.com',
    audience: 'https://api.example.com',
    expiresIn: '15m',
  })
}

// ---- the checks ------------------------------------------------------------------------------

const page = readFileSync(new URL('../../docs/recipes.md', import.meta.url), 'utf8')
const self = readFileSync(new URL(import.meta.url), 'utf8')

async function serve(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}
const servers: Server[] = []
const issuers: LoopbackIssuer[] = []
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections()
    s.close()
  }
  await Promise.all(issuers.map((i) => i.close()))
})
async function started(app: express.Express): Promise<string> {
  const { url, server } = await serve(app)
  servers.push(server)
  return url
}
async function issuer(options: Parameters<typeof startIssuer>[0]): Promise<LoopbackIssuer> {
  const started = await startIssuer(options)
  issuers.push(started)
  return started
}
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: { status?: number; code?: string }) => `${err.status} ${err.code}`,
  )

it('every ts block of docs/recipes.md is in this file, verbatim', () => {
  const blocks = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
  expect(blocks).toHaveLength(8)
  for (const block of blocks) expect(self).toContain(block)
})

describe('Cookie sessions', () => {
  const secret = new Uint8Array(randomBytes(32))
  let url: string
  let cookie: string
  beforeAll(async () => {
    url = await started(await cookieSessionApp(secret))
    const login = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    })
    expect(login.status).toBe(204)
    const set = login.headers.get('set-cookie')!
    expect(set).toMatch(
      /^__Host-session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax/,
    )
    cookie = set.split(';')[0]!
  })

  it('the cookie authenticates GET and a same-origin POST', async () => {
    expect(await (await fetch(`${url}/me`, { headers: { cookie } })).json()).toEqual({
      sub: 'alice',
    })
    const post = await fetch(`${url}/notes`, {
      method: 'POST',
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    })
    expect(post.status).toBe(201)
  })

  it('a cross-site POST riding on the cookie is 403 csrf_rejected', async () => {
    const post = await fetch(`${url}/notes`, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    expect(post.status).toBe(403)
    expect(((await post.json()) as { code: string }).code).toBe('csrf_rejected')
  })

  it('logout clears the cookie', async () => {
    const out = await fetch(`${url}/logout`, {
      method: 'POST',
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/^__Host-session=; Max-Age=0/)
  })
})

describe('Rotating HS secrets', () => {
  it('tokens of the current and the previous secret verify by kid; a third secret does not', async () => {
    const current = new Uint8Array(randomBytes(32))
    const previous = new Uint8Array(randomBytes(32))
    const auth = createAuthenticator(rotatingSecretOptions(current, previous))
    const token = (key: Uint8Array, kid: string | null) =>
      signToken({ iss: 'https://app.example.com', sub: kid ?? 'none' }, { alg: 'HS256', key, kid })
    const run = async (t: Promise<string>) =>
      codeOf(
        auth.authenticate({
          method: 'GET',
          url: '/',
          headers: { authorization: `Bearer ${await t}` },
        }),
      )
    expect(await run(token(current, '2026-12'))).toBe('accepted')
    expect(await run(token(previous, '2026-06'))).toBe('accepted')
    expect(await run(token(previous, null))).toBe('accepted')
    expect(await run(token(previous, '2026-12'))).toBe('401 signature_invalid')
    expect(await run(token(new Uint8Array(randomBytes(32)), '2026-12'))).toBe(
      '401 signature_invalid',
    )
  })

  it('a secret under 32 bytes is never used; a set with no usable secret fails at start-up', async () => {
    const short = new Uint8Array(randomBytes(16))
    const auth = createAuthenticator(rotatingSecretOptions(new Uint8Array(randomBytes(32)), short))
    const token = await signToken(
      { iss: 'https://app.example.com' },
      { alg: 'HS256', key: short, kid: '2026-06' },
    )
    expect(
      await codeOf(
        auth.authenticate({
          method: 'GET',
          url: '/',
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    ).toBe('401 key_not_found')
    expect(() => createAuthenticator(rotatingSecretOptions(short, short))).toThrow(/options\.key/)
  })
})

describe('Auth0 RBAC: permissions as roles', () => {
  it('permissions gate the routes: 200, 204, 403 insufficient_role', async () => {
    const auth0 = await issuer({
      algorithms: ['RS256'],
      audience: 'https://api.example.com',
      path: '/tenant',
    })
    // Auth0's issuer is the tenant URL with a trailing slash.
    const url = await started(auth0App(auth0.url, auth0.audience))
    const as = async (permissions: string[]) =>
      `Bearer ${await auth0.sign({ sub: 'auth0|1', permissions }, { issuer: `${auth0.url}/` })}`
    const get = await fetch(`${url}/reports`, {
      headers: { authorization: await as(['read:reports']) },
    })
    expect(get.status).toBe(200)
    const del = await fetch(`${url}/reports/1`, {
      method: 'DELETE',
      headers: { authorization: await as(['read:reports', 'delete:reports']) },
    })
    expect(del.status).toBe(204)
    const short = await fetch(`${url}/reports/1`, {
      method: 'DELETE',
      headers: { authorization: await as(['read:reports']) },
    })
    expect(short.status).toBe(403)
    expect(((await short.json()) as { code: string }).code).toBe('insufficient_role')
  })
})

describe('Cloudflare Access JWTs', () => {
  it('reads Cf-Access-Jwt-Assertion, checks the team domain and the AUD tag', async () => {
    const team = await issuer({
      algorithms: ['RS256'],
      jwksPath: '/cdn-cgi/access/certs',
      audience: 'aud-tag-1',
    })
    const auth = createAuthenticator(cloudflareAccessOptions(team.url, 'aud-tag-1'))
    const run = async (headers: Record<string, string>) =>
      codeOf(auth.authenticate({ method: 'GET', url: '/', headers }))
    const token = await team.sign({ email: 'alice@example.com' })
    expect(await run({ 'cf-access-jwt-assertion': token })).toBe('accepted')
    expect(await run({ authorization: `Bearer ${token}` })).toBe('401 token_missing')
    expect(
      await run({ 'cf-access-jwt-assertion': await team.sign({}, { audience: 'aud-tag-2' }) }),
    ).toBe('401 claim_invalid')
  })
})

describe('Multiple issuers', () => {
  it('each issuer verifies with its own keys; an unknown issuer is issuer_unknown', async () => {
    const workforce = await issuer({ algorithms: ['RS256'], audience: 'https://api.example.com' })
    const customers = await issuer({ algorithms: ['ES256'], audience: 'https://api.example.com' })
    const stranger = await issuer({ algorithms: ['ES256'], audience: 'https://api.example.com' })
    const auth = createAuthenticator(multiIssuerOptions(workforce, customers))
    const run = async (token: string) =>
      codeOf(
        auth.authenticate({
          method: 'GET',
          url: '/',
          headers: { authorization: `Bearer ${token}` },
        }),
      )
    expect(await run(await workforce.sign({ sub: 'w' }))).toBe('accepted')
    expect(await run(await customers.sign({ sub: 'c' }))).toBe('accepted')
    expect(await run(await stranger.sign({ sub: 's' }))).toBe('401 issuer_unknown')
    // A customers-signed token claiming the workforce issuer: only workforce keys are tried.
    expect(await run(await customers.sign({ sub: 'x' }, { issuer: workforce.url }))).toMatch(
      /^401 /,
    )
  })
})

describe('Multiple issuers: tenants resolved per issuer', () => {
  it('a listed tenant verifies with its own keys; an unlisted issuer is issuer_unknown', async () => {
    const acme = await issuer({ algorithms: ['ES256'], audience: 'https://api.example.com' })
    const globex = await issuer({ algorithms: ['ES256'], audience: 'https://api.example.com' })
    const tenants = new Map([[acme.url, { jwksUri: acme.jwksUri }]])
    const auth = createAuthenticator(tenantOptions(tenants))
    const run = async (token: string) =>
      codeOf(
        auth.authenticate({
          method: 'GET',
          url: '/',
          headers: { authorization: `Bearer ${token}` },
        }),
      )
    const initech = await issuer({ algorithms: ['ES256'], audience: 'https://api.example.com' })
    expect(await run(await acme.sign({ sub: 'a' }))).toBe('accepted')
    expect(await run(await globex.sign({ sub: 'g' }))).toBe('401 issuer_unknown')
    // A tenant added at run time is found on its first token.
    tenants.set(initech.url, { jwksUri: initech.jwksUri })
    expect(await run(await initech.sign({ sub: 'i' }))).toBe('accepted')
    // Signed by globex, claiming acme: acme's keys only.
    expect(await run(await globex.sign({ sub: 'x' }, { issuer: acme.url }))).toMatch(/^401 /)
  })
})

describe('Behind a proxy', () => {
  it('a cookie POST from the public origin passes; another origin is csrf_rejected', async () => {
    const secret = new Uint8Array(randomBytes(32))
    const url = await started(behindProxyApp(secret))
    const token = await signToken({ sub: 'alice' }, { alg: 'HS256', key: secret })
    // What the proxy forwards: the internal Host, the public scheme.
    const post = (origin: string) =>
      fetch(`${url}/notes`, {
        method: 'POST',
        headers: { cookie: `session=${token}`, origin, 'x-forwarded-proto': 'https' },
      })
    expect((await post('https://app.example.com')).status).toBe(201)
    const evil = await post('https://evil.example')
    expect(evil.status).toBe(403)
    expect(((await evil.json()) as { code: string }).code).toBe('csrf_rejected')
  })
})

describe('Sign with a key in a cloud KMS', () => {
  // A stand-in KMS: node:crypto signs in DER (as AWS and Google KMS answer) or in R || S (as
  // Azure Key Vault does); the issuer only ever sees the public PEM.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string
  const kms = (dsaEncoding: 'der' | 'ieee-p1363') => async (input: Uint8Array) =>
    new Uint8Array(nodeSign('sha256', input, { key: privateKey, dsaEncoding }))
  const verifier = async (issuer: ReturnType<typeof kmsIssuer>) =>
    createAuthenticator({
      algorithms: ['ES256'],
      key: { jwks: await issuer.publicJwks() },
      issuer: 'https://auth.example.com',
      audience: 'https://api.example.com',
    })

  it.each([
    ['DER (AWS KMS, Google Cloud KMS)', 'der', true],
    ['R || S (Azure Key Vault)', 'ieee-p1363', false],
  ] as const)('%s: tokens verify with the published JWKS', async (_name, encoding, returnsDer) => {
    const issuer = kmsIssuer(kmsSigner(publicPem, kms(encoding), returnsDer))
    await issuer.ready()
    const token = await issuer.issue({ sub: 'svc-1' })
    const ctx = await (
      await verifier(issuer)
    ).authenticate({
      method: 'GET',
      url: 'https://api.example.com/x',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ctx?.payload.sub).toBe('svc-1')
  })

  it('DER passed through unconverted: signature_malformed, no token', async () => {
    const issuer = kmsIssuer(kmsSigner(publicPem, kms('der'), false))
    await expect(issuer.issue({ sub: 'svc-1' })).rejects.toMatchObject({
      code: 'signature_malformed',
    })
  })
})
