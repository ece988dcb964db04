// Hono 4 adapter (Node and edge runtimes): maps `c.req.raw` onto the core, sets `auth`, maps an AuthError out.
import { createAuthenticator, isAuthError, type AuthContext } from '@tokengate/core'
import type { AuthError, Authenticator, AuthenticatorOptions, DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, FailureMode, GuardCheck } from '@tokengate/core/adapter'
import type { Context, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AuthVariables, OptionalAuthVariables } from './types.js'

export type { AuthVariables, OptionalAuthVariables } from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const failureMode = new WeakMap<Context, FailureMode>()

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
// An existing authenticator (which may be optional: the type cannot tell), or options whose
// `optional` is only known at run time: the context may be absent.
export function tokengate<Claims = DefaultClaims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions?: AdapterOptions,
): MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims> }>
export function tokengate<Claims = DefaultClaims>(
  options: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
):
  | MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims> }>
  | MiddlewareHandler<{ Variables: AuthVariables<Claims> }> {
  const { authenticator, ...mode } = kit.setupAdapter(createAuthenticator, options, adapterOptions)
  return (async (c: Context<{ Variables: OptionalAuthVariables<Claims> }>, next) => {
    // Guards read the mode back; a WeakMap entry per request costs about 0.6 µs, so the default
    // mode (no realm, 'respond'), which is what an absent entry means, is not recorded.
    if (mode.realm !== undefined || mode.onError !== 'respond') failureMode.set(c, mode)
    else failureMode.delete(c)
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
  }) satisfies MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims> }>
}

// Guards and cookie helpers: behaviour is @tokengate/core/adapter's, the same in every adapter.
// One declaration per export: an editor shows a doc comment of a declaration, never of a
// destructured binding.
const guards = kit.adapterGuards<MiddlewareHandler>(guard)
const cookies = kit.adapterCookies<Context>((c, value) => {
  c.header('Set-Cookie', value, { append: true })
})
/**
 * Requires roles of the request's context (every one, or `{ mode: 'any' }`): 401 without a
 * context, 403 `insufficient_role` when short. Roles are read from `roles.claim`.
 *
 * @example
 * app.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export const requireRoles: typeof guards.requireRoles = guards.requireRoles
/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 *
 * @example
 * app.get('/reports', requireScopes('reports:read'), handler)
 */
export const requireScopes: typeof guards.requireScopes = guards.requireScopes
/**
 * Requires a predicate over the verified claims to return exactly `true`: 403 `insufficient_role`
 * otherwise.
 *
 * @example
 * app.get('/billing', requireClaims((claims) => claims.email_verified === true), handler)
 */
export const requireClaims: typeof guards.requireClaims = guards.requireClaims
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by
 * default, Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 *
 * @example
 * setAuthCookie(c, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: typeof cookies.setAuthCookie = cookies.setAuthCookie
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 *
 * @example
 * clearAuthCookie(c, '__Host-session')
 */
export const clearAuthCookie: typeof cookies.clearAuthCookie = cookies.clearAuthCookie

/** The ready response of an AuthError, for an `app.onError` that wants tokengate's rendering. */
export const authErrorResponse: (err: AuthError) => Response = kit.authErrorResponse

function guard(check: GuardCheck): MiddlewareHandler {
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

/**
 * The request for the core. On @hono/node-server, the Node request (`c.env.incoming`): its headers
 * spare building a Fetch `Headers` per request (about 2 µs of a bare Hono request's 20 µs, see
 * bench/), and a repeated Authorization header stays visible. Elsewhere the Fetch Request as is.
 */
function toRequestLike(c: Context): Parameters<Authenticator['authenticate']>[0] {
  const incoming = (c.env as { incoming?: Partial<kit.NodeIncoming> } | undefined)?.incoming
  return incoming?.headers && incoming.rawHeaders
    ? new NodeServerRequest(c, incoming as kit.NodeIncoming)
    : c.req.raw
}

/**
 * Lazy (issue 17): the URL (node-server builds it from Host on `c.req.url`) and the header record
 * are computed when a configured step first reads them; a cache hit reads only Authorization.
 */
class NodeServerRequest {
  readonly #c: Context
  readonly #incoming: kit.NodeIncoming
  #url: string | undefined
  #headers: ReturnType<typeof kit.nodeRequestHeaders> | undefined

  constructor(c: Context, incoming: kit.NodeIncoming) {
    this.#c = c
    this.#incoming = incoming
  }

  get method(): string {
    return this.#c.req.method
  }

  get url(): string {
    return (this.#url ??= nodeUrl(this.#c.req.url, this.#incoming))
  }

  get headers(): ReturnType<typeof kit.nodeRequestHeaders> {
    return (this.#headers ??= kit.nodeRequestHeaders(this.#incoming))
  }
}

/**
 * node-server takes an absolute-form target (`POST http://other.example/x`, RFC 9112 §3.2.2) as the
 * URL, origin included: CSRF would then find a cross-site Origin "same-origin" with a target the
 * client chose. As in the other adapters, our origin comes from Host (and TLS), the path from the target.
 */
function nodeUrl(url: string, incoming: kit.NodeIncoming): string {
  const target = incoming.url ?? ''
  if (target.startsWith('/')) return url
  const host = kit.ownHeader(incoming.headers, 'host')
  const path = kit.pathOf(target)
  return host ? `${incoming.socket?.encrypted ? 'https' : 'http'}://${host}${path}` : path
}
