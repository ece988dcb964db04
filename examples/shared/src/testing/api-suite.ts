// The HTTP contract every example keeps, as one vitest suite each app runs against itself in-process.
import { CompactSign, decodeProtectedHeader, generateKeyPair, exportJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USERS } from '../users.js'
import { request, type Reply, type RunningApp, type StartApp } from './server.js'

const alice = DEMO_USERS.find((u) => u.username === 'alice')!
const bob = DEMO_USERS.find((u) => u.username === 'bob')!
const PUBLIC_ORIGIN = 'https://demo.example.com'
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

/** Splits `name=value; attrs` into the pair and the lower-cased attribute names and values. */
export function parseSetCookie(line: string): {
  name: string
  value: string
  attributes: Map<string, string>
} {
  const [pair = '', ...attrs] = line.split(';').map((part) => part.trim())
  const eq = pair.indexOf('=')
  const attributes = new Map<string, string>()
  for (const attr of attrs) {
    const i = attr.indexOf('=')
    attributes.set((i < 0 ? attr : attr.slice(0, i)).toLowerCase(), i < 0 ? '' : attr.slice(i + 1))
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes }
}

/**
 * Runs the examples' HTTP contract against one app: sign-in by form and JSON, cookie flags, the
 * header and cookie paths, role and scope guards, CSRF, logout with revocation, and the JWKS.
 *
 * @example
 * describeExampleApi('Express', startServer)
 */
