// Koa 2/3 adapter: maps the request onto the core, attaches `ctx.state.auth`, maps an AuthError out.
import { createAuthenticator, type AuthAttempt, type DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import { member, type AdapterOptions, type GuardCheck } from '@tokengate/core/adapter'
import type { Context, Middleware, ParameterizedContext } from 'koa'
import type { AuthState, OptionalAuthState } from './types.js'

export type { AuthState, OptionalAuthState } from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

type AnyContext = ParameterizedContext<any, any, any>

const modes = new kit.RequestModes<object>()

/**
 * Authenticates every request and attaches the result to `ctx.state.auth` (or
 * `ctx.state[property]`); with `passthrough`, a refused token's error is `ctx.state.authError`.
 *
 * @example
 * const app = new Koa().use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer }))
 * app.use((ctx) => { ctx.body = ctx.state.auth.payload })
 */
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  options: kit.ContextAlwaysSet<Claims>,
  adapterOptions?: kit.AdapterOptionsFor<P>,
): Middleware<AuthState<Claims, P>>
// `optional`, `passthrough`, an authenticator or an `optional` known at run time: maybe no context.
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  optionsOrAuthenticator: kit.AdapterSource<Claims>,
  adapterOptions?: kit.AdapterOptionsFor<P>,
): Middleware<OptionalAuthState<Claims, P>>
export function tokengate<Claims = DefaultClaims>(
  options: kit.AdapterSource<Claims>,
  adapterOptions: AdapterOptions = {},
): Middleware<OptionalAuthState<Claims, string>> {
  const debug = process.env.DEBUG // DEBUG=tokengate: explain mode (docs/debugging.md)
  const mode = kit.setupAdapter(createAuthenticator, options, adapterOptions, [], debug)
  // Not an async function: a plain cache hit is answered synchronously (attemptNow) and next() is
  // called in this turn, as by a no-op middleware (perf, issue 17). A synchronous throw here is a
  // rejection for koa-compose (its dispatch() catches it), as it was from an async function.
  return (ctx, next) => {
    // RFC 9728 §3: the metadata document is public, answered before any authentication.
    const metadata = kit.metadataFor(mode, ctx.method, ctx.originalUrl)
    if (metadata) return metadata.then((m) => render(ctx, m))
    modes.set(ctx, mode)
    const state: Record<string, unknown> = ctx.state
    kit.detach(mode.property, (name) => delete state[name])
    // ctx.protocol (proxy settings) is read only if a step needs the URL.
    const request = kit.nodeRequestLike(ctx.method, () => ctx.protocol, ctx.originalUrl, ctx.req)
    let pending: AuthAttempt<Claims> | Promise<AuthAttempt<Claims>>
    try {
      pending = mode.attemptNow(request)
    } catch (err) {
      return fail(err, ctx)
    }
    if (!(pending instanceof Promise)) return proceed(pending, mode.property, ctx, next)
    return pending.then(
      (result) => proceed(result, mode.property, ctx, next),
      (err: unknown) => fail(err, ctx),
    )
  }
}

/** An attempt's result on `ctx.state`, then the next middleware (unless someone answered). */
function proceed(
  result: AuthAttempt<unknown>,
  property: string,
  ctx: AnyContext,
  next: () => Promise<unknown>,
): Promise<unknown> | undefined {
  // Something else answered meanwhile (a request timeout): the route must not run as well.
  if (kit.nodeAnswered(ctx.res)) return undefined
  const state: Record<string, unknown> = ctx.state
  kit.attach(
    result,
    property,
    (k, v) => (state[k] = v),
    (k, v) => ctx.set(k, v),
  )
  return next()
}

// Guards and cookie helpers are @tokengate/core/adapter's. One declaration per export (editors show
// a declaration's doc comment), each a pure call: a bundle without them carries none of their code.
const h = /* @__PURE__ */ kit.adapterHelpers<Middleware, Context | AnyContext, DefaultClaims>(
  guard,
  (ctx, value) => ctx.append('Set-Cookie', value),
)
type H = typeof h
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by
 * default, Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 * @example
 * setAuthCookie(ctx, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: H['setAuthCookie'] = /* @__PURE__ */ member(h, 'setAuthCookie')
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 * @example
 * clearAuthCookie(ctx, '__Host-session')
 */
export const clearAuthCookie: H['clearAuthCookie'] = /* @__PURE__ */ member(h, 'clearAuthCookie')

function guard(check: GuardCheck): Middleware {
  return async (ctx, next) => {
    const refused = modes.check(ctx, check, (property) => ctx.state[property])
    if (refused) return fail(refused.error, ctx)
    await next()
  }
}

/**
 * Requires roles of the request's context (every one, or `{ mode: 'any' }`): 401 without a
 * context, 403 `insufficient_role` when short. Roles are read from `roles.claim`.
 * @example
 * router.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export const requireRoles: H['requireRoles'] = /* @__PURE__ */ member(h, 'requireRoles')
/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 * @example
 * router.get('/reports', requireScopes('reports:read'), handler)
 */
export const requireScopes: H['requireScopes'] = /* @__PURE__ */ member(h, 'requireScopes')
/**
 * Requires a predicate over the verified claims to return exactly `true`, else 403 `insufficient_role`.
 * @example
 * router.get('/billing', requireClaims((claims) => claims.email_verified === true), handler)
 */
export const requireClaims: H['requireClaims'] = /* @__PURE__ */ member(h, 'requireClaims')
/**
 * Requires a strong or recent enough sign-in (RFC 9470 step-up): the token's `acr` among
 * `acrValues` and/or its `auth_time` at most `maxAge` ago; otherwise 401
 * `insufficient_user_authentication` with `acr_values` and `max_age` in the challenge.
 * @example
 * router.post('/transfer', requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }), handler)
 */
export const requireAuthentication: H['requireAuthentication'] = /* @__PURE__ */ member(
  h,
  'requireAuthentication',
)

function fail(err: unknown, ctx: AnyContext): void {
  // Already answered (a timeout's 503 while the keys were slow): Koa would ignore a status set now.
  // (`ctx.respond = false` is not "answered": a route behind us may write `ctx.res` itself later.)
  if (kit.nodeAnswered(ctx.res)) return
  const error = modes.refusal(ctx, err)
  if (!error) throw err
  // Koa's default handler sets err.headers, err.status and, with expose, err.message (as text).
  if (modes.delegates(ctx))
    throw Object.assign(error, { expose: true, headers: kit.challengeHeaders(error) })
  render(ctx, kit.plainResponse(error))
}

function render(ctx: AnyContext, { status, headers, body }: kit.PlainResponse): void {
  ctx.status = status
  ctx.set(headers)
  ctx.body = body
}
