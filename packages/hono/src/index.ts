// Hono 4 adapter (Node and edge runtimes): maps `c.req.raw` onto the core, sets `auth`, maps an AuthError out.
import { createAuthenticator, isAuthError, type AuthContext } from '@tokengate/core'
import type { AuthAttempt, AuthError, Authenticator } from '@tokengate/core'
import type { AuthenticatorOptions, DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, FailureMode, GuardCheck } from '@tokengate/core/adapter'
import type { Context, Env, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AuthVariables, OptionalAuthVariables } from './types.js'

export type { AuthErrorVariable, AuthVariables, OptionalAuthVariables } from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const failureMode = new WeakMap<Context, FailureMode>()

/**
 * Authenticates every request and sets the `auth` context variable (or `property`); with
 * `passthrough`, a refused token's error is `authError`. Given a function of the context instead
 * of options (Workers: secrets in `c.env`), the authenticator is built once per `c.env` object,
 * that is once per isolate, never per request.
 *
 * @example
 * const app = new Hono<{ Variables: AuthVariables }>()
 * app.use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer }))
 * app.get('/me', (c) => c.json(c.get('auth').payload))
 */
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  options: AuthenticatorOptions<Claims> & ({ optional: true } | { passthrough: true }),
  adapterOptions?: WithProperty<P>,
): MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims, P> }>
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  options: AuthenticatorOptions<Claims> & { optional?: false; passthrough?: false },
  adapterOptions?: WithProperty<P>,
): MiddlewareHandler<{ Variables: AuthVariables<Claims, P> }>
// An existing authenticator (which may be optional: the type cannot tell), or options whose
// `optional` is only known at run time: the context may be absent.
export function tokengate<Claims = DefaultClaims, const P extends string = 'auth'>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions?: WithProperty<P>,
): MiddlewareHandler<{ Variables: OptionalAuthVariables<Claims, P> }>
// A factory of options from the context: `tokengate<{ Bindings: { JWT_SECRET: string } }>((c) => …)`.
export function tokengate<
  E extends Env = Env,
  Claims = DefaultClaims,
  const P extends string = 'auth',
>(
  factory: (
    c: Context<E>,
  ) => AuthenticatorOptions<Claims> & { optional?: false; passthrough?: false },
  adapterOptions?: WithProperty<P>,
): MiddlewareHandler<E & { Variables: AuthVariables<Claims, P> }>
export function tokengate<
  E extends Env = Env,
  Claims = DefaultClaims,
  const P extends string = 'auth',
>(
  factory: (c: Context<E>) => AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions?: WithProperty<P>,
): MiddlewareHandler<E & { Variables: OptionalAuthVariables<Claims, P> }>
export function tokengate<Claims = DefaultClaims>(
  options: Setup<Claims> | ((c: Context) => Setup<Claims>),
  adapterOptions: AdapterOptions = {},
): MiddlewareHandler {
  // DEBUG=tokengate (docs/debugging.md); Workers have no process unless nodejs_compat is on.
  const debug = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.DEBUG
  const setupFor =
    typeof options === 'function'
      ? kit.setupPerKey(createAuthenticator, options, adapterOptions, [], debug)
      : always(kit.setupAdapter(createAuthenticator, options, adapterOptions, [], debug))
  return (async (c: Context, next) => {
    const mode = setupFor(envKey(c), c)
    // RFC 9728 §3: the metadata document is public, answered before any authentication.
    const resource = mode.authenticator.protectedResource
    if (kit.isMetadataRequest(resource, c.req.method, c.req.path)) {
      const { status, headers, body } = await kit.metadataResponse(resource)
      return c.body(body, status as ContentfulStatusCode, headers)
    }
    failureMode.set(c, mode)
    // Only the authenticator that ran last speaks for the request: an earlier tokengate()'s context
    // must not survive a later optional one that found no token, nor a failure (issue 12 item 2).
    c.set(mode.property, undefined)
    c.set('authError', undefined)
    let result: AuthAttempt<Claims>
    try {
      result = await mode.attempt(toRequestLike(c))
    } catch (err) {
      return fail(err, c)
    }
    // Something else answered meanwhile (hono/timeout): the route must not run as well.
    if (c.finalized) return
    if (result.context) c.set(mode.property, result.context)
    if (result.refusal) c.set('authError', result.refusal)
    // RFC 9449 §8.2: the next DPoP nonce, when the proof's was from the previous window.
    if (result.context?.dpop?.nonce !== undefined) c.header('DPoP-Nonce', result.context.dpop.nonce)
    await next()
  }) satisfies MiddlewareHandler
}

