// The request URI a DPoP proof's `htu` must match (RFC 9449 §4.3), built without trusting `Host`.
import { AuthError } from '../errors.js'
import { headerValues } from '../request/headers.js'
import type { RequestLike } from '../types.js'

/** Where the public origin of a request comes from: configured origins, or a trusted proxy. */
export interface TargetConfig {
  /** Normalised origins (`https://api.example.com`), or undefined. */
  origins: readonly string[] | undefined
  trustProxy: boolean
}

// RFC 3986 §3.2.2-3.2.3 host [":" port], as Host and X-Forwarded-Host must be: a reg-name or IPv4
// address, or an IPv6 literal. Anything else ('/', '?', '#', '@', spaces) could shift the path the
// core derives from the URL away from the one the framework routed, so it is refused.
const AUTHORITY = /^(?:[A-Za-z0-9._~!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/
const UNRESERVED = /^[A-Za-z0-9\-._~]$/

/**
 * Validates `dpop.origins` at start-up: each an http(s) origin (scheme://host[:port], no path);
 * returns them normalised (lower-case, default port dropped, RFC 3986 §6.2.3).
 */
export function checkOrigins(value: unknown, path = 'options.dpop.origins'): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new TypeError(
      `tokengate: ${path} must be a non-empty list of origins, e.g. ['https://api.example.com']`,
    )
  return value.map((origin: unknown) => {
    let url: URL | undefined
    try {
      url = typeof origin === 'string' ? new URL(origin) : undefined
    } catch {
      url = undefined
    }
    if (
      url === undefined ||
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.username !== '' ||
      url.password !== '' ||
      url.pathname !== '/' ||
      /[?#]|:\/\/.*\/./s.test(origin as string)
    ) {
      throw new TypeError(
        `tokengate: ${path} entry ${JSON.stringify(origin)} must be an http(s) origin: scheme://host[:port], no path (e.g. 'https://api.example.com')`,
      )
    }
    return url.origin
  })
}

/**
 * Normalises an http(s) URI for comparison (RFC 9449 §4.3 asks for RFC 3986 §6.2.2 syntax-based and
 * §6.2.3 scheme-based normalisation): scheme and host lower-case, default port dropped, dot segments
 * removed, percent-encodings upper-case, unreserved characters decoded, empty path `/`. Query and
 * fragment are dropped: RFC 9449 §4.3 check 9 compares htu with the request URI "ignoring any
 * query and fragment parts", so a client that sends them (against §4.2's advice) is still accepted.
 * Returns undefined for anything that is not an absolute http(s) URI without userinfo.
 */
export function normalizeHtu(value: string): string | undefined {
  if (!/^https?:\/\//i.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.username !== '' || url.password !== '') return undefined
  // The WHATWG parser ends the authority and the path at the first '?' or '#', as RFC 3986 §3 does.
  return url.origin + normalizePath(url.pathname)
}

function normalizePath(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16))
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`
  })
}

/**
 * The normalised URIs (origin + path, no query) this request may have been sent to: one, or two
 * when `origins` lists the same host under http and https. Throws AuthError when the request's
 * origin is not one the configuration vouches for.
 *
 * - `origins` alone: the one listed origin; with several, the one whose host is the request's
 *   (its URL's, else `Host`), which then only chooses among trusted values, never adds one.
 * - `trustProxy`: `X-Forwarded-Proto` and `X-Forwarded-Host` (first values, as Express and Koa
 *   read them), else the request URL's own scheme and host; with `origins` too, it must be listed.
 */
export function requestTargets(request: RequestLike, config: TargetConfig): string[] {
  const url = request.url
  const absolute = ABSOLUTE.exec(url)
  let path: string
  if (absolute) path = absolute[3] as string
  else if (url.startsWith('/')) path = url.replace(/[?#].*$/s, '')
  else throw new AuthError('invalid_request', 'the request target is not a path (RFC 9110 §7.1)')
  // Concatenated, not resolved: '//host/x' stays a path.
  const normalizedPath = normalizePath(new URL(`http://h${path === '' ? '/' : path}`).pathname)

  const host = single(request, 'host')
  if (host !== undefined && !AUTHORITY.test(host))
    throw new AuthError('invalid_request', 'the Host header is not a valid host[:port]')
  // An absolute URL is the runtime's own (Fetch) or built from Host (Node adapters): it wins.
  const authority = absolute?.[2] || host

  let origins: readonly string[]
  if (config.trustProxy) {
    const proto = (first(request, 'x-forwarded-proto') ?? absolute?.[1])?.toLowerCase()
    const forwardedHost = first(request, 'x-forwarded-host') ?? authority
    if ((proto !== 'http' && proto !== 'https') || forwardedHost === undefined)
      throw new AuthError(
        'invalid_dpop_proof',
        'the request URL cannot be determined from X-Forwarded-Proto and X-Forwarded-Host',
      )
    const origin = originOf(proto, forwardedHost)
    if (origin === undefined || (config.origins && !config.origins.includes(origin)))
      throw new AuthError('invalid_dpop_proof', 'the forwarded origin is not one of dpop.origins')
    origins = [origin]
  } else {
    const listed = config.origins ?? []
    origins =
      listed.length === 1
        ? listed
        : listed.filter(
            (o) => authority !== undefined && originOf(o.slice(0, o.indexOf(':')), authority) === o,
          )
    if (origins.length === 0)
      throw new AuthError('invalid_dpop_proof', 'the request Host is not one of dpop.origins')
  }
  return origins.map((origin) => origin + normalizedPath)
}

function originOf(scheme: string, authority: string): string | undefined {
  if (!AUTHORITY.test(authority)) return undefined
  try {
    return new URL(`${scheme}://${authority}`).origin
  } catch {
    return undefined
  }
}

/** The only value of a header; a repeated one (or, in a Fetch Headers, joined ones) is refused. */
function single(request: RequestLike, name: string): string | undefined {
  const values = headerValues(request.headers, name)
  if (values === undefined) return undefined
  if (values.length > 1 || (values[0] as string).includes(','))
    throw new AuthError('invalid_request', `the request has more than one ${name} header`)
  return (values[0] as string).trim()
}

/** The first value of a list-valued header (proxies append: `X-Forwarded-Proto: https, http`). */
function first(request: RequestLike, name: string): string | undefined {
  const values = headerValues(request.headers, name)
  const value = values?.[0]?.split(',')[0]?.trim()
  return value === '' ? undefined : value
}
