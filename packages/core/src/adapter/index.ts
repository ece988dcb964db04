// What every framework adapter resolves once at start-up, so the three adapters share one rule.
import type { Authenticator, AuthenticatorOptions, HeadersLike } from '../types.js'

/** How an adapter renders an AuthError: its own response, or the framework's error handling. */
export type AdapterErrorMode = 'respond' | 'delegate'

/** What an adapter's `tokengate()` works with, resolved once. */
export interface AdapterSetup<Claims> {
  authenticator: Authenticator<Claims>
  onError: AdapterErrorMode
  realm: string | undefined
}

/**
 * Resolves an adapter's arguments: an existing authenticator is used as it is, options build one
 * (so a bad option throws at start-up), and `onError` is checked.
 * `create` is the entry's own `createAuthenticator`, so the Node entry keeps its fast path.
 */
export function setupAdapterWith<Claims>(
  create: (options: AuthenticatorOptions<Claims>) => Authenticator<Claims>,
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: { onError?: AdapterErrorMode } = {},
): AdapterSetup<Claims> {
  const authenticator = isAuthenticator(optionsOrAuthenticator)
    ? optionsOrAuthenticator
    : create(optionsOrAuthenticator)
  const onError = adapterOptions.onError ?? 'respond'
  if (onError !== 'respond' && onError !== 'delegate') {
    throw new TypeError(
      `tokengate: adapterOptions.onError must be 'respond' or 'delegate', got ${JSON.stringify(onError)}.`,
    )
  }
  return { authenticator, onError, realm: authenticator.realm }
}

function isAuthenticator<Claims>(
  value: AuthenticatorOptions<Claims> | Authenticator<Claims>,
): value is Authenticator<Claims> {
  return typeof (value as Authenticator<Claims>).authenticate === 'function'
}

/** What {@link nodeRequestHeaders} reads of a Node `IncomingMessage` (the core imports nothing of Node). */
export interface NodeHeadersSource {
  headers: Record<string, string | string[] | undefined>
  rawHeaders?: readonly string[]
  headersDistinct?: Record<string, string[] | undefined>
}

/**
 * The header record of a Node request for the core. Node's `req.headers` keeps only the first of a
 * repeated Authorization or Host header (and joins a repeated Origin), so a request that repeats one
 * of the headers the core judges gets `headersDistinct`, where the core sees every value and refuses;
 * every other request gets `req.headers`, which frameworks build anyway. `headersDistinct` is a
 * null-prototype object that cost several µs per request to build and to read (bench/README.md).
 *
 * @example
 * authenticator.authenticate({ method: req.method, url, headers: nodeRequestHeaders(req) })
 */
export function nodeRequestHeaders(req: NodeHeadersSource): HeadersLike {
  const raw = req.rawHeaders
  // headersDistinct is a getter that builds the object: it is read only when it is needed.
  if (raw === undefined) return req.headers
  let authorization = 0
  let host = 0
  let origin = 0
  let fetchSite = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    // Length first: most header names are ruled out without lower-casing them.
    if (name.length === 13 && name.toLowerCase() === 'authorization') authorization++
    else if (name.length === 4 && name.toLowerCase() === 'host') host++
    else if (name.length === 6 && name.toLowerCase() === 'origin') origin++
    else if (name.length === 14 && name.toLowerCase() === 'sec-fetch-site') fetchSite++
  }
  return authorization > 1 || host > 1 || origin > 1 || fetchSite > 1
    ? (req.headersDistinct ?? req.headers)
    : req.headers
}

/**
 * One header of a Node header record, as the client sent it: an own property only, so a polluted
 * `Object.prototype.host` is never taken for the request's Host. The first value of a list.
 *
 * @example
 * const host = ownHeader(req.headers, 'host')
 */
export function ownHeader(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  if (!Object.hasOwn(headers, name)) return undefined
  const value: unknown = headers[name]
  const first = Array.isArray(value) ? (value[0] as unknown) : value
  return typeof first === 'string' && first !== '' ? first : undefined
}

/**
 * The path and query of a request target. An absolute-form target (`GET http://other.example/x`,
 * RFC 9112 §3.2.2) names a host of the client's choosing: adapters take their own origin from Host
 * and only the path from the target, so every adapter compares CSRF origins the same way.
 *
 * @example
 * pathOf('http://other.example/x?y=1') // '/x?y=1'
 */
export function pathOf(target: string): string {
  if (target.startsWith('/')) return target
  try {
    const url = new URL(target)
    return `${url.pathname}${url.search}`
  } catch {
    // Not a URL either (asterisk-form, junk): kept as it is; the core treats it as a path-only URL.
    return target
  }
}

/** `'admin'` or `['admin', 'editor']`: guard arguments as a list. */
export function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value]
}
