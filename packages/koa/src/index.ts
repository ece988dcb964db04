// Koa 2/3 adapter: maps the request onto the core, attaches `ctx.state.auth`, maps an AuthError out.
import { createAuthenticator, isAuthError, type AuthAttempt } from '@tokengate/core'
import type { AuthContext } from '@tokengate/core'
import type { Authenticator, AuthenticatorOptions, DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, FailureMode, GuardCheck } from '@tokengate/core/adapter'
import type { Context, Middleware, ParameterizedContext } from 'koa'
import type { AuthState, OptionalAuthState } from './types.js'

export type { AuthState, OptionalAuthState } from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

type AnyContext = ParameterizedContext<any, any, any>

const failureMode = new WeakMap<object, FailureMode>()
type Slots = Record<string, unknown>
type WithProperty<P extends string> = Omit<AdapterOptions, 'property'> & { property?: P }

/**
 * Authenticates every request and attaches the result to `ctx.state.auth` (or
 * `ctx.state[property]`); with `passthrough`, a refused token's error is `ctx.state.authError`.
 *
 * @example
 * const app = new Koa().use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer }))
 * app.use((ctx) => { ctx.body = ctx.state.auth.payload })
 */
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  options: AuthenticatorOptions<Claims> & ({ optional: true } | { passthrough: true }),
  adapterOptions?: WithProperty<P>,
): Middleware<OptionalAuthState<Claims, P>>
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  options: AuthenticatorOptions<Claims> & { optional?: false; passthrough?: false },
  adapterOptions?: WithProperty<P>,
): Middleware<AuthState<Claims, P>>
// An existing authenticator (which may be optional: the type cannot tell), or options whose
// `optional` is only known at run time: the context may be absent.
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions?: WithProperty<P>,
): Middleware<OptionalAuthState<Claims, P>>
export function tokengate<Claims = DefaultClaims>(
  options: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
): Middleware<OptionalAuthState<Claims, string>> {
  const mode = kit.setupAdapter(
    createAuthenticator,
    options,
    adapterOptions,
    [],
    process.env.DEBUG, // DEBUG=tokengate: explain mode (docs/debugging.md)
  )
  const resource = mode.authenticator.protectedResource
  return async (ctx, next) => {
    // RFC 9728 §3: the metadata document is public, answered before any authentication.
    if (kit.isMetadataRequest(resource, ctx.method, ctx.originalUrl)) {
      const { status, headers, body } = await kit.metadataResponse(resource)
      ctx.status = status
      ctx.set(headers)
      ctx.body = body
      return
    }
    failureMode.set(ctx, mode)
    const state = ctx.state as Slots
    // Only the authenticator that ran last speaks for the request: an earlier tokengate()'s context
    // must not survive a later optional one that found no token, nor a failure (issue 12 item 2).
    delete state[mode.property]
    delete state.authError
    let result: AuthAttempt<Claims>
    try {
      result = await mode.attempt(
        // ctx.protocol (proxy settings) is read only if a step needs the URL.
        kit.nodeRequestLike(ctx.method, () => ctx.protocol, ctx.originalUrl, ctx.req),
      )
    } catch (err) {
      return fail(err, ctx)
    }
    // Something else answered meanwhile (a request timeout): the route must not run as well.
    if (answered(ctx)) return
    if (result.context) state[mode.property] = result.context
    if (result.refusal) state.authError = result.refusal
    // RFC 9449 §8.2: the next DPoP nonce, when the proof's was from the previous window.
    if (result.context?.dpop?.nonce !== undefined) ctx.set('DPoP-Nonce', result.context.dpop.nonce)
    await next()
  }
}

// Guards and cookie helpers: behaviour is @tokengate/core/adapter's, the same in every adapter.
// One declaration per export: an editor shows a doc comment of a declaration, never of a
// destructured binding. Pure calls (kit.member): a bundle without them carries none of their code.
const guards = /* @__PURE__ */ kit.adapterGuards<Middleware>(guard)
const cookies = /* @__PURE__ */ kit.adapterCookies<Context | AnyContext>((ctx, value) =>
  ctx.append('Set-Cookie', value),
)
/**
 * Requires roles of the request's context (every one, or `{ mode: 'any' }`): 401 without a
 * context, 403 `insufficient_role` when short. Roles are read from `roles.claim`.
 *
 * @example
 * router.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export const requireRoles: typeof guards.requireRoles = /* @__PURE__ */ kit.member(
  guards,
  'requireRoles',
)
/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 *
 * @example
 * router.get('/reports', requireScopes('reports:read'), handler)
 */
export const requireScopes: typeof guards.requireScopes = /* @__PURE__ */ kit.member(
  guards,
  'requireScopes',
)
/**
 * Requires a predicate over the verified claims to return exactly `true`: 403 `insufficient_role`
 * otherwise.
 *
 * @example
 * router.get('/billing', requireClaims((claims) => claims.email_verified === true), handler)
 */
export const requireClaims: typeof guards.requireClaims = /* @__PURE__ */ kit.member(
  guards,
  'requireClaims',
)
/**
 * Requires a strong or recent enough sign-in (RFC 9470 step-up): the token's `acr` among
 * `acrValues` and/or its `auth_time` at most `maxAge` ago; otherwise 401
 * `insufficient_user_authentication` with `acr_values` and `max_age` in the challenge.
 *
 * @example
 * router.post('/transfer', requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }), handler)
 */
export const requireAuthentication: typeof guards.requireAuthentication =
  /* @__PURE__ */ kit.member(guards, 'requireAuthentication')
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by
 * default, Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 *
 * @example
 * setAuthCookie(ctx, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: typeof cookies.setAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'setAuthCookie',
)
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 *
 * @example
 * clearAuthCookie(ctx, '__Host-session')
 */
export const clearAuthCookie: typeof cookies.clearAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'clearAuthCookie',
)

function guard(check: GuardCheck): Middleware {
  return async (ctx, next) => {
    try {
      const property = failureMode.get(ctx)?.property ?? 'auth'
      check(
        ((ctx.state as Slots)[property] as AuthContext | undefined) ?? null,
        failureMode.get(ctx),
      )
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
  const error = kit.withChallenge(err, mode)
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
