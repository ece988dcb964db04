// The hostile-request corpus for your own app: requests tokengate refuses (forged, tampered,
// expired, ambiguous, smuggled tokens), sent to a running app; any it accepts is listed.
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { generateKeyPairSync } from 'node:crypto'
import type { JWTPayload } from 'jose'
import { b64url } from './base64url.js'
import {
  attackerKeys,
  flipBit,
  hmacWithPublicKey,
  raw,
  signJws,
  unsecuredJws,
  withSegment,
  x5cValue,
  type SigningKey,
} from './hostile.js'
import type { LoopbackIssuer } from './issuer.js'
import { nowSeconds } from './tokens.js'

/** One request of the corpus. */
export interface HostileRequest {
  /** The attack or rule, as the failure message lists it. */
  name: string
  /** Where it comes from: an RFC section or a CVE. */
  ref: string
  /** HTTP method. */
  method: string
  /** Path and query, under the app's URL. */
  path: string
  /** Request headers; an array is sent as repeated header lines. */
  headers: Record<string, string | string[]>
}

/** Options of {@link hostileRequests} and {@link expectRejectsHostileTokens}. */
export interface HostileOptions {
  /**
   * The issuer your app trusts (a {@link LoopbackIssuer}, or anything with the same `url`,
   * `audience`, `algorithms`, `key()` and `sign()`): the corpus forges tokens around its keys.
   */
  issuer: Pick<LoopbackIssuer, 'url' | 'audience' | 'algorithms' | 'key' | 'sign'>
  /** The protected route, relative to the app's URL. Default `'/'`. */
  path?: string
  /** Claims a valid token needs on that route (roles, scopes), added to every forged token. */
  claims?: JWTPayload
  /** The audience your app expects. Default: the issuer's. */
  audience?: string
  /**
   * The cookie your app reads the token from, if any: adds the header-and-cookie ambiguity and a
   * cross-site unsafe request riding on the cookie (CSRF).
   */
  cookie?: string
  /** A method the route accepts that is not GET, for the CSRF case. Default `'POST'`. */
  unsafeMethod?: string
  /** Headers added to every request (a tenant header, an API key). */
  headers?: Record<string, string>
  /**
   * Include tokens without `exp` (tokengate's default `requireExp: true` refuses them). Set
   * `false` if your app deliberately accepts tokens that never expire. Default true.
   */
  requireExp?: boolean
  /** Skip cases by name (each skipped name must exist, so a typo cannot silence a case). */
  skip?: string[]
}

/** A request the app should have refused, and what it answered. */
export interface HostileFinding {
  /** The case. */
  request: HostileRequest
  /** The status the app answered. */
  status: number
}

/** The outcome of {@link runHostileRequests}. */
export interface HostileReport {
  /** The status of the valid control request (must be 2xx for the run to prove anything). */
  control: number
  /** How many hostile requests were sent. */
  sent: number
  /** Requests answered 2xx or 3xx: accepted. */
  accepted: HostileFinding[]
  /** Requests answered 5xx: a crash or an unhandled error, not a refusal. */
  crashed: HostileFinding[]
}

/**
 * The hostile requests for an app that trusts `options.issuer`. Each one carries something
 * tokengate refuses with a 4xx; none of them should get a 2xx from your app.
 *
 * @example
 * for (const r of await hostileRequests({ issuer })) console.log(r.name, r.ref)
 */
