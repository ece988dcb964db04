// Token extraction: the Authorization header (RFC 6750 §2.1), a named cookie, or a custom extractor.
import { parse as parseCookie } from 'cookie'
import { AuthError } from '../errors.js'
import { JWS_PATTERN } from '../token/compact.js'
import type { ExtractorRequest, RequestLike, TokenSource } from '../types.js'
import { headerValues, toHeaders } from './headers.js'

export interface ExtractConfig {
  header: boolean
  cookie: string | undefined
  custom: ((request: ExtractorRequest) => string | undefined) | undefined
  maxTokenLength: number
  /** Also read `Authorization: DPoP` (RFC 9449 §7.1); set when options.dpop is on. */
  dpop?: boolean
}

export interface Extracted {
  token: string
  source: TokenSource
  /** `'DPoP'` when the token came with the DPoP scheme (RFC 9449 §7.1), else Bearer. */
  scheme?: 'DPoP'
  /**
   * Set when the token matched the compact JWS shape in the same scan that read it (`BEARER_JWS`),
   * so the pipeline does not scan it for that shape again (`tokenShape`, token/compact.ts).
   */
  jwsShaped?: true
}

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i
// The common case in one scan (perf, issue 17): a compact JWS is a b64token (its alphabet is a subset,
// no "="), so a value this matches is one BEARER matches with the same capture; anything else goes
// to BEARER as before. The JWS pattern is compact.ts's, so the shape need not be scanned again.
const BEARER_JWS = new RegExp(`^bearer +(${JWS_PATTERN})$`, 'i')
// A tab (or nothing) after the scheme is still a Bearer credential, a malformed one (400), not another scheme.
const BEARER_SCHEME = /^bearer(?:[ \t]|$)/i
// A Fetch Headers object joins repeated headers with ", ": a Bearer credential after a comma means two
// headers, whatever its case and whether a space or a tab follows the scheme (RFC 9110 §5.3, §11.1).
const JOINED_BEARER = /,[ \t]*bearer(?:[ \t]|$)/i
// RFC 9449 §7.1: credentials = "DPoP" 1*SP token68, the same shape as a Bearer b64token.
const DPOP = /^dpop +([A-Za-z0-9\-._~+/]+=*)$/i
const DPOP_SCHEME = /^dpop(?:[ \t]|$)/i

/**
 * Finds the one token of a request, or undefined when there is none. Throws 400 `invalid_request` for a
 * malformed or repeated credential, 400 `multiple_tokens` when two sources carry one (RFC 6750 §2), and
 * 401 `token_too_large` above `maxTokenLength`, checked before any parsing.
 *
 * @example
 * extractToken({ method: 'GET', url: '/', headers: { authorization: 'Bearer abc' } }, config)
 * // { token: 'abc', source: 'header' }
 */
export function extractToken(request: RequestLike, config: ExtractConfig): Extracted | undefined {
  checkRequest(request)
  let found: Extracted | undefined
  if (config.header) {
    const values = headerValues(request.headers, 'authorization')
    found = fromAuthorization(values, config.maxTokenLength)
    if (
      found === undefined &&
      config.dpop &&
      values !== undefined &&
      DPOP_SCHEME.test(values[0] as string)
    ) {
      found = {
        token: fromDpop(values[0] as string, config.maxTokenLength),
        source: 'header',
        scheme: 'DPoP',
      }
    }
  }
  if (config.cookie !== undefined) {
    const token = fromCookie(
      headerValues(request.headers, 'cookie'),
      config.cookie,
      config.maxTokenLength,
    )
    if (token !== undefined) found = add(found, { token, source: 'cookie' })
  }
  if (config.custom !== undefined) {
    const token = config.custom({
      method: request.method,
      url: request.url,
      headers: toHeaders(request.headers),
    })
    if (typeof token === 'string' && token !== '') {
      checkLength(token, config.maxTokenLength)
      found = add(found, { token, source: 'custom' })
    }
  }
  return found
}

