// CSRF defence for cookie-borne tokens (SECURITY.md, "CSRF and cookie-borne tokens"), through every adapter.
import {
  createAuthenticator,
  isAuthError,
  type AuthenticatorOptions,
  type AuthErrorCode,
} from '@tokengate/core'
import { b64url, signJws } from '@tokengate/testkit'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ORIGIN, type RunningApp } from '../support/drivers.js'
import { allDrivers } from '../support/workers.js'

const COOKIE = 'tg'
const ALLOWED = 'https://app.example.test'
const EVIL = 'https://evil.example'
const secret = new Uint8Array(randomBytes(32))
const token = () =>
  signJws(
    'HS256',
    secret,
    { alg: 'HS256' },
    { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 },
  )

type AppName = 'default' | 'allowed' | 'off'
const base: AuthenticatorOptions = {
  algorithms: ['HS256'],
  // A JWK rather than bytes: options are plain JSON so that the Workers driver can run them.
  key: { kty: 'oct', k: b64url(secret) },
  from: { header: true, cookie: COOKIE },
}
const appOptions: Record<AppName, AuthenticatorOptions> = {
  default: base,
  allowed: { ...base, csrf: { allowedOrigins: [ALLOWED] } },
  off: { ...base, csrf: false },
}

interface CsrfCase {
  name: string
  ref: string
  app?: AppName
  method: 'GET' | 'HEAD' | 'POST'
  /** Where the token goes. */
  via: 'cookie' | 'header' | 'cookie-invalid'
  headers: Record<string, string>
  status: number
  code?: AuthErrorCode
}

const cases: CsrfCase[] = [
  // Refused: cross-site evidence, or no evidence at all, on an unsafe method with a cookie.
  {
    name: 'cross-site Origin',
    ref: 'RFC 6454 §7, Fetch §3.1',
    method: 'POST',
    via: 'cookie',
    headers: { origin: EVIL },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'Sec-Fetch-Site: cross-site, no Origin',
    ref: 'Fetch Metadata §2.1',
    method: 'POST',
    via: 'cookie',
    headers: { 'sec-fetch-site': 'cross-site' },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'Sec-Fetch-Site: cross-site with a cross-site Origin',
    ref: 'Fetch Metadata §2.1',
    method: 'POST',
    via: 'cookie',
    headers: { 'sec-fetch-site': 'cross-site', origin: EVIL },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'Sec-Fetch-Site: same-site from a sibling subdomain (SameSite=Lax does not stop it)',
    ref: 'Fetch Metadata §2.1, RFC 6265bis §8.8',
    method: 'POST',
    via: 'cookie',
    headers: { 'sec-fetch-site': 'same-site', origin: 'http://sub.api.example.test' },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'Origin: null (sandboxed frame, cross-origin redirect)',
    ref: 'RFC 6454 §7.3',
    method: 'POST',
    via: 'cookie',
    headers: { origin: 'null' },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'Origin on another port of our host',
    ref: 'RFC 6454 §4',
    method: 'POST',
    via: 'cookie',
    headers: { origin: 'http://api.example.test:8080' },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'Origin that only starts like ours',
    ref: 'RFC 6454 §5',
    method: 'POST',
    via: 'cookie',
    headers: { origin: 'http://api.example.test.evil.example' },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'cross-site Referer, no Origin',
    ref: 'RFC 9110 §10.1.3',
    method: 'POST',
    via: 'cookie',
    headers: { referer: `${EVIL}/page` },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'Referer that is not a URL, no Origin',
    ref: 'RFC 9110 §10.1.3',
    method: 'POST',
    via: 'cookie',
    headers: { referer: 'not a url' },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'no Sec-Fetch-Site, Origin or Referer',
    ref: 'SECURITY.md CSRF (absence proves nothing)',
    method: 'POST',
    via: 'cookie',
    headers: {},
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'an origin allowed elsewhere is not allowed by default',
    ref: 'csrf.allowedOrigins',
    method: 'POST',
    via: 'cookie',
    headers: { origin: ALLOWED },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'the check runs before verification: cross-site with a bad token',
    ref: 'docs/ARCHITECTURE.md pipeline (csrf before verify)',
    method: 'POST',
    via: 'cookie-invalid',
    headers: { origin: EVIL },
    status: 403,
    code: 'csrf_rejected',
  },
  // Passed: same-origin evidence, allowed origins, safe methods, header-borne tokens.
  {
    name: 'same-origin Origin',
    ref: 'RFC 6454 §5',
    method: 'POST',
    via: 'cookie',
    headers: { origin: ORIGIN },
    status: 200,
  },
  {
    name: 'Sec-Fetch-Site: same-origin',
    ref: 'Fetch Metadata §2.1',
    method: 'POST',
    via: 'cookie',
    headers: { 'sec-fetch-site': 'same-origin' },
    status: 200,
  },
  {
    name: 'Sec-Fetch-Site: none (user-initiated)',
    ref: 'Fetch Metadata §2.1',
    method: 'POST',
    via: 'cookie',
    headers: { 'sec-fetch-site': 'none' },
    status: 200,
  },
  {
    name: 'same-origin Referer, no Origin (Referer fallback)',
    ref: 'RFC 9110 §10.1.3',
    method: 'POST',
    via: 'cookie',
    headers: { referer: `${ORIGIN}/form?x=1` },
    status: 200,
  },
  {
    name: 'an allowed origin',
    ref: 'csrf.allowedOrigins',
    app: 'allowed',
    method: 'POST',
    via: 'cookie',
    headers: { origin: ALLOWED },
    status: 200,
  },
  {
    name: 'an allowed origin with Sec-Fetch-Site: cross-site',
    ref: 'csrf.allowedOrigins, Fetch Metadata',
    app: 'allowed',
    method: 'POST',
    via: 'cookie',
    headers: { origin: ALLOWED, 'sec-fetch-site': 'cross-site' },
    status: 200,
  },
  {
    name: 'allowedOrigins does not let other origins in',
    ref: 'csrf.allowedOrigins',
    app: 'allowed',
    method: 'POST',
    via: 'cookie',
    headers: { origin: EVIL },
    status: 403,
    code: 'csrf_rejected',
  },
  {
    name: 'GET with a cross-site Origin (safe method)',
    ref: 'RFC 9110 §9.2.1',
    method: 'GET',
    via: 'cookie',
    headers: { origin: EVIL, 'sec-fetch-site': 'cross-site' },
    status: 200,
  },
  {
    name: 'GET with no evidence at all (safe method)',
    ref: 'RFC 9110 §9.2.1',
    method: 'GET',
    via: 'cookie',
    headers: {},
    status: 200,
  },
  {
    name: 'HEAD with a cross-site Origin (safe method)',
    ref: 'RFC 9110 §9.2.1',
    method: 'HEAD',
    via: 'cookie',
    headers: { origin: EVIL },
    status: 200,
  },
  {
    name: 'Authorization header, cross-site Origin (browsers never attach it)',
    ref: 'RFC 6750 §2.1, SECURITY.md CSRF',
    method: 'POST',
    via: 'header',
    headers: { origin: EVIL, 'sec-fetch-site': 'cross-site' },
    status: 200,
  },
  {
    name: 'Authorization header, no evidence at all',
    ref: 'SECURITY.md CSRF',
    method: 'POST',
    via: 'header',
    headers: {},
    status: 200,
  },
  {
    name: 'csrf: false turns the check off (documented opt-out)',
    ref: 'csrf: false',
    app: 'off',
    method: 'POST',
    via: 'cookie',
    headers: { origin: EVIL },
    status: 200,
  },
]

