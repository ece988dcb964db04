// Hono 4 adapter (Node and edge runtimes): maps `c.req.raw` onto the core, sets `auth`, maps an AuthError out.
import {
  clearAuthCookie as clearAuthCookieValue,
  isAuthError,
  requireClaimsOf,
  requireRolesOf,
  requireScopesOf,
  serializeAuthCookie,
  nodeRequestHeaders,
  ownHeader,
  pathOf,
  setupAdapter,
  toList,
} from '@tokengate/core'
import type {
  AuthContext,
  AuthError,
  Authenticator,
  AuthenticatorOptions,
  DefaultClaims,
  NodeHeadersSource,
  RequestLike,
} from '@tokengate/core'
import type { Context, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AdapterOptions, AuthVariables, OptionalAuthVariables } from './types.js'

export type { AdapterOptions, AuthVariables, OptionalAuthVariables } from './types.js'
export { AuthError, isAuthError } from '@tokengate/core'

type OnError = NonNullable<AdapterOptions['onError']>
type CookieOptions = Parameters<typeof serializeAuthCookie>[2]
type ClearCookieOptions = Parameters<typeof clearAuthCookieValue>[1]

// How the tokengate() that ran on a request wants failures rendered; guards follow it.
const failureMode = new WeakMap<Context, { realm: string | undefined; onError: OnError }>()

/**
 * Authenticates every request and sets the `auth` context variable.
 *
 * @example
 * const app = new Hono<{ Variables: AuthVariables }>()
 * app.use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer }))
 * app.get('/me', (c) => c.json(c.get('auth').payload))
 */
export function tokengate<Claims = DefaultClaims>(
  options: AuthenticatorOptions<Claims> & { optional: true },
  adapterOptions?: AdapterOptions,
): MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims> }>
export function tokengate<Claims = DefaultClaims>(
  options: AuthenticatorOptions<Claims> & { optional?: false },
  adapterOptions?: AdapterOptions,
): MiddlewareHandler<{ Variables: AuthVariables<Claims> }>
// An existing authenticator may be optional: the type cannot tell, so the context may be absent.
export function tokengate<Claims = DefaultClaims>(
  authenticator: Authenticator<Claims>,
  adapterOptions?: AdapterOptions,
): MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims> }>
// Options whose `optional` is only known at run time.
export function tokengate<Claims = DefaultClaims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions?: AdapterOptions,
): MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims> }>
export function tokengate<Claims = DefaultClaims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
):
  | MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims> }>
  | MiddlewareHandler<{ Variables: AuthVariables<Claims> }> {
  const { authenticator, ...mode } = setupAdapter(optionsOrAuthenticator, adapterOptions)
  const middleware: MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims> }> = async (
    c,
    next,
  ) => {
    failureMode.set(c, mode)
    // Only the authenticator that ran last speaks for the request: an earlier tokengate()'s context
    // must not survive a later optional one that found no token, nor a failure (issue 12 item 2).
    c.set('auth', undefined)
    let auth: AuthContext<Claims> | null
    try {
      auth = await authenticator.authenticate(toRequestLike(c))
    } catch (err) {
      return fail(err, c)
    }
    // Something else answered meanwhile (hono/timeout): the route must not run as well.
    if (c.finalized) return
    if (auth) c.set('auth', auth)
    await next()
  }
  return middleware
}

/**
 * Requires roles of `c.get('auth')` (`mode: 'all'` unless told otherwise): 401 without a context,
 * 403 `insufficient_role` when short.
 *
 * @example
 * app.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export function requireRoles(
  roles: string | readonly string[],
  options?: { mode?: 'any' | 'all' },
): MiddlewareHandler {
  const list = toList(roles)
  return guard((ctx) => requireRolesOf(ctx, list, options))
}

/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 *
 * @example
 * app.get('/reports', requireScopes('reports:read'), handler)
 */
export function requireScopes(scopes: string | readonly string[]): MiddlewareHandler {
  const list = toList(scopes)
  return guard((ctx) => requireScopesOf(ctx, list))
}

/**
 * Requires a predicate over the claims to hold.
 *
 * @example
 * app.get('/billing', requireClaims<Claims>((claims) => claims.email_verified), handler)
 */