type Setup<Claims> = AuthenticatorOptions<Claims> | Authenticator<Claims>
type WithProperty<P extends string> = Omit<AdapterOptions, 'property'> & { property?: P }
const always =
  <T>(value: T) =>
  (): T =>
    value
// The Workers `env` is one object per isolate: the authenticator built for it serves every request.
// On @hono/node-server `c.env` is `{ incoming, outgoing }`, new per request, and `app.request()`
// may pass none: those share one authenticator (their options cannot come from bindings anyway).
const NO_ENV = {}
function envKey(c: Context): object {
  const env: unknown = c.env
  return typeof env === 'object' && env !== null && !('incoming' in env) ? env : NO_ENV
}

// Guards and cookie helpers: behaviour is @tokengate/core/adapter's, the same in every adapter.
// One declaration per export: an editor shows a doc comment of a declaration, never of a
// destructured binding. Pure calls (kit.member): a bundle without them carries none of their code.
const guards = /* @__PURE__ */ kit.adapterGuards<MiddlewareHandler>(guard)
const cookies = /* @__PURE__ */ kit.adapterCookies<Context>((c, value) => {
  c.header('Set-Cookie', value, { append: true })
})
/**
 * Requires roles of the request's context (every one, or `{ mode: 'any' }`): 401 without a
 * context, 403 `insufficient_role` when short. Roles are read from `roles.claim`.
 *
 * @example
 * app.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export const requireRoles: typeof guards.requireRoles = /* @__PURE__ */ kit.member(
  guards,
  'requireRoles',
)
/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 *
 * @example
 * app.get('/reports', requireScopes('reports:read'), handler)
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
 * app.get('/billing', requireClaims((claims) => claims.email_verified === true), handler)
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
 * app.post('/transfer', requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }), handler)
 */
export const requireAuthentication: typeof guards.requireAuthentication =
  /* @__PURE__ */ kit.member(guards, 'requireAuthentication')
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by
 * default, Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 *
 * @example
 * setAuthCookie(c, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: typeof cookies.setAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'setAuthCookie',
)
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 *
 * @example
 * clearAuthCookie(c, '__Host-session')
 */
export const clearAuthCookie: typeof cookies.clearAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'clearAuthCookie',
)

/** The ready response of an AuthError, for an `app.onError` that wants tokengate's rendering. */
export const authErrorResponse: (err: AuthError) => Response = kit.authErrorResponse

function guard(check: GuardCheck): MiddlewareHandler {
  return async (c, next) => {
    try {
      const property = failureMode.get(c)?.property ?? 'auth'
      check((c.get(property) as AuthContext | undefined) ?? null, failureMode.get(c))
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
  const error = kit.withChallenge(err, mode)
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
  if (!incoming?.headers || !incoming.rawHeaders) return c.req.raw // Workers: request.cf is read by the core
  return new NodeServerRequest(c, incoming as kit.NodeIncoming)
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

  /** RFC 8705 §3: the TLS client certificate, read by the core only for a certificate-bound token. */
  get clientCertificate(): ReturnType<typeof kit.nodeClientCertificate> {
    return this.#incoming.socket?.encrypted === true
      ? kit.nodeClientCertificate(this.#incoming.socket)
      : undefined
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
