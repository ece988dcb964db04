// Remote JWKS and discovery against a real HTTP server on 127.0.0.1: caching, rotation, cooldown, failures.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { jwksOf, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { AuthError } from '../errors.js'
import { RemoteKeySource } from './remote-jwks.js'
import { importFor, type PreparedKey } from './public-key.js'
import type { AuthenticatorOptions } from '../types.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let server: Server
let base: string
let handler: Handler
const hits: string[] = []

const json =
  (body: unknown, status = 200): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '')
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const NOW = 1_800_000_000
let a: TestKeys, b: TestKeys
beforeEach(async () => {
  vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] })
  hits.length = 0
  ;[a, b] = await Promise.all([keysFor('ES256', { label: 'a' }), keysFor('ES256', { label: 'b' })])
  handler = json(jwksOf(a))
})
afterEach(() => {
  vi.useRealTimers()
})

const request = (token: string) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
})
const token = (keys: TestKeys, claims: Record<string, unknown> = {}, kid?: string | null) =>
  signToken(
    { sub: 'u', ...claims },
    { alg: 'ES256', key: keys, now: NOW, ...(kid !== undefined && { kid }) },
  )
const remote = (extra: Record<string, unknown> = {}): AuthenticatorOptions => ({
  algorithms: ['ES256'],
  key: {
    jwksUri: `${base}/jwks`,
    // Generous, so a loaded CI machine never turns a good fetch into a timeout; the timeout tests
    // set their own short one.
    timeout: '10s',
    cooldown: '30s',
    cacheMaxAge: '10m',
    ...extra,
  } as never,
  cache: false,
})

async function outcome(
  authenticator: ReturnType<typeof createAuthenticator>,
  t: string,
): Promise<string> {
  try {
    await authenticator.authenticate(request(t))
    return 'ok'
  } catch (err) {
    if (err instanceof AuthError) return `${err.code} ${err.status}`
    throw err
  }
}

