// CSRF defence for cookie-borne tokens: Fetch Metadata (Sec-Fetch-Site) first, then Origin or Referer.
import { AuthError } from '../errors.js'
import type { RequestLike } from '../types.js'
import { firstHeaderValue } from './headers.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** What {@link checkCsrf} allows besides the request's own origin. */
export interface CsrfConfig {
  /** Normalised origins (scheme://host[:port]) allowed besides the request's own. */
  allowedOrigins: ReadonlySet<string>
}

/**
 * Refuses a cookie-borne token on an unsafe method unless the request provably comes from our own
 * origin or an allowed one. Browsers cannot forge `Sec-Fetch-Site`, `Origin` or `Referer`
 * (forbidden header names, Fetch §2.2.2); a request with none of them is refused, because a browser
 * that sends cookies on an unsafe cross-site request also sends at least one of them.
 *
 * @example
 * checkCsrf({ method: 'POST', url: 'https://app.example/x', headers: { origin: 'https://app.example' } }, config)
 */
export function checkCsrf(request: RequestLike, config: CsrfConfig): void {
  // String(): a request without a method (a broken adapter) is treated as unsafe, never a crash.
  if (SAFE_METHODS.has(String(request.method).toUpperCase())) return
  const site = firstHeaderValue(request.headers, 'sec-fetch-site')
  // Fetch Metadata §2.1: 'none' is a user-initiated navigation (address bar, bookmark).
  if (site === 'same-origin' || site === 'none') return
  let origin = firstHeaderValue(request.headers, 'origin')
  if (origin === undefined) {
    const referer = firstHeaderValue(request.headers, 'referer')
    if (referer !== undefined) origin = originOf(referer) ?? 'null'
  }
  if (origin === undefined) {
    throw new AuthError(
      'csrf_rejected',
      'a cookie-borne token on an unsafe method needs Sec-Fetch-Site, Origin or Referer',
    )
  }
  if (origin !== 'null' && (config.allowedOrigins.has(origin) || isOwnOrigin(origin, request)))
    return
  throw new AuthError('csrf_rejected', 'the request comes from another origin')
}

function isOwnOrigin(origin: string, request: RequestLike): boolean {
  const url = String(request.url)
  if (url.startsWith('/')) {
    // A path-only URL: compare the host (and port) with Host. The scheme is unknown here, which is
    // acceptable: the same host on another scheme is the same site (RFC 6454 §4 aside).
    const host = firstHeaderValue(request.headers, 'host')
    if (host === undefined) return false
    try {
      return new URL(origin).host === host.toLowerCase()
    } catch {
      return false
    }
  }
  return originOf(url) === origin
}

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin
    return origin === 'null' ? undefined : origin
  } catch {
    return undefined
  }
}