// A broken adapter or a hand-built request (no `headers`, or not an object) is the caller's bad input:
// a 400 AuthError like any other malformed request, never a TypeError that an adapter answers 500.
function checkRequest(request: RequestLike): void {
  const headers = (request as Partial<RequestLike> | null | undefined)?.headers
  if (headers === null || typeof headers !== 'object') {
    throw new AuthError('invalid_request', 'the request has no headers object')
  }
}

function add(found: Extracted | undefined, next: Extracted): Extracted {
  if (found)
    throw new AuthError(
      'multiple_tokens',
      `a token was sent in more than one place (${found.source} and ${next.source}); RFC 6750 §2 allows one`,
    )
  return next
}

function checkLength(token: string, max: number): void {
  if (token.length > max)
    throw new AuthError('token_too_large', `the token is longer than ${max} characters`)
}

function fromAuthorization(values: string[] | undefined, max: number): Extracted | undefined {
  if (values === undefined) return undefined
  if (values.length > 1)
    throw new AuthError('invalid_request', 'the request has more than one Authorization header')
  const value = values[0] as string
  if (!BEARER_SCHEME.test(value)) {
    // Another scheme (Basic, DPoP, ...) is not a bearer token, unless a Bearer header was joined onto it.
    if (JOINED_BEARER.test(value))
      throw new AuthError('invalid_request', 'the request has more than one Authorization header')
    return undefined
  }
  // The scheme plus a few spaces of slack: a longer value cannot hold a token within the limit.
  if (value.length > max + 16)
    throw new AuthError('token_too_large', `the token is longer than ${max} characters`)
  const jws = BEARER_JWS.exec(value)
  if (jws) {
    const token = jws[1] as string
    checkLength(token, max)
    return { token, source: 'header', jwsShaped: true }
  }
  const match = BEARER.exec(value)
  if (!match) {
    throw new AuthError(
      'invalid_request',
      value.includes(',')
        ? 'the request has more than one Authorization header'
        : 'the Bearer credential is malformed (RFC 6750 §2.1)',
    )
  }
  const token = match[1] as string
  checkLength(token, max)
  return { token, source: 'header' }
}

function fromDpop(value: string, max: number): string {
  if (value.length > max + 16)
    throw new AuthError('token_too_large', `the token is longer than ${max} characters`)
  const match = DPOP.exec(value)
  if (!match) {
    throw new AuthError(
      'invalid_request',
      value.includes(',')
        ? 'the request has more than one Authorization header'
        : 'the DPoP credential is malformed (RFC 9449 §7.1)',
    )
  }
  const token = match[1] as string
  checkLength(token, max)
  return token
}

function fromCookie(values: string[] | undefined, name: string, max: number): string | undefined {
  if (values === undefined) return undefined
  // Several Cookie lines are one list joined by "; " (RFC 9113 §8.2.3; Node does the same for HTTP/1.1).
  const header = values.length === 1 ? (values[0] as string) : values.join('; ')
  // The cookie package keeps the first of two same-named cookies; an attacker who can set a cookie for
  // a parent domain could shadow ours, so a repeated name is refused, also across joined headers.
  // Pairs are split on ";" only (RFC 6265 §4.2.1, §5.4): a "," belongs to a value, so a sibling
  // subdomain's `pref=a,tg=x` is one cookie named pref, not a second tg that would deny the session.
  let count = 0
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq !== -1 && pair.slice(0, eq).trim() === name && ++count > 1) {
      throw new AuthError('invalid_request', `the cookie ${name} appears more than once`)
    }
  }
  if (count === 0) return undefined
  const token = parseCookie(header)[name]
  if (token === undefined || token === '') return undefined
  // No token holds a ",": ours does only when a Fetch Headers joined two Cookie lines with ", "
  // (`tg=a, tg=b`), which is the repeated cookie above seen through another join. Only a cookie of
  // our own name can put a "," here, so this refuses nothing a sibling subdomain controls alone.
  if (token.includes(',')) {
    throw new AuthError('invalid_request', `the cookie ${name} appears more than once`)
  }
  checkLength(token, max)
  return token
}