export async function hostileRequests(options: HostileOptions): Promise<HostileRequest[]> {
  const { issuer } = options
  const path = options.path ?? '/'
  const audience = options.audience ?? issuer.audience
  const extra = options.claims ?? {}
  const now = nowSeconds()
  const claims = (more: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: issuer.url,
    aud: audience,
    sub: 'attacker',
    iat: now,
    exp: now + 600,
    ...extra,
    ...more,
  })
  const sign = (more: JWTPayload, o: Parameters<LoopbackIssuer['sign']>[1] = {}) =>
    issuer.sign({ sub: 'attacker', ...extra, ...more }, { audience, ...o })
  const alg = issuer.algorithms[0]!
  const keys = issuer.key(alg)
  const attacker = attackerKeys()
  const valid = await sign({})
  const [h, p] = valid.split('.') as [string, string, string]
  // Signed with the issuer's own key by hand: headers jose will not write, raw claims text.
  const signRaw = (text: string, header: Record<string, unknown> = {}) =>
    signJws(
      alg,
      keys.privateKey as SigningKey,
      { alg, typ: 'JWT', kid: keys.kid, ...header },
      raw(text),
    )
  const signHeader = (header: Record<string, unknown>) => signRaw(JSON.stringify(claims()), header)

  const cases: Array<
    Omit<HostileRequest, 'method' | 'path' | 'headers'> & Partial<HostileRequest>
  > = []
  const bearer = (name: string, ref: string, token: string) =>
    cases.push({ name, ref, headers: { authorization: `Bearer ${token}` } })
  const header = (name: string, ref: string, value: string | string[]) =>
    cases.push({ name, ref, headers: { authorization: value } })

  // Missing and unusable credentials (RFC 6750 §2.1, §3.1).
  cases.push({ name: 'no credentials', ref: 'RFC 6750 §3.1', headers: {} })
  header('Bearer with an empty value', 'RFC 6750 §2.1', 'Bearer ')
  header('the token without a scheme', 'RFC 6750 §2.1', valid)
  header(
    'the token under the Basic scheme',
    'RFC 6750 §2.1; Hono CVE-2026-47673 class',
    `Basic ${valid}`,
  )
  header('the token under a made-up scheme', 'RFC 6750 §2.1', `Token ${valid}`)
  header('Bearer with a second part after the token', 'RFC 6750 §2.1', `Bearer ${valid} extra`)
  header('two Authorization headers, a forged one first', 'RFC 6750 §2; RFC 9110 §5.3', [
    `Bearer ${withSegment(valid, 2, b64url('forged'))}`,
    `Bearer ${valid}`,
  ])

  // alg none (RFC 8725 §3.1; CVE-2015-9235).
  for (const spelling of ['none', 'None', 'NONE', 'nOnE'])
    bearer(
      `alg "${spelling}" (unsigned token)`,
      'RFC 8725 §3.1; CVE-2015-9235',
      unsecuredJws(claims(), spelling),
    )
  bearer(
    'alg "none" with signature bytes appended',
    'RFC 8725 §3.1',
    `${unsecuredJws(claims())}${b64url('signature')}`,
  )

  // Algorithm confusion: an HMAC "signed" with the issuer's public key (CVE-2015-9235,
  // CVE-2022-23541, CVE-2023-48223).
  if (keys.kind === 'pair') {
    const publicKey = keys.publicKey as CryptoKey
    for (const form of ['pem', 'jwk', 'der'] as const)
      bearer(
        `HS256 keyed with the issuer's public key (${form})`,
        'RFC 8725 §2.1, §3.1; CVE-2022-23541, CVE-2023-48223',
        hmacWithPublicKey(publicKey, form, claims(), 'HS256', { kid: keys.kid }),
      )
  }

  // Tampering and foreign keys (RFC 7515 §5.2; RFC 8725 §3.10).
  bearer(
    'payload changed after signing',
    'RFC 7515 §5.2',
    `${h}.${b64url(claims({ sub: 'admin' }))}.${valid.split('.')[2]}`,
  )
  bearer('one bit of the signature flipped', 'RFC 7515 §5.2', flipBit(valid, 2))
  bearer('signature removed', 'RFC 7515 §5.2', `${h}.${p}.`)
  bearer('only two segments', 'RFC 7515 §7.1', `${h}.${p}`)
  bearer('four segments', 'RFC 7515 §7.1', `${valid}.${b64url('x')}`)
  bearer(
    'padding in a segment',
    'RFC 7515 §2 (base64url without padding)',
    `${h}.${p}=.${valid.split('.')[2]}`,
  )
  bearer('garbage in place of a token', 'RFC 7519 §7.2', 'not-a-jwt')
  bearer(
    'five segments of noise (a fake JWE)',
    'RFC 7516 §9',
    ['a', 'b', 'c', 'd', 'e'].map((s) => b64url(s.repeat(16))).join('.'),
  )
  const attackerHeader = { alg: 'ES256', typ: 'JWT', kid: keys.kid }
  bearer(
    "signed by another key under the issuer's kid",
    'RFC 7515 §5.2',
    signJws('ES256', attacker.privateKey, attackerHeader, claims()),
  )
  bearer(
    "the attacker's key embedded in the jwk header",
    'RFC 8725 §3.10; RFC 7515 §4.1.3; CVE-2018-0114',
    signJws('ES256', attacker.privateKey, { ...attackerHeader, jwk: attacker.publicJwk }, claims()),
  )
  bearer(
    "a jku header naming the attacker's key set",
    'RFC 8725 §3.10; RFC 7515 §4.1.2',
    signJws(
      'ES256',
      attacker.privateKey,
      { ...attackerHeader, jku: 'http://127.0.0.1:9/jwks.json' },
      claims(),
    ),
  )
  bearer(
    "the attacker's certificate in the x5c header",
    'RFC 8725 §3.10; RFC 7515 §4.1.6',
    signJws(
      'ES256',
      attacker.privateKey,
      { ...attackerHeader, x5c: [x5cValue(attacker.certificate)] },
      claims(),
    ),
  )
  bearer(
    'kid path traversal with an empty HMAC secret',
    'RFC 7515 §4.1.4 (kid is not a path)',
    signJws(
      'HS256',
      new Uint8Array(0),
      { alg: 'HS256', typ: 'JWT', kid: '../../../../../../dev/null' },
      claims(),
    ),
  )
  bearer(
    'an unknown critical header extension',
    'RFC 7515 §4.1.11',
    signHeader({ crit: ['x-unknown'], 'x-unknown': true }),
  )
  bearer('b64: false (unencoded payload)', 'RFC 7797 §3', signHeader({ b64: false, crit: ['b64'] }))
  if (alg === 'ES256' && keys.kind === 'pair') {
    // CVE-2022-21449 ("psychic signatures"): r = s = 0 verified on some ECDSA implementations.
    bearer('ECDSA signature r = s = 0', 'CVE-2022-21449', `${h}.${p}.${b64url(new Uint8Array(64))}`)
  }
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  bearer(
    'RS256 signed by an unknown key',
    'RFC 7515 §5.2',
    signJws('RS256', rsa.privateKey, { alg: 'RS256', typ: 'JWT' }, claims()),
  )

  // Claims (RFC 7519 §4.1; RFC 8725 §3.8, §3.9).
  bearer(
    'expired an hour ago',
    'RFC 7519 §4.1.4',
    await sign({}, { expiresIn: -3600, issuedAt: -7200 }),
  )
  bearer('not valid for another hour', 'RFC 7519 §4.1.5', await sign({}, { notBefore: 3600 }))
  bearer('issued an hour in the future', 'RFC 7519 §4.1.6', await sign({}, { issuedAt: 3600 }))
  bearer(
    'for another audience',
    'RFC 7519 §4.1.3; RFC 8725 §3.9',
    await sign({}, { audience: 'https://another-api.test' }),
  )
  bearer(
    'from another issuer',
    'RFC 7519 §4.1.1; RFC 8725 §3.8',
    await sign({}, { issuer: 'https://another-issuer.test' }),
  )
  if (options.requireExp !== false) {
    bearer(
      'without exp',
      'RFC 8725 §3.10 (tokens must expire); tokengate requireExp',
      await sign({}, { withoutExp: true }),
    )
  }
  const base = `"iss":${JSON.stringify(issuer.url)},"aud":${JSON.stringify(audience)},"sub":"attacker","iat":${now}`
  const more = Object.entries(extra)
    .map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join('')
  bearer(
    'exp as a string',
    'RFC 7519 §2 (NumericDate)',
    signRaw(`{${base},"exp":"${now + 600}"${more}}`),
  )
  bearer(
    'exp of 1e400 (Infinity)',
    'RFC 7519 §2 (NumericDate)',
    signRaw(`{${base},"exp":1e400${more}}`),
  )
  bearer(
    'a token of 20,000 characters',
    'tokengate maxTokenLength (resource exhaustion)',
    `${h}.${b64url('x'.repeat(15_000))}.${valid.split('.')[2]}`,
  )

  // Cookies (RFC 6265; RFC 6750 §2).
  if (options.cookie !== undefined) {
    const name = options.cookie
    cases.push({
      name: 'the token in the Authorization header and in the cookie',
      ref: 'RFC 6750 §2 (one method per request)',
      headers: { authorization: `Bearer ${valid}`, cookie: `${name}=${valid}` },
    })
    cases.push({
      name: 'the cookie twice (cookie tossing)',
      ref: 'RFC 6265 §4.2.2',
      headers: { cookie: `${name}=${valid}; ${name}=${withSegment(valid, 2, b64url('forged'))}` },
    })
    cases.push({
      name: 'a cross-site unsafe request riding on the cookie (CSRF)',
      ref: 'OWASP CSRF; Fetch Metadata (Sec-Fetch-Site)',
      method: options.unsafeMethod ?? 'POST',
      headers: {
        cookie: `${name}=${valid}`,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
    })
  }

  const skip = new Set(options.skip ?? [])
  for (const name of skip)
    if (!cases.some((c) => c.name === name))
      throw new TypeError(`hostileRequests: options.skip names no case: "${name}"`)
  return cases
    .filter((c) => !skip.has(c.name))
    .map((c) => ({
      name: c.name,
      ref: c.ref,
      method: c.method ?? 'GET',
      path: c.path ?? path,
      headers: { ...options.headers, ...c.headers },
    }))
}