describe('remote JWKS', () => {
  it('fetches once, and concurrent requests share the one fetch', async () => {
    const auth = createAuthenticator(remote())
    const t = await token(a)
    const results = await Promise.all(Array.from({ length: 20 }, () => outcome(auth, t)))
    expect(results.every((r) => r === 'ok')).toBe(true)
    expect(hits).toEqual(['/jwks'])
  })

  it('rotation: an unknown kid triggers one refetch, then the new key works', async () => {
    const auth = createAuthenticator(remote())
    expect(await outcome(auth, await token(a))).toBe('ok')
    handler = json(jwksOf(a, b))
    // Within the cooldown of the last fetch, the unknown kid is not fetched for (as jose does).
    expect(await outcome(auth, await token(b))).toBe('key_not_found 401')
    expect(hits).toEqual(['/jwks'])
    vi.setSystemTime((NOW + 31) * 1000)
    expect(await outcome(auth, await token(b))).toBe('ok')
    expect(await outcome(auth, await token(a))).toBe('ok')
    expect(hits).toEqual(['/jwks', '/jwks'])
  })

  it('a flood of unknown kids fetches at most once per cooldown', async () => {
    const auth = createAuthenticator(remote())
    expect(await outcome(auth, await token(a))).toBe('ok')
    vi.setSystemTime((NOW + 31) * 1000)
    const forged = await Promise.all(Array.from({ length: 25 }, (_, i) => token(b, {}, `kid-${i}`)))
    const results = await Promise.all(forged.map((t) => outcome(auth, t)))
    expect(new Set(results)).toEqual(new Set(['key_not_found 401']))
    expect(hits.length).toBe(2)
    for (const t of forged.slice(0, 5)) expect(await outcome(auth, t)).toBe('key_not_found 401')
    expect(hits.length).toBe(2)
    vi.setSystemTime((NOW + 62) * 1000)
    expect(await outcome(auth, forged[0] as string)).toBe('key_not_found 401')
    expect(hits.length).toBe(3)
  })

  it('server down with nothing cached: 503 keys_unavailable with Retry-After, and no refetch within the cooldown', async () => {
    handler = json({ error: 'down' }, 500)
    const auth = createAuthenticator(remote())
    const err = (await auth
      .authenticate(request(await token(a)))
      .catch((e: unknown) => e)) as AuthError
    expect([err.code, err.status]).toEqual(['keys_unavailable', 503])
    expect(err.toResponse().headers['retry-after']).toBe('30')
    expect(err.toResponse().headers['www-authenticate']).toBeUndefined()
    vi.setSystemTime((NOW + 10) * 1000)
    const again = (await auth
      .authenticate(request(await token(a)))
      .catch((e: unknown) => e)) as AuthError
    expect(again.toResponse().headers['retry-after']).toBe('20')
    expect(hits).toEqual(['/jwks'])
    handler = json(jwksOf(a))
    vi.setSystemTime((NOW + 31) * 1000)
    expect(await outcome(auth, await token(a))).toBe('ok')
  })

  it('server down with keys cached: the stale keys keep working past cacheMaxAge (stale-if-error)', async () => {
    const auth = createAuthenticator(remote({ cacheMaxAge: '1m' }))
    expect(await outcome(auth, await token(a))).toBe('ok')
    handler = (req) => req.socket.destroy()
    vi.setSystemTime((NOW + 3600) * 1000)
    const late = await signToken({ sub: 'u' }, { alg: 'ES256', key: a, now: NOW + 3600 })
    expect(await outcome(auth, late)).toBe('ok')
    // The refresh runs in the background (stale-while-revalidate), once per cooldown.
    await vi.waitFor(() => expect(hits.length).toBe(2))
    expect(await outcome(auth, late)).toBe('ok')
    expect(hits.length).toBe(2)
  })

  it('a slow server gives 503 within the timeout, not a hang', async () => {
    handler = () => undefined // never answers
    const auth = createAuthenticator(remote({ timeout: '200ms' }))
    expect(await outcome(auth, await token(a))).toBe('keys_unavailable 503')
  })

  it('a body that stalls mid-way is cut off by the same deadline', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"keys":[')
    }
    expect(await outcome(createAuthenticator(remote({ timeout: '200ms' })), await token(a))).toBe(
      'keys_unavailable 503',
    )
  })

  it.each<[string, Handler]>([
    ['garbage body', (_req, res) => res.end('<html>not json')],
    ['JSON that is not a JWK Set', json({ keys: 'nope' })],
    ['a JSON array', json([1, 2])],
    [
      'a redirect (never followed)',
      (_req, res) => {
        res.writeHead(302, { location: `${base}/elsewhere` })
        res.end()
      },
    ],
    ['a 404', json({}, 404)],
    [
      'an oversized declared body',
      (_req, res) => {
        res.writeHead(200, { 'content-length': String(600 * 1024) })
        res.end()
      },
    ],
    [
      'an oversized chunked body',
      (_req, res) => {
        res.writeHead(200)
        res.end(`{"keys":[],"pad":"${'x'.repeat(600 * 1024)}"}`)
      },
    ],
    ['invalid UTF-8', (_req, res) => res.end(Buffer.from([0x7b, 0xff, 0x7d]))],
    ['the connection reset', (req) => req.socket.destroy()],
  ])('%s: 503 keys_unavailable, no crash', async (_name, h) => {
    handler = h
    expect(await outcome(createAuthenticator(remote()), await token(a))).toBe(
      'keys_unavailable 503',
    )
  })

  it('unusable keys in the set are skipped: oct secrets, encryption keys, broken keys', async () => {
    handler = json({
      keys: [
        { kty: 'oct', k: 'AAAA', kid: a.kid },
        { ...b.publicJwk, use: 'enc', kid: a.kid },
        { kty: 'EC', crv: 'P-256', kid: a.kid },
        a.publicJwk,
      ],
    })
    expect(await outcome(createAuthenticator(remote()), await token(a))).toBe('ok')
    handler = json({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'broken' }] })
    expect(await outcome(createAuthenticator(remote()), await token(a, {}, 'broken'))).toBe(
      'key_not_found 401',
    )
  })

  it('a token without kid tries the fitting keys', async () => {
    handler = json(jwksOf(b, a))
    expect(await outcome(createAuthenticator(remote()), await token(a, {}, null))).toBe('ok')
  })

  it('sends the configured headers', async () => {
    let seen: string | undefined
    handler = (req, res) => {
      seen = req.headers['x-api-key'] as string
      json(jwksOf(a))(req, res)
    }
    expect(
      await outcome(
        createAuthenticator(remote({ headers: { 'x-api-key': 'k1' } })),
        await token(a),
      ),
    ).toBe('ok')
    expect(seen).toBe('k1')
  })
})