describe.each(allDrivers)('CSRF on $name', (driver) => {
  const apps = new Map<AppName, RunningApp>()

  beforeAll(async () => {
    for (const name of Object.keys(appOptions) as AppName[]) {
      apps.set(name, await driver.start({ options: appOptions[name] }))
    }
  })

  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => app.close()))
  })

  it.each(cases)('$method $via: $name ($ref) => $status', async (c) => {
    const value = c.via === 'cookie-invalid' ? `${token()}x` : token()
    const headers: Record<string, string> = { ...c.headers }
    if (c.via === 'header') headers.authorization = `Bearer ${value}`
    else headers.cookie = `${COOKIE}=${value}`
    const response = await apps
      .get(c.app ?? 'default')!
      .request({ method: c.method, path: '/protected', headers })
    expect(response.status).toBe(c.status)
    if (c.code !== undefined) {
      expect(response.body).toMatchObject({ code: c.code, error: 'invalid_request' })
    } else if (c.method !== 'HEAD') {
      expect(response.body).toMatchObject({ payload: { sub: 'alice' } })
    }
  })
})

describe('CSRF in the core: every method the routes above do not mount', () => {
  const authenticator = createAuthenticator(base)
  const run = async (method: string, headers: Record<string, string>) => {
    try {
      await authenticator.authenticate({
        method,
        url: '/x',
        headers: { host: 'api.example.test', cookie: `${COOKIE}=${token()}`, ...headers },
      })
      return 'passed'
    } catch (err) {
      return isAuthError(err) ? err.code : 'crashed'
    }
  }

  it.each(['PUT', 'PATCH', 'DELETE', 'post', 'PROPFIND'])(
    '%s with a cross-site Origin is refused (RFC 9110 §9.2.1)',
    async (method) => {
      expect(await run(method, { origin: EVIL })).toBe('csrf_rejected')
    },
  )

  it.each(['GET', 'HEAD', 'OPTIONS', 'get'])(
    '%s with a cross-site Origin passes (safe method, RFC 9110 §9.2.1)',
    async (method) => {
      expect(await run(method, { origin: EVIL })).toBe('passed')
    },
  )

  it('an absolute request URL is compared by full origin, scheme included (RFC 6454 §5)', async () => {
    const at = (origin: string) =>
      authenticator
        .authenticate({
          method: 'POST',
          url: 'https://api.example.test/x',
          headers: { cookie: `${COOKIE}=${token()}`, origin },
        })
        .then(
          () => 'passed',
          (err: unknown) => (isAuthError(err) ? err.code : 'crashed'),
        )
    expect(await at('https://api.example.test')).toBe('passed')
    expect(await at('http://api.example.test')).toBe('csrf_rejected')
  })
})