/**
 * Sends a valid control request, then every hostile request, and reports the answers. Use
 * {@link expectRejectsHostileTokens} in a test; this is the same run without the verdict.
 */
export async function runHostileRequests(
  appUrl: string | URL,
  options: HostileOptions,
): Promise<HostileReport> {
  const base = new URL(appUrl)
  const controlToken = await options.issuer.sign(
    { sub: 'control', ...options.claims },
    { audience: options.audience ?? options.issuer.audience },
  )
  const control = await send(base, {
    name: 'control',
    ref: '',
    method: 'GET',
    path: options.path ?? '/',
    headers: { ...options.headers, authorization: `Bearer ${controlToken}` },
  })
  const requests = await hostileRequests(options)
  const accepted: HostileFinding[] = []
  const crashed: HostileFinding[] = []
  for (const request of requests) {
    const status = await send(base, request)
    if (status < 400) accepted.push({ request, status })
    else if (status >= 500) crashed.push({ request, status })
  }
  return { control, sent: requests.length, accepted, crashed }
}

/**
 * Fails (throws an `Error` listing each case) when the app at `appUrl` accepts any hostile
 * request (a 2xx or 3xx), answers one with a 5xx, or refuses the valid control request (then
 * the run would prove nothing). Works in any test runner: it only throws.
 *
 * @example
 * it('refuses what tokengate refuses', async () => {
 *   await expectRejectsHostileTokens(`http://127.0.0.1:${port}`, { issuer, path: '/api/me' })
 * })
 */