describe('discovery (OpenID Connect Discovery 1.0, RFC 8414)', () => {
  const discovery = (
    issuer: string,
    extra: Record<string, unknown> = {},
  ): AuthenticatorOptions => ({
    algorithms: ['ES256'],
    key: { discovery: issuer, timeout: '10s', ...extra } as never,
    cache: false,
  })

  it('reads openid-configuration, requires its issuer, uses its jwks_uri; issuer defaults to it', async () => {
    handler = (req, res) => {
      if (req.url === '/.well-known/openid-configuration')
        return json({ issuer: base, jwks_uri: `${base}/keys` })(req, res)
      if (req.url === '/keys') return json(jwksOf(a))(req, res)
      json({}, 404)(req, res)
    }
    const auth = createAuthenticator(discovery(base))
    expect(await outcome(auth, await token(a, { iss: base }))).toBe('ok')
    expect(await outcome(auth, await token(a, { iss: 'https://evil.example' }))).toBe(
      'claim_invalid 401',
    )
    expect(hits).toEqual(['/.well-known/openid-configuration', '/keys'])
  })

  it('falls back to RFC 8414 oauth-authorization-server, inserted before the issuer path', async () => {
    const issuer = `${base}/tenant1`
    handler = (req, res) => {
      if (req.url === '/.well-known/oauth-authorization-server/tenant1')
        return json({ issuer, jwks_uri: `${base}/keys` })(req, res)
      if (req.url === '/keys') return json(jwksOf(a))(req, res)
      json({}, 404)(req, res)
    }
    expect(
      await outcome(createAuthenticator(discovery(issuer)), await token(a, { iss: issuer })),
    ).toBe('ok')
    expect(hits).toEqual([
      '/tenant1/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenant1',
      '/keys',
    ])
  })

  it.each<[string, (issuer: string) => Record<string, unknown>]>([
    [
      'a document for another issuer',
      () => ({ issuer: 'https://evil.example', jwks_uri: `${base}/keys` }),
    ],
    [
      'an issuer with a trailing slash is another issuer',
      (issuer) => ({ issuer: `${issuer}/`, jwks_uri: `${base}/keys` }),
    ],
    ['no jwks_uri', (issuer) => ({ issuer })],
    [
      'a jwks_uri over plain http to a remote host',
      (issuer) => ({ issuer, jwks_uri: 'http://evil.example/keys' }),
    ],
  ])('%s: 503 keys_unavailable', async (_name, doc) => {
    handler = (req, res) =>
      req.url === '/keys' ? json(jwksOf(a))(req, res) : json(doc(base))(req, res)
    expect(await outcome(createAuthenticator(discovery(base)), await token(a, { iss: base }))).toBe(
      'keys_unavailable 503',
    )
  })

  it('a failed discovery is retried after the cooldown, then cached', async () => {
    handler = json({}, 500)
    const auth = createAuthenticator(discovery(base, { cooldown: '5s' }))
    const t = await token(a, { iss: base })
    expect(await outcome(auth, t)).toBe('keys_unavailable 503')
    expect(await outcome(auth, t)).toBe('keys_unavailable 503')
    expect(hits.length).toBe(2) // both well-known paths, once
    handler = (req, res) =>
      req.url === '/keys'
        ? json(jwksOf(a))(req, res)
        : json({ issuer: base, jwks_uri: `${base}/keys` })(req, res)
    vi.setSystemTime((NOW + 6) * 1000)
    expect(await outcome(auth, t)).toBe('ok')
    vi.setSystemTime((NOW + 700) * 1000)
    expect(
      await outcome(
        auth,
        await signToken({ sub: 'u', iss: base }, { alg: 'ES256', key: a, now: NOW + 700 }),
      ),
    ).toBe('ok')
    // Past cacheMaxAge the keys were served stale and refreshed in the background, without discovery.
    await vi.waitFor(() => expect(hits.filter((h) => h === '/keys').length).toBe(2))
    expect(hits.filter((h) => h.includes('well-known')).length).toBe(3)
  })
})