export function requireClaims<Claims = DefaultClaims>(
  predicate: (payload: Claims, ctx: AuthContext<Claims>) => boolean,
): MiddlewareHandler {
  return guard((ctx) => requireClaimsOf(ctx as AuthContext<Claims> | null, predicate))
}

/**
 * Appends a `Set-Cookie` for the token (HttpOnly, Secure and SameSite=Lax by default).
 *
 * @example
 * setAuthCookie(c, 'session', token, { maxAge: 3600 })
 */
export function setAuthCookie(
  c: Context,
  name: string,
  token: string,
  options?: CookieOptions,
): void {
  c.header('Set-Cookie', serializeAuthCookie(name, token, options), { append: true })
}

/**
 * Appends a `Set-Cookie` that deletes the token cookie.
 *
 * @example
 * clearAuthCookie(c, 'session')
 */
export function clearAuthCookie(c: Context, name: string, options?: ClearCookieOptions): void {
  c.header('Set-Cookie', clearAuthCookieValue(name, options), { append: true })
}

/**
 * The ready response of an AuthError, for an `app.onError` that wants tokengate's rendering.
 *
 * @example
 * app.onError((err, c) => (isAuthError(err.cause) ? authErrorResponse(err.cause) : c.text('oops', 500)))
 */
export function authErrorResponse(err: AuthError): Response {
  const { status, headers, body } = err.toResponse()
  return new Response(JSON.stringify(body), { status, headers })
}

function guard(check: (auth: AuthContext | null) => void): MiddlewareHandler {
  return async (c, next) => {
    try {
      check((c.get('auth') as AuthContext | undefined) ?? null)
    } catch (err) {
      return fail(err, c)
    }
    await next()
  }
}

function fail(err: unknown, c: Context): Response | undefined {
  // Already answered (a timeout middleware's 503 while the keys were slow): nothing left to render.
  if (c.finalized) return undefined
  // Not an AuthError (a bug in isRevoked, say): Hono answers 500; we neither swallow nor render it.
  if (!isAuthError(err)) throw err
  const mode = failureMode.get(c)
  const error = err.withRealm(mode?.realm)
  const res = authErrorResponse(error)
  if (mode?.onError === 'delegate') {
    throw new HTTPException(error.status as ContentfulStatusCode, {
      res,
      message: error.description,
      cause: error,
    })
  }
  return res
}

/** What toRequestLike reads of @hono/node-server's `c.env.incoming` (an IncomingMessage). */
interface NodeIncoming extends NodeHeadersSource {
  url?: string
  socket?: { encrypted?: boolean }
}

/**
 * The request for the core. On @hono/node-server the Node request is at hand (`c.env.incoming`): its
 * headers spare building a Fetch `Headers` on every request (about 2 µs of a bare Hono request's
 * 20 µs, see bench/), and a repeated Authorization header stays visible (nodeRequestHeaders).
 * Elsewhere (Workers, Deno, Bun) the Fetch Request as is: method, absolute URL (for CSRF) and Headers.
 */
function toRequestLike(c: Context): RequestLike | Request {
  const incoming = (c.env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming
  return incoming?.headers && incoming.rawHeaders
    ? {
        method: c.req.method,
        url: nodeUrl(c.req.url, incoming as NodeIncoming),
        headers: nodeRequestHeaders(incoming as NodeIncoming),
      }
    : c.req.raw
}

/**
 * node-server takes the URL of an absolute-form target (`POST http://other.example/x`, RFC 9112
 * §3.2.2) as the request's URL, origin included, where Express and Koa take Host: a CSRF check would
 * then find a cross-site Origin "same-origin" with a target the client chose. Our own origin comes
 * from Host (and the socket's TLS), as in the other adapters; only the path is taken from the target.
 */
function nodeUrl(url: string, incoming: NodeIncoming): string {
  const target = incoming.url ?? ''
  if (target.startsWith('/')) return url
  const host = ownHeader(incoming.headers, 'host')
  const path = pathOf(target)
  return host ? `${incoming.socket?.encrypted ? 'https' : 'http'}://${host}${path}` : path
}