export async function expectRejectsHostileTokens(
  appUrl: string | URL,
  options: HostileOptions,
): Promise<HostileReport> {
  const report = await runHostileRequests(appUrl, options)
  const route = `${new URL(appUrl).origin}${options.path ?? '/'}`
  if (report.control < 200 || report.control >= 300) {
    throw new Error(
      `expectRejectsHostileTokens: ${route} answered ${report.control} to a valid token from ${options.issuer.url}, ` +
        'so refusals prove nothing. Check that the app trusts this issuer (its key or jwksUri, issuer and audience) ' +
        'and that options.claims carries what the route requires.',
    )
  }
  const lines = [
    ...report.accepted.map((f) => `  accepted (${f.status}): ${f.request.name} [${f.request.ref}]`),
    ...report.crashed.map((f) => `  crashed (${f.status}): ${f.request.name} [${f.request.ref}]`),
  ]
  if (lines.length > 0) {
    throw new Error(
      `expectRejectsHostileTokens: ${route} should refuse every hostile request with a 4xx; ` +
        `${lines.length} of ${report.sent} were not refused:\n${lines.join('\n')}`,
    )
  }
  return report
}

function send(base: URL, r: HostileRequest): Promise<number> {
  const target = new URL(
    r.path.replace(/^\/?/, ''),
    base.href.endsWith('/') ? base : `${base.href}/`,
  )
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(target, { method: r.method, headers: r.headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    })
    req.on('error', (err) =>
      reject(
        new Error(
          `expectRejectsHostileTokens: ${r.name}: ${target.origin} did not answer (${err.message})`,
        ),
      ),
    )
    req.end()
  })
}
