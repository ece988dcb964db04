// Requests that are not authenticated at all: CORS preflights, and the app's `skip` rule (express-jwt's
// `.unless()`, koa-jwt's `unless`). Either resolves `authenticate()` to null before a token is read.
import type { ExtractorRequest, RequestLike } from '../types.js'
import { firstHeaderValue, toHeaders } from './headers.js'

/** The resolved `skip` option: true when this request is not authenticated. */
export type SkipRule = (request: RequestLike) => boolean

/**
 * A CORS preflight: `OPTIONS` with `Access-Control-Request-Method` (Fetch standard §3.2.2, "CORS
 * protocol", and §4.8 "CORS-preflight fetch": the browser sends it with credentials mode "omit", so
 * it never carries the user's token). Authenticating it can only fail, and the browser then blocks
 * the real request.
 *
 * @example
 * isPreflight({ method: 'OPTIONS', url: '/x', headers: { 'access-control-request-method': 'PUT' } }) // true
 */
export function isPreflight(request: RequestLike): boolean {
  return (
    request.method === 'OPTIONS' &&
    typeof request.headers === 'object' &&
    request.headers !== null &&
    firstHeaderValue(request.headers, 'access-control-request-method') !== undefined
  )
}

// RFC 9110 §9.1: a method is a case-sensitive token; the standard ones are upper case.
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Z]+$/
// What a Host header may hold (RFC 9110 §7.2, RFC 3986 §3.2.2): with anything else ('/', '?', '#',
// '@', '\'), the path of a URL built from it (the Node adapters build `scheme://Host/target`) would
// not be the path the router sees.
const HOST = /^[A-Za-z0-9.\-_~!$&'()*+,;=:[\]%]*$/
// A path segment that is `.` or `..`, also percent-encoded (`%2e`, `.%2E`): routers and proxies
// that normalise (WHATWG URL, nginx) would resolve it, so the path seen here is not the one routed.
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i
// Encoded separators, dots and NUL, backslashes, empty segments, control characters and spaces.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
const AMBIGUOUS = /%2f|%5c|%2e|%00|\\|\/\/|[\x00-\x20\x7f]/i

/**
 * Resolves `options.skip` (the path of the option is `path`): a function of the request, or
 * `{ path, method }` patterns. Throws a TypeError naming the fix.
 *
 * Patterns: a request is skipped when its path matches one entry of `path` (when given) AND its
 * method is one of `method` (when given). The path is the request's own path, as sent (no query, no
 * fragment, not decoded), compared exactly (case and trailing slash count) with a string, or tested
 * with a RegExp anchored by `^`. A path that is not plain (dot segments, also encoded; encoded `/`,
 * `\` or `.`; `//`; a backslash; control characters) is never skipped: it is authenticated.
 *
 * @example
 * const skip = resolveSkip({ path: ['/health', /^\/public\//], method: ['GET'] }, 'options.skip')
 */
export function resolveSkip(value: unknown, path: string): SkipRule | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'function') return skipByFunction(value as SkipFunction, path)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(
      `tokengate: ${path} must be a function (request) => boolean or { path?: (string | RegExp)[], method?: string[] }`,
    )
  const o = value as { path?: unknown; method?: unknown }
  const extra = Object.keys(o).filter((k) => k !== 'path' && k !== 'method')
  if (extra.length > 0)
    throw new TypeError(
      `tokengate: ${path} takes { path?, method? }, not ${extra.join(', ')} (for anything else, give a function (request) => boolean)`,
    )
  const paths = o.path === undefined ? undefined : pathPatterns(o.path, `${path}.path`)
  const methods = o.method === undefined ? undefined : methodList(o.method, `${path}.method`)
  if (paths === undefined && methods === undefined)
    throw new TypeError(`tokengate: ${path} needs path, method or both`)
  return (request) =>
    (methods === undefined || methods.has(request.method)) &&
    (paths === undefined || matchesPath(paths, request))
}

type SkipFunction = (request: ExtractorRequest) => unknown

function skipByFunction(fn: SkipFunction, path: string): SkipRule {
  return (request) => {
    const answer = fn({
      method: request.method,
      url: request.url,
      headers:
        typeof request.headers === 'object' && request.headers !== null
          ? toHeaders(request.headers)
          : new Headers(),
    })
    if (typeof answer !== 'boolean')
      // A Promise is truthy: an async skip would skip everything. Refused, never guessed.
      throw new TypeError(
        `tokengate: ${path} must return true or false synchronously (it returned ${answer instanceof Promise ? 'a Promise' : typeof answer})`,
      )
    return answer
  }
}

function pathPatterns(value: unknown, path: string): (string | RegExp)[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new TypeError(
      `tokengate: ${path} must be a non-empty list of exact paths ('/health') or RegExps anchored with ^ (/^\\/public\\//)`,
    )
  return value.map((p: unknown, i) => {
    if (typeof p === 'string') {
      if (!p.startsWith('/') || p.includes('?') || p.includes('#') || !isPlain(p))
        throw new TypeError(
          `tokengate: ${path}.${i} must be a plain path starting with / (no query, no fragment, no . or .. segments, no //)`,
        )
      return p
    }
    if (p instanceof RegExp) {
      if (!p.source.startsWith('^'))
        throw new TypeError(
          `tokengate: ${path}.${i} must be anchored with ^ (/^\\/public\\//): an unanchored RegExp also matches /admin/public/`,
        )
      // lastIndex makes test() stateful with g or y: every other request would match differently.
      if (p.global || p.sticky)
        throw new TypeError(`tokengate: ${path}.${i} must not have the g or y flag`)
      return p
    }
    throw new TypeError(`tokengate: ${path}.${i} must be a string or a RegExp`)
  })
}

function methodList(value: unknown, path: string): Set<string> {
  if (!Array.isArray(value) || value.length === 0)
    throw new TypeError(`tokengate: ${path} must be a non-empty list of methods such as ['GET']`)
  for (const [i, m] of value.entries()) {
    if (typeof m !== 'string' || !METHOD.test(m))
      throw new TypeError(
        `tokengate: ${path}.${i} must be an upper-case method name such as 'GET' (methods are case-sensitive, RFC 9110 §9.1)`,
      )
  }
  return new Set(value as string[])
}

function matchesPath(patterns: readonly (string | RegExp)[], request: RequestLike): boolean {
  const path = plainPath(request)
  if (path === undefined) return false
  for (const p of patterns) if (typeof p === 'string' ? p === path : p.test(path)) return true
  return false
}

/**
 * The request's path as sent, when it is plain enough that every router sees the same one; else
 * undefined (never skipped). `url` is a path (`/x?y`) or absolute (`https://host/x?y`).
 */
export function plainPath(request: RequestLike): string | undefined {
  const url = request.url
  if (typeof url !== 'string') return undefined
  let end = url.length
  for (const c of ['?', '#']) {
    const at = url.indexOf(c)
    if (at !== -1 && at < end) end = at
  }
  let path: string
  if (url.startsWith('/')) path = url.slice(0, end)
  else {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url)
    if (!scheme) return undefined
    const host =
      typeof request.headers === 'object' && request.headers !== null
        ? firstHeaderValue(request.headers, 'host')
        : undefined
    if (host !== undefined && !HOST.test(host)) return undefined
    const slash = url.indexOf('/', scheme[0].length)
    if (slash === -1 || slash > end) return undefined
    path = url.slice(slash, end)
  }
  return isPlain(path) ? path : undefined
}

function isPlain(path: string): boolean {
  return !DOT_SEGMENT.test(path) && !AMBIGUOUS.test(path)
}
