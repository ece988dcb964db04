// Set-Cookie values for a token: HttpOnly always, Secure and SameSite=Lax by default, cookie prefixes enforced.
import { serialize } from 'cookie'
import { decodeJwt } from 'jose'
import { parseDuration } from '../util/duration.js'
import type { Duration } from '../types.js'

/** Options of {@link serializeAuthCookie}. There is no `httpOnly`: it is always set. */
export interface AuthCookieOptions {
  /** Lifetime; default: until the token's `exp` when it can be read (a JWS), else a session cookie. */
  maxAge?: Duration
  /** Absolute expiry, instead of `maxAge`. */
  expires?: Date
  /** Default `/`. */
  path?: string
  /** Leave out (the default) to bind the cookie to this exact host. Not allowed with `__Host-`. */
  domain?: string
  /** Default `'lax'`. `'none'` needs Secure. */
  sameSite?: 'lax' | 'strict' | 'none'
  /** Default true. Turning it off needs `insecure: true` as well. */
  secure?: boolean
  /** Local development over plain http: drops Secure. Never in production. */
  insecure?: boolean
  /** CHIPS partitioned cookie. */
  partitioned?: boolean
  /** The Chrome `Priority` attribute. Default none. */
  priority?: 'low' | 'medium' | 'high'
}

/** Options of {@link clearAuthCookie}: must match the cookie's path and domain to remove it. */
export type ClearAuthCookieOptions = Omit<AuthCookieOptions, 'maxAge' | 'expires'>

// RFC 6265 §4.1.1: cookie-name is an RFC 2616 token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// RFC 6265 §4.1.1 cookie-octet, without the quotes: what a token may contain to be stored unencoded.
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/
const DOMAIN =
  /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/
const PATH = /^\/[\x20-\x3a\x3c-\x7e]*$/

/**
 * A `Set-Cookie` value carrying `token`. HttpOnly is always set (a script-readable token is one XSS
 * away from theft); Secure, SameSite=Lax and Path=/ are the defaults; Max-Age follows the token's
 * `exp` (read, not verified) unless `maxAge` or `expires` is given. `__Host-` and `__Secure-` prefix
 * rules (RFC 6265bis §4.1.3) are enforced. Bad options throw a TypeError.
 *
 * @example
 * res.setHeader('Set-Cookie', serializeAuthCookie('__Host-session', token))
 * // __Host-session=eyJ...; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax
 */
export function serializeAuthCookie(
  name: string,
  token: string,
  options: AuthCookieOptions = {},
): string {
  if (typeof token !== 'string' || !COOKIE_VALUE.test(token)) {
    throw new TypeError(
      'tokengate: serializeAuthCookie token must be a non-empty string of cookie-safe characters (a compact JWS or JWE is)',
    )
  }
  const attributes = resolveAttributes(name, options, 'serializeAuthCookie')
  let maxAge: number | undefined
  if (options.maxAge !== undefined && options.expires !== undefined) {
    throw new TypeError('tokengate: serializeAuthCookie takes maxAge or expires, not both')
  }
  if (options.maxAge !== undefined)
    maxAge = Math.floor(parseDuration(options.maxAge, 'serializeAuthCookie options.maxAge'))
  else if (options.expires === undefined) maxAge = secondsUntilExp(token)
  if (
    options.expires !== undefined &&
    !(options.expires instanceof Date && Number.isFinite(options.expires.getTime()))
  ) {
    throw new TypeError('tokengate: serializeAuthCookie options.expires must be a valid Date')
  }
  return serialize(name, token, {
    ...attributes,
    ...(maxAge !== undefined && { maxAge }),
    ...(options.expires !== undefined && { expires: options.expires }),
    encode: (value) => value,
  })
}

/**
 * A `Set-Cookie` value that removes the cookie (`Max-Age=0` and an `Expires` in the past). Give the
 * same `path`/`domain` as when it was set; the same prefix rules apply.
 *
 * @example
 * res.setHeader('Set-Cookie', clearAuthCookie('__Host-session'))
 */
export function clearAuthCookie(name: string, options: ClearAuthCookieOptions = {}): string {
  const attributes = resolveAttributes(name, options, 'clearAuthCookie')
  return serialize(name, '', { ...attributes, maxAge: 0, expires: new Date(0) })
}

function resolveAttributes(name: string, options: AuthCookieOptions, fn: string) {
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw new TypeError(
      `tokengate: ${fn} name must be a cookie name of RFC 6265 token characters, e.g. "__Host-session"`,
    )
  }
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`tokengate: ${fn} options must be an object`)
  if ('httpOnly' in options && (options as { httpOnly?: unknown }).httpOnly !== true) {
    throw new TypeError(
      `tokengate: ${fn} cannot turn HttpOnly off: a token that scripts can read is one XSS away from theft`,
    )
  }
  const insecure = options.insecure === true
  if (options.secure === false && !insecure) {
    throw new TypeError(
      `tokengate: ${fn} options.secure: false needs options.insecure: true as well (local development over http only)`,
    )
  }
  if (insecure && options.secure === true)
    throw new TypeError(
      `tokengate: ${fn} options.secure and options.insecure contradict each other`,
    )
  const secure = !insecure
  const sameSite = options.sameSite ?? 'lax'
  if (!['lax', 'strict', 'none'].includes(sameSite))
    throw new TypeError(`tokengate: ${fn} options.sameSite must be 'lax', 'strict' or 'none'`)
  // Browsers refuse SameSite=None without Secure.
  if (sameSite === 'none' && !secure)
    throw new TypeError(`tokengate: ${fn} options.sameSite 'none' needs Secure (drop insecure)`)
  const path = options.path ?? '/'
  if (typeof path !== 'string' || !PATH.test(path))
    throw new TypeError(
      `tokengate: ${fn} options.path must start with '/' and contain no ';' or control characters`,
    )
  if (
    options.domain !== undefined &&
    (typeof options.domain !== 'string' || !DOMAIN.test(options.domain))
  ) {
    throw new TypeError(`tokengate: ${fn} options.domain must be a host name such as "example.com"`)
  }
  // RFC 6265bis §4.1.3: browsers ignore prefixed cookies that break these rules (matched case-insensitively).
  const lower = name.toLowerCase()
  if (lower.startsWith('__host-')) {
    if (!secure || path !== '/' || options.domain !== undefined) {
      throw new TypeError(
        `tokengate: ${fn} a "__Host-" cookie must be Secure, have Path=/ and no Domain (RFC 6265bis §4.1.3.2)`,
      )
    }
  } else if (lower.startsWith('__secure-') && !secure) {
    throw new TypeError(
      `tokengate: ${fn} a "__Secure-" cookie must be Secure (RFC 6265bis §4.1.3.1)`,
    )
  }
  return {
    httpOnly: true,
    secure,
    sameSite,
    path,
    ...(options.domain !== undefined && { domain: options.domain }),
    ...(options.partitioned === true && { partitioned: true }),
    ...(options.priority !== undefined && { priority: options.priority }),
  } as const
}

// The token's `exp`, read without verification, only to size the cookie: a JWE (unreadable) or a
// token without a usable exp gives a session cookie.
function secondsUntilExp(token: string): number | undefined {
  if (token.split('.').length !== 3) return undefined
  try {
    const { exp } = decodeJwt(token)
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined
    return Math.max(0, Math.floor(exp - Date.now() / 1000))
  } catch {
    return undefined
  }
}
