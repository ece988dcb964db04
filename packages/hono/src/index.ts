// Hono 4 adapter (Node and edge runtimes): maps `c.req.raw` onto the core, sets `auth`, maps an AuthError out.
import {
  createAuthenticator,
  type AuthAttempt,
  type AuthError,
  type DefaultClaims,
} from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import { member, type AdapterOptions, type GuardCheck } from '@tokengate/core/adapter'
import type { Context, Env, MiddlewareHandler, Next } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AuthVariables, OptionalAuthVariables } from './types.js'

export type { AuthErrorVariable, AuthVariables, OptionalAuthVariables } from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const modes = new kit.RequestModes<Context>()

/**
 * Authenticates every request and sets the `auth` context variable (or `property`); with
 * `passthrough`, a refused token's error is `authError`. Given a function of the context (Workers:
 * secrets in `c.env`), the authenticator is built once per `c.env` object (an isolate's).
 *
 * @example
 * const app = new Hono<{ Variables: AuthVariables }>()
 * app.use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer }))
 * app.get('/me', (c) => c.json(c.get('auth').payload))
 */
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  options: kit.ContextAlwaysSet<Claims>,
  adapterOptions?: kit.AdapterOptionsFor<P>,
): MiddlewareHandler<{ Variables: AuthVariables<Claims, P> }>
// `optional`, `passthrough`, an authenticator or an `optional` known at run time: maybe no context.
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  optionsOrAuthenticator: kit.AdapterSource<Claims>,
  adapterOptions?: kit.AdapterOptionsFor<P>,
): MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims, P> }>
// A factory of options from the context: `tokengate<{ Bindings: { JWT_SECRET: string } }>((c) => …)`.
export function tokengate<E extends Env, Claims = DefaultClaims, const P extends string = 'auth'>(
  factory: (c: Context<E>) => kit.ContextAlwaysSet<Claims>,
  adapterOptions?: kit.AdapterOptionsFor<P>,
): MiddlewareHandler<E & { Variables: AuthVariables<Claims, P> }>
export function tokengate<E extends Env, Claims = DefaultClaims, const P extends string = 'auth'>(
  factory: (c: Context<E>) => kit.AdapterSource<Claims>,
  adapterOptions?: kit.AdapterOptionsFor<P>,
): MiddlewareHandler<E & { Variables: OptionalAuthVariables<Claims, P> }>
export function tokengate<Claims = DefaultClaims>(
  options: kit.AdapterSource<Claims> | ((c: Context) => kit.AdapterSource<Claims>),
  adapterOptions: AdapterOptions = {},
): MiddlewareHandler {
  // DEBUG=tokengate (docs/debugging.md); Workers have no process unless nodejs_compat is on.
  const debug = (globalThis as Partial<typeof globalThis>).process?.env?.DEBUG
  const setupFor = kit.setupEach(createAuthenticator, options, adapterOptions, [], debug)
  // Not an async function: a plain cache hit is answered synchronously (attemptNow) and next() is
  // called in this turn, as by a no-op middleware (perf, issue 17). Hono's compose awaits what this
  // returns and catches a synchronous throw as it does a rejection (app.onError either way).
  return ((c: Context, next) => {
    const mode = setupFor(kit.envKey(c.env), c)
    // RFC 9728 §3: the metadata document is public, answered before any authentication.
    const metadata = kit.metadataFor(mode, c.req.method, c.req.path)
    if (metadata)
      return metadata.then((m) => c.body(m.body, m.status as ContentfulStatusCode, m.headers))
    modes.set(c, mode) // Below, only a name that reads as something is cleared (no Map built).
    kit.detach(mode.property, (name) => c.get(name) !== undefined && c.set(name, undefined))
    let pending: AuthAttempt<Claims> | Promise<AuthAttempt<Claims>>
    try {
      // On @hono/node-server the Node request behind it, else the Fetch Request.
      pending = mode.attemptNow(kit.bridgedRequestLike(c.req.raw, c.env, () => c.req.url))
    } catch (err) {
      return Promise.resolve(fail(err, c))
    }
    if (!(pending instanceof Promise)) return proceed(pending, mode.property, c, next)
    return pending.then(
      (result) => proceed(result, mode.property, c, next),
      (err: unknown) => fail(err, c),
    )
  }) satisfies MiddlewareHandler
}

/** An attempt's result on the context, then the next handler (unless someone answered). */
function proceed(
  result: AuthAttempt<unknown>,
  property: string,
  c: Context,
  next: Next,
): Promise<void> {
  // Something else answered meanwhile (hono/timeout): the route must not run as well.
  if (c.finalized) return Promise.resolve()
  kit.attach(
    result,
    property,
    (k, v) => c.set(k, v),
    (k, v) => c.header(k, v),
  )
  return next()
}

// Guards and cookie helpers: @tokengate/core/adapter's, one pure call per export (docs, tree-shaking).
const h = /* @__PURE__ */ kit.adapterHelpers<MiddlewareHandler, Context, DefaultClaims>(
  guard,
  (c, value) => c.header('Set-Cookie', value, { append: true }),
)
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by
 * default, Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 * @example
 * setAuthCookie(c, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie = /* @__PURE__ */ member(h, 'setAuthCookie')
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 * @example
 * clearAuthCookie(c, '__Host-session')
 */
export const clearAuthCookie = /* @__PURE__ */ member(h, 'clearAuthCookie')

function guard(check: GuardCheck): MiddlewareHandler {
  return async (c, next) => {
    const refused = modes.check(c, check, (property) => c.get(property))
    if (refused) return fail(refused.error, c)
    await next()
  }
}

/**
 * Requires roles of the request's context (every one, or `{ mode: 'any' }`): 401 without a
 * context, 403 `insufficient_role` when short. Roles are read from `roles.claim`.
 * @example
 * app.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export const requireRoles = /* @__PURE__ */ member(h, 'requireRoles')
/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 * @example
 * app.get('/reports', requireScopes('reports:read'), handler)
 */
export const requireScopes = /* @__PURE__ */ member(h, 'requireScopes')
/**
 * Requires a predicate over the verified claims to return exactly `true`, else 403 `insufficient_role`.
 * @example
 * app.get('/billing', requireClaims((claims) => claims.email_verified === true), handler)
 */
// Typed: inferred, its default claims type would be jose's, copied into the declarations.
export const requireClaims: typeof h.requireClaims = /* @__PURE__ */ member(h, 'requireClaims')
/**
 * Requires a strong or recent sign-in (RFC 9470 step-up): `acr` among `acrValues`, `auth_time` at
 * most `maxAge` ago; else 401 `insufficient_user_authentication` with `acr_values` and `max_age`.
 * @example
 * app.post('/transfer', requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }), handler)
 */
export const requireAuthentication = /* @__PURE__ */ member(h, 'requireAuthentication')

/** The ready response of an AuthError, for an `app.onError` that wants tokengate's rendering. */
export const authErrorResponse: (err: AuthError) => Response = kit.authErrorResponse

function fail(err: unknown, c: Context): Response | undefined {
  if (c.finalized) return undefined // already answered (a timeout's 503): nothing left to render
  const error = modes.refusal(c, err)
  if (!error) throw err
  const res = authErrorResponse(error)
  if (!modes.delegates(c)) return res
  const status = error.status as ContentfulStatusCode
  throw new HTTPException(status, { res, message: error.description, cause: error })
}