export function describeExampleApi(appName: string, start: StartApp): void {
  describe(`${appName} example: HTTP contract`, () => {
    let app: RunningApp
    const sameOrigin = () => ({ origin: app.url, 'sec-fetch-site': 'same-origin' })

    const loginForm = (username: string, password: string, headers = sameOrigin()) =>
      request(app.url, '/login', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password }).toString(),
      })
    const loginJson = (body: unknown) =>
      request(app.url, '/login', {
        method: 'POST',
        headers: { ...sameOrigin(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const token = async (username: string, password: string) => {
      const reply = await request(app.url, '/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      })
      expect(reply.status).toBe(200)
      return (reply.body as { access_token: string }).access_token
    }
    const cookieOf = (reply: Reply) => {
      const line = reply.setCookies[0]
      expect(line).toBeDefined()
      const { name, value } = parseSetCookie(line!)
      return `${name}=${value}`
    }
    const get = (path: string, headers: Record<string, string> = {}) =>
      request(app.url, path, { headers })
    const expectAuthError = (reply: Reply, status: number, code: string) => {
      expect({ status: reply.status, code: (reply.body as { code?: string }).code }).toEqual({
        status,
        code,
      })
    }

    beforeAll(async () => {
      app = await start({ insecureDevCookies: true })
    })
    afterAll(() => app?.close())

    it('serves the page with a strict CSP, its script and styles', async () => {
      const page = await get('/')
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      expect(page.text).toContain('id="login-form"')
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect(page.headers.get('x-content-type-options')).toBe('nosniff')
      expect((await get('/app.js')).headers.get('content-type')).toMatch(/^text\/javascript/)
      expect((await get('/app.css')).headers.get('content-type')).toMatch(/^text\/css/)
    })

    it('form sign-in: 303 to / and an HttpOnly, SameSite=Lax, Path=/ cookie holding a JWE', async () => {
      const reply = await loginForm(alice.username, alice.password)
      expect(reply.status).toBe(303)
      expect(reply.headers.get('location')).toBe('/')
      expect(reply.setCookies).toHaveLength(1)
      const cookie = parseSetCookie(reply.setCookies[0]!)
      expect(cookie.attributes.has('httponly')).toBe(true)
      expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('lax')
      expect(cookie.attributes.get('path')).toBe('/')
      expect(Number(cookie.attributes.get('max-age'))).toBeGreaterThan(0)
      // Development on http://localhost: the explicit insecure flag drops Secure (and __Host-).
      expect(cookie.attributes.has('secure')).toBe(false)
      // A nested token: five segments (RFC 7516 §7.1), encrypted to the app's own key.
      expect(cookie.value.split('.')).toHaveLength(5)
      expect(decodeProtectedHeader(cookie.value)).toMatchObject({
        alg: 'ECDH-ES+A256KW',
        enc: 'A256GCM',
      })
    })

    it('JSON sign-in: 200 with the profile, the cookie set, and no token in the body', async () => {
      const reply = await loginJson({ username: bob.username, password: bob.password })
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ sub: bob.id, name: bob.name, roles: bob.roles })
      expect(reply.text).not.toContain(parseSetCookie(reply.setCookies[0]!).value)
      expect(reply.headers.get('cache-control')).toBe('no-store')
    })

    it('bad credentials: 401, the same answer for a wrong password and an unknown user', async () => {
      const wrongPassword = await loginJson({ username: 'alice', password: 'not-her-password' })
      const unknownUser = await loginJson({ username: 'mallory', password: 'wonderland' })
      const wrongForm = await loginForm('alice', 'nope')
      for (const reply of [wrongPassword, unknownUser, wrongForm]) {
        expect(reply.status).toBe(401)
        expect(reply.setCookies).toEqual([])
      }
      expect(unknownUser.body).toEqual(wrongPassword.body)
      expect(wrongForm.body).toEqual(wrongPassword.body)
    })

    it.each([
      ['a missing password', { username: 'alice' }],
      ['a non-string username', { username: ['alice'], password: 'wonderland' }],
      ['an array body', ['alice', 'wonderland']],
      ['an oversized password', { username: 'alice', password: 'x'.repeat(1025) }],
    ])('malformed sign-in (%s): 400', async (_name, body) => {
      const reply = await loginJson(body)
      expect(reply.status).toBe(400)
      expect(reply.setCookies).toEqual([])
    })

    it('sign-in with another content type: 415', async () => {
      const reply = await request(app.url, '/login', {
        method: 'POST',
        headers: { ...sameOrigin(), 'content-type': 'text/plain' },
        body: 'alice:wonderland',
      })
      expect(reply.status).toBe(415)
    })

    it('login CSRF: a cross-site form post to /login is refused (403) and sets no cookie', async () => {
      const reply = await loginForm(alice.username, alice.password, {
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      })
      expect(reply.status).toBe(403)
      expect(reply.setCookies).toEqual([])
    })

    it('POST /token: an access token for the Authorization header, never cached', async () => {
      const reply = await request(app.url, '/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: alice.username, password: alice.password }),
      })
      expect(reply.status).toBe(200)
      expect(reply.headers.get('cache-control')).toBe('no-store')
      const body = reply.body as { access_token: string; token_type: string; expires_in: number }
      expect(body.token_type).toBe('Bearer')
      expect(body.expires_in).toBeGreaterThan(0)
      expect(body.access_token.split('.')).toHaveLength(5)
      expect(reply.setCookies).toEqual([])
      const bad = await request(app.url, '/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: alice.username, password: 'wrong' }),
      })
      expect(bad.status).toBe(401)
    })

    it('GET /api/me works with the cookie and with the Authorization header', async () => {
      const cookie = cookieOf(await loginForm(alice.username, alice.password))
      const viaCookie = await get('/api/me', { cookie })
      expect(viaCookie.status).toBe(200)
      expect(viaCookie.body).toMatchObject({ sub: alice.id, name: alice.name, source: 'cookie' })
      const viaHeader = await get('/api/me', {
        authorization: `Bearer ${await token('alice', 'wonderland')}`,
      })
      expect(viaHeader.status).toBe(200)
      expect(viaHeader.body).toMatchObject({
        sub: alice.id,
        roles: alice.roles,
        scopes: alice.scope.split(' '),
        source: 'header',
        encryption: 'ECDH-ES+A256KW / A256GCM',
        signature: 'ES256',
      })
    })

    it('no token: 401 with a bare Bearer challenge (RFC 6750 §3.1)', async () => {
      const reply = await get('/api/me')
      expectAuthError(reply, 401, 'token_missing')
      expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer/)
    })

    it('a forged token: 401 invalid_token', async () => {
      const reply = await get('/api/me', { authorization: 'Bearer a.b.c.d.e' })
      expect(reply.status).toBe(401)
      expect(reply.headers.get('www-authenticate')).toContain('error="invalid_token"')
    })

    it('role guard: /api/admin lets alice in and refuses bob with 403 insufficient_role', async () => {
      const asAlice = await get('/api/admin', {
        authorization: `Bearer ${await token('alice', 'wonderland')}`,
      })
      expect(asAlice.status).toBe(200)
      const asBob = await get('/api/admin', {
        authorization: `Bearer ${await token('bob', 'builder')}`,
      })
      expectAuthError(asBob, 403, 'insufficient_role')
    })

    it('scope guard: /api/reports lets bob in and refuses alice with 403 insufficient_scope', async () => {
      const asBob = await get('/api/reports', {
        authorization: `Bearer ${await token('bob', 'builder')}`,
      })
      expect(asBob.status).toBe(200)
      const asAlice = await get('/api/reports', {
        authorization: `Bearer ${await token('alice', 'wonderland')}`,
      })
      expectAuthError(asAlice, 403, 'insufficient_scope')
      expect(asAlice.headers.get('www-authenticate')).toContain('scope="reports:read"')
    })

    it('CSRF: a cross-site POST carrying the cookie is refused with 403 csrf_rejected', async () => {
      const cookie = cookieOf(await loginForm(alice.username, alice.password))
      const attempts: Record<string, string>[] = [
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        { origin: 'http://localhost:1', 'sec-fetch-site': 'same-site' },
        {}, // neither Origin nor Sec-Fetch-Site: refused too
      ]
      for (const headers of attempts) {
        const reply = await request(app.url, '/logout', {
          method: 'POST',
          headers: { ...headers, cookie },
        })
        expectAuthError(reply, 403, 'csrf_rejected')
        expect(reply.setCookies).toEqual([])
      }
      // The refused requests changed nothing: the session still works.
      expect((await get('/api/me', { cookie })).status).toBe(200)
    })

    it('logout: clears the cookie, revokes the token, and the old token is refused everywhere', async () => {
      const cookie = cookieOf(await loginForm(alice.username, alice.password))
      const captured = cookie.slice(cookie.indexOf('=') + 1)
      const out = await request(app.url, '/logout', {
        method: 'POST',
        headers: { ...sameOrigin(), cookie },
      })
      expect(out.status).toBe(204)
      const cleared = parseSetCookie(out.setCookies[0]!)
      expect(cleared.value).toBe('')
      expect(cleared.attributes.get('max-age')).toBe('0')
      expectAuthError(await get('/api/me', { cookie }), 401, 'token_revoked')
      expectAuthError(
        await get('/api/me', { authorization: `Bearer ${captured}` }),
        401,
        'token_revoked',
      )
    })

    it('logout by form post: 303 to /', async () => {
      const cookie = cookieOf(await loginForm(bob.username, bob.password))
      const out = await request(app.url, '/logout', {
        method: 'POST',
        headers: { ...sameOrigin(), cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      })
      expect(out.status).toBe(303)
      expect(out.headers.get('location')).toBe('/')
      expectAuthError(await get('/api/me', { cookie }), 401, 'token_revoked')
    })

    it('logout with the Authorization header revokes that token (no CSRF check for headers)', async () => {
      const bearer = await token('bob', 'builder')
      const out = await request(app.url, '/logout', {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}` },
      })
      expect(out.status).toBe(204)
      expectAuthError(
        await get('/api/me', { authorization: `Bearer ${bearer}` }),
        401,
        'token_revoked',
      )
    })

    it('logout needs an authenticated request: 401 without a token', async () => {
      const out = await request(app.url, '/logout', { method: 'POST', headers: sameOrigin() })
      expectAuthError(out, 401, 'token_missing')
    })

    it('JWKS: the public signing key only, no private members, no encryption key', async () => {
      const reply = await get('/.well-known/jwks.json')
      expect(reply.status).toBe(200)
      const { keys } = reply.body as { keys: Record<string, unknown>[] }
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys) {
        for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member)
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
        expect(typeof key.kid).toBe('string')
      }
      const header = decodeProtectedHeader(await token('alice', 'wonderland'))
      expect(keys.map((k) => k.kid)).not.toContain(header.kid)
    })

    it('unknown routes: 404', async () => {
      expect((await get('/nope')).status).toBe(404)
    })

    it('plain http on localhost: no HSTS (RFC 6797 §7.2: it is for https only)', async () => {
      expect((await get('/')).headers.get('strict-transport-security')).toBeNull()
    })
  })

  // Issue 21 item 7 and issue 12 item 7: every sign-in attempt runs PBKDF2 on the thread pool that
  // token work shares, and every success mints a token. Limited per client address, per username
  // (failures) and per user (tokens), answered 429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3).
  describe(`${appName} example: sign-in and token limits`, () => {
    const apps: RunningApp[] = []
    afterAll(() => Promise.all(apps.map((a) => a.close())))
    const startWith = async (config: Parameters<StartApp>[0]) => {
      const running = await start({ insecureDevCookies: true, ...config })
      apps.push(running)
      return running
    }
    const attempt = (base: string, path: '/login' | '/token', username: string, password: string) =>
      request(base, path, {
        method: 'POST',
        headers: {
          origin: base,
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ username, password }),
      })
    const expectLimited = (reply: Reply) => {
      expect(reply.status).toBe(429)
      expect(reply.body).toMatchObject({ error: 'too_many_requests' })
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(reply.setCookies).toEqual([])
    }

    it('by default, a flood of wrong passwords from one address is refused with 429 after 30', async () => {
      const running = await startWith({})
      // Distinct unknown usernames: only the per-address limit applies. A burst of 30 passes; the
      // bucket refills one attempt per 2 s meanwhile, so the 429 comes a few attempts later.
      const statuses: number[] = []
      for (let i = 0; i < 60 && statuses.at(-1) !== 429; i++)
        statuses.push((await attempt(running.url, '/login', `nobody-${i}`, 'x')).status)
      expect(statuses.slice(0, 30)).toEqual(Array<number>(30).fill(401))
      expect(statuses.at(-1)).toBe(429)
      expectLimited(await attempt(running.url, '/login', 'nobody-60', 'x'))
      // The right password does not get past it either: the limit is checked before PBKDF2.
      expectLimited(await attempt(running.url, '/token', alice.username, alice.password))
    })

    it('per client address, on /login and /token alike', async () => {
      const running = await startWith({ rateLimits: { perClient: { burst: 3, perMinute: 1 } } })
      expect((await attempt(running.url, '/login', alice.username, 'wrong')).status).toBe(401)
      expect((await attempt(running.url, '/token', bob.username, 'wrong')).status).toBe(401)
      expect((await attempt(running.url, '/token', bob.username, bob.password)).status).toBe(200)
      const limited = await attempt(running.url, '/login', alice.username, alice.password)
      expectLimited(limited)
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60)
      expectLimited(await attempt(running.url, '/token', bob.username, bob.password))
    })

    it('per username: failed guesses at one account stop, other accounts still sign in', async () => {
      const running = await startWith({ rateLimits: { perUsername: { burst: 2, perMinute: 1 } } })
      expect((await attempt(running.url, '/login', alice.username, 'guess-1')).status).toBe(401)
      expect((await attempt(running.url, '/token', alice.username, 'guess-2')).status).toBe(401)
      expectLimited(await attempt(running.url, '/login', alice.username, 'guess-3'))
      expectLimited(await attempt(running.url, '/login', alice.username, alice.password))
      expect((await attempt(running.url, '/login', bob.username, bob.password)).status).toBe(200)
      // Successful sign-ins do not use up the failure budget.
      for (let i = 0; i < 3; i++)
        expect((await attempt(running.url, '/token', bob.username, bob.password)).status).toBe(200)
    })

    it('per user: one account cannot mint tokens without bound (issue 12 item 7)', async () => {
      const running = await startWith({ rateLimits: { perUser: { burst: 2, perMinute: 1 } } })
      expect((await attempt(running.url, '/token', alice.username, alice.password)).status).toBe(
        200,
      )
      expect((await attempt(running.url, '/login', alice.username, alice.password)).status).toBe(
        200,
      )
      expectLimited(await attempt(running.url, '/token', alice.username, alice.password))
      expectLimited(await attempt(running.url, '/login', alice.username, alice.password))
      expect((await attempt(running.url, '/token', bob.username, bob.password)).status).toBe(200)
    })
  })

  describe(`${appName} example: configured keys and Secure cookies`, () => {
    let app: RunningApp
    let foreignSigned: string

    beforeAll(async () => {
      const signing = await generateKeyPair('ES256', { extractable: true })
      const signingJwk = { ...(await exportJWK(signing.privateKey)), kid: 'configured-sig' }
      app = await start({ signingJwk, insecureDevCookies: false, publicOrigin: PUBLIC_ORIGIN })
      // Signed with the app's own key but not encrypted: the app requires encryption.
      foreignSigned = await new CompactSign(
        new TextEncoder().encode(
          JSON.stringify({ sub: alice.id, exp: Math.floor(Date.now() / 1000) + 600, jti: 'x' }),
        ),
      )
        .setProtectedHeader({ alg: 'ES256', kid: 'configured-sig', typ: 'at+jwt' })
        .sign(signing.privateKey)
    })
    afterAll(() => app?.close())

    it('https public origin: HSTS on every response (RFC 6797 §7.1)', async () => {
      for (const path of ['/', '/.well-known/jwks.json', '/api/me']) {
        const reply = await request(app.url, path)
        expect(reply.headers.get('strict-transport-security')).toBe('max-age=31536000')
      }
    })

    it('publishes the configured signing key in the JWKS', async () => {
      const { keys } = (await request(app.url, '/.well-known/jwks.json')).body as {
        keys: { kid: string }[]
      }
      expect(keys.map((k) => k.kid)).toEqual(['configured-sig'])
    })

    it('sets a Secure, __Host- prefixed cookie outside development', async () => {
      const reply = await request(app.url, '/login', {
        method: 'POST',
        headers: { origin: app.url, 'content-type': 'application/json' },
        body: JSON.stringify({ username: alice.username, password: alice.password }),
      })
      const cookie = parseSetCookie(reply.setCookies[0]!)
      expect(cookie.name.startsWith('__Host-')).toBe(true)
      expect(cookie.attributes.has('secure')).toBe(true)
      expect(cookie.attributes.has('domain')).toBe(false)
      const me = await request(app.url, '/api/me', {
        headers: { cookie: `${cookie.name}=${cookie.value}` },
      })
      expect(me.status).toBe(200)
    })

    it('behind a TLS proxy: accepts Origin of its public URL for cookie-borne POSTs and sign-in', async () => {
      const login = await request(app.url, '/login', {
        method: 'POST',
        headers: { origin: PUBLIC_ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ username: bob.username, password: bob.password }),
      })
      expect(login.status).toBe(200)
      const { name, value } = parseSetCookie(login.setCookies[0]!)
      const out = await request(app.url, '/logout', {
        method: 'POST',
        headers: { origin: PUBLIC_ORIGIN, cookie: `${name}=${value}` },
      })
      expect(out.status).toBe(204)
      // Any other origin is still refused.
      const again = await request(app.url, '/logout', {
        method: 'POST',
        headers: { origin: 'https://evil.example', cookie: `${name}=${value}` },
      })
      expect(again.status).toBe(403)
    })

    it('refuses a token signed with its key but not encrypted (401 encryption_required)', async () => {
      const reply = await request(app.url, '/api/me', {
        headers: { authorization: `Bearer ${foreignSigned}` },
      })
      expect({ status: reply.status, code: (reply.body as { code: string }).code }).toEqual({
        status: 401,
        code: 'encryption_required',
      })
    })
  })
}
