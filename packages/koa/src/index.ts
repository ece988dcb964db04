// Koa 2/3 adapter: maps the request onto the core, attaches `ctx.state.auth`, maps an AuthError out.
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
  Authenticator,
  AuthenticatorOptions,
  DefaultClaims,
  RequestLike,
} from '@tokengate/core'
import type { Context, Middleware, ParameterizedContext } from 'koa'
import type { AdapterOptions, AuthState, OptionalAuthState } from './types.js'

export type { AdapterOptions, AuthState, OptionalAuthState } from './types.js'
export { AuthError, isAuthError } from '@tokengate/core'

type OnError = NonNullable<AdapterOptions['onError']>
type CookieOptions = Parameters<typeof serializeAuthCookie>[2]
type ClearCookieOptions = Parameters<typeof clearAuthCookieValue>[1]
type AnyContext = ParameterizedContext<any, any, any>

// How the tokengate() that ran on a request wants failures rendered; guards follow it.
const failureMode = new WeakMap<object, { realm: string | undefined; onError: OnError }>()

/**
 * Authenticates every request and attaches the result to `ctx.state.auth`.
 *
 * @example
 * const app = new Koa().use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer }))
 * app.use((ctx) => { ctx.body = ctx.state.auth.payload })
 */
export function tokengate<Claims = DefaultClaims>(
  options: AuthenticatorOptions<Claims> & { optional: true },
  adapterOptions?: AdapterOptions,
): Middleware<OptionalAuthState<Claims>>
export function tokengate<Claims = DefaultClaims>(
  options: AuthenticatorOptions<Claims> & { optional?: false },
  adapterOptions?: AdapterOptions,
): Middleware<AuthState<Claims>>
// An existing authenticator may be optional: the type cannot tell, so the context may be absent.
export function tokengate<Claims = DefaultClaims>(
  authenticator: Authenticator<Claims>,
  adapterOptions?: AdapterOptions,
): Middleware<OptionalAuthState<Claims>>
// Options whose `optional` is only known at run time.
export function tokengate<Claims = DefaultClaims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions?: AdapterOptions,
): Middleware<OptionalAuthState<Claims>>
export function tokengate<Claims = DefaultClaims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
): Middleware<OptionalAuthState<Claims>> {
  const { authenticator, ...mode } = setupAdapter(optionsOrAuthenticator, adapterOptions)
  return async (ctx, next) => {
    failureMode.set(ctx, mode)
    // Only the authenticator that ran last speaks for the request: an earlier tokengate()'s context
    // must not survive a later optional one that found no token, nor a failure (issue 12 item 2).
    delete ctx.state.auth
    let auth: AuthContext<Claims> | null
    try {
      auth = await authenticator.authenticate(toRequestLike(ctx))
    } catch (err) {
      return fail(err, ctx)
    }
    // Something else answered meanwhile (a request timeout): the route must not run as well.
    if (answered(ctx)) return
    if (auth) ctx.state.auth = auth
    await next()
  }
}

/**
 * Requires roles of `ctx.state.auth` (`mode: 'all'` unless told otherwise): 401 without a context,
 * 403 `insufficient_role` when short.
 *
 * @example
 * router.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export function requireRoles(
  roles: string | readonly string[],
  options?: { mode?: 'any' | 'all' },
): Middleware {
  const list = toList(roles)
  return guard((ctx) => requireRolesOf(ctx, list, options))
}

/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 *
 * @example
 * router.get('/reports', requireScopes('reports:read'), handler)
 */
export function requireScopes(scopes: string | readonly string[]): Middleware {
  const list = toList(scopes)
  return guard((ctx) => requireScopesOf(ctx, list))
}

/**
 * Requires a predicate over the claims to hold.
 *
 * @example
 * router.get('/billing', requireClaims<Claims>((claims) => claims.email_verified), handler)
 */
export function requireClaims<Claims = DefaultClaims>(
  predicate: (payload: Claims, ctx: AuthContext<Claims>) => boolean,
): Middleware {
  return guard((ctx) => requireClaimsOf(ctx as AuthContext<Claims> | null, predicate))
}

/**
 * Appends a `Set-Cookie` for the token (HttpOnly, Secure and SameSite=Lax by default).
 *
 * @example
 * setAuthCookie(ctx, 'session', token, { maxAge: 3600 })
 */
export function setAuthCookie(
  ctx: Context | AnyContext,
  name: string,
  token: string,
  options?: CookieOptions,
): void {
  ctx.append('Set-Cookie', serializeAuthCookie(name, token, options))
}

/**
 * Appends a `Set-Cookie` that deletes the token cookie.
 *
 * @example
 * clearAuthCookie(ctx, 'session')
 */
export function clearAuthCookie(
  ctx: Context | AnyContext,
  name: string,
  options?: ClearCookieOptions,
): void {
  ctx.append('Set-Cookie', clearAuthCookieValue(name, options))
}

function guard(check: (auth: AuthContext | null) => void): Middleware {
  return async (ctx, next) => {
    try {
      check((ctx.state as OptionalAuthState).auth ?? null)
    } catch (err) {
      return fail(err, ctx)
    }
    await next()
  }
}

/**
 * True once the response was started or sent by anyone: Koa would ignore a status set now, so there
 * is nothing left to render. (`ctx.respond = false` is not "answered": the app writes `ctx.res`
 * itself later, and a route behind us may be the one that does.)
 */
function answered(ctx: AnyContext): boolean {
  return ctx.headerSent || ctx.res.writableEnded
}

function fail(err: unknown, ctx: AnyContext): void {
  // Already answered (a timeout middleware sent its 503 while the keys were slow): nobody to tell.
  if (answered(ctx)) return
  // Not an AuthError (a bug in isRevoked, say): Koa answers 500; we neither swallow nor render it.
  if (!isAuthError(err)) throw err
  const mode = failureMode.get(ctx)
  const error = err.withRealm(mode?.realm)
  const { status, headers, body } = error.toResponse()
  if (mode?.onError === 'delegate') {
    // Koa's default handler sets err.headers, err.status and, with expose, err.message (as text).
    const { 'content-type': _json, ...challengeHeaders } = headers
    throw Object.assign(error, { expose: true, headers: challengeHeaders })
  }
  ctx.status = status
  ctx.set(headers)
  ctx.body = JSON.stringify(body)
}

function toRequestLike(ctx: AnyContext): RequestLike {
  // Own property only (a polluted Object.prototype.host is not the client's Host); ctx.get reads through.
  const host = ownHeader(ctx.req.headers, 'host')
  return {
    method: ctx.method,
    // Absolute when a Host is present, so the core can compare Origin for CSRF; ctx.protocol
    // honours `app.proxy` for X-Forwarded-Proto. The origin is always ours (Host), also for an
    // absolute-form target (RFC 9112 §3.2.2), whose path alone is kept.
    url: host ? `${ctx.protocol}://${host}${pathOf(ctx.originalUrl)}` : ctx.originalUrl,
    // req.headers, or headersDistinct when a header the core judges is repeated (req.headers
    // silently drops a repeated Authorization); a serverless shim without them gets req.headers.
    headers: nodeRequestHeaders(ctx.req),
  }
}