// Issue 12 item 11: the suspected race. A request that began importing a key of the old set must
// not, when its import finishes after a refresh removed that key, put it back. Deterministic: the
// import is held on a promise the test releases, the refresh is a real fetch that completes first.

/** This block's fetches only (its own URL). */
const own = () => hits.filter((h) => h === '/jwks?own').length

describe('remote JWKS: an import finishing after a refresh', () => {
  it('does not put a removed key back into the refreshed set', async () => {
    let release: (() => void) | undefined
    let holdNext = true
    const importKey = async (prepared: PreparedKey, alg: string) => {
      if (holdNext) {
        holdNext = false
        await new Promise<void>((resolve) => {
          release = resolve
        })
      }
      return importFor(prepared, alg)
    }
    const source = new RemoteKeySource({
      jwksUri: `${base}/jwks?own`,
      timeoutMs: 10_000,
      cooldownMs: 30_000,
      cacheMaxAgeMs: 600_000,
      algorithms: ['ES256'],
      importKey,
    })
    // 1. Set {a}: a request for a's kid starts importing it; the import is held.
    const pending = source.select('ES256', a.kid)
    await vi.waitFor(() => expect(release).toBeDefined())
    expect(source.generation).toBe(0)
    // 2. The issuer removes a; past the cooldown an unknown kid refreshes the set, to {b}.
    handler = json(jwksOf(b))
    vi.setSystemTime((NOW + 31) * 1000)
    expect(await source.select('ES256', b.kid)).toHaveLength(1)
    expect(own()).toBe(2)
    expect(source.generation).toBe(1) // a key was removed: cached results of generation 0 are void
    // 3. The old import finishes: that request used the set it began with.
    release?.()
    expect(await pending).toHaveLength(1)
    // 4. The removed key is not served from the refreshed set.
    await expect(source.select('ES256', a.kid)).rejects.toMatchObject({ code: 'key_not_found' })
    expect(own()).toBe(2)
  })

  it('a refresh that only adds keys keeps the generation (cached results stay valid)', async () => {
    const source = new RemoteKeySource({
      jwksUri: `${base}/jwks?own`,
      timeoutMs: 10_000,
      cooldownMs: 30_000,
      cacheMaxAgeMs: 600_000,
      algorithms: ['ES256'],
    })
    expect(await source.select('ES256', a.kid)).toHaveLength(1)
    handler = json({ keys: [b.publicJwk, { ...a.publicJwk }].reverse() })
    vi.setSystemTime((NOW + 31) * 1000)
    expect(await source.select('ES256', b.kid)).toHaveLength(1)
    expect(own()).toBe(2)
    expect(source.generation).toBe(0)
    expect(source.stillValid(0)).toBe(true)
  })
})
