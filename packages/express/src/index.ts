// Express 4/5 adapter: maps the request onto the core, attaches `req.auth`, maps an AuthError out.
import { createAuthenticator, isAuthError, type AuthError, type AuthContext } from '@tokengate/core'
import type { Authenticator, AuthenticatorOptions, DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, FailureMode, GuardCheck } from '@tokengate/core/adapter'
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { RegisteredClaims } from './types.js'

export type { Register, RegisteredClaims } from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const failureMode = new WeakMap<Request, FailureMode>()

/**
 * Authenticates every request and attaches the result to `req.auth`.
 *
 * @example
 * app.use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer, audience }))
 * app.get('/me', (req, res) => res.json(req.auth?.payload))
 */
export function tokengate<Claims = DefaultClaims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
): RequestHandler {
  const { authenticator, ...mode } = kit.setupAdapter(
    createAuthenticator,
    optionsOrAuthenticator,
    adapterOptions,
  )
  return (req, res, next) => {
    // Guards read the mode back; a WeakMap entry per request costs about 0.6 µs, so the default
    // mode (no realm, 'respond'), which is what an absent entry means, is not recorded.
    if (mode.realm !== undefined || mode.onError !== 'respond') failureMode.set(req, mode)
    else failureMode.delete(req)
    // Only the authenticator that ran last speaks for the request: an earlier tokengate()'s context
    // must not survive a later optional one that found no token, nor a failure (issue 12 item 2).
    req.auth = undefined
    authenticator
      // req.protocol (proxy settings, a prototype walk) is read only if a step needs the URL.
      .authenticate(kit.nodeRequestLike(req.method, () => req.protocol, req.originalUrl, req))
      .then(
        (ctx) => {
          // Something else answered meanwhile (a request timeout): the route must not run as well.
          if (answered(res)) return
          req.auth = (ctx ?? undefined) as AuthContext<RegisteredClaims> | undefined
          next()
        },
        (err: unknown) => fail(err, req, res, next),
      )
      // Whatever is raised while answering stays on this request: an unhandled rejection ends the
      // process (Node's default), so one slow request would take every other one down with it.
      .catch((err: unknown) => lastResort(err, res, next))
  }
}

// Guards and cookie helpers (and TSDoc) are @tokengate/core/adapter's; typed one by one, as an
// inferred RequestHandler would name express's private types in the declarations.
const guards: kit.AdapterGuards<RequestHandler, RegisteredClaims> = kit.adapterGuards(guard)
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
// One declaration per export: an editor shows a doc comment of a declaration, never of a
// destructured binding.
const cookies = kit.adapterCookies<Response>((res, value) => {
  res.append('Set-Cookie', value)
})
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by
 * default, Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 *
 * @example
 * setAuthCookie(res, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: typeof cookies.setAuthCookie = cookies.setAuthCookie
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 *
 * @example
 * clearAuthCookie(res, '__Host-session')
 */
export const clearAuthCookie: typeof cookies.clearAuthCookie = cookies.clearAuthCookie

/**
 * Error handler that renders an AuthError passed on by `onError: 'delegate'`; anything else goes on.
 *
 * @example
 * app.use(authErrorHandler)
 */
export const authErrorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  if (!isAuthError(err) || res.headersSent) return next(err)
  send(res, err)
}

function guard(check: GuardCheck): RequestHandler {
  return (req, res, next) => {
    try {
      check(req.auth ?? null)
    } catch (err) {
      return fail(err, req, res, next)
    }
    next()
  }
}

function fail(err: unknown, req: Request, res: Response, next: NextFunction): void {
  req.auth = undefined
  // Already answered (a timeout middleware sent its 503 while the keys were slow): setting headers now
  // throws ERR_HTTP_HEADERS_SENT, and there is no one left to tell.
  if (answered(res)) return
  // Not an AuthError (a bug in isRevoked, say): the framework answers 500; we neither swallow nor render it.
  if (!isAuthError(err)) return next(err)
  const mode = failureMode.get(req)
  const error = err.withRealm(mode?.realm)
  if (mode?.onError === 'delegate') {
    // `headers` as http-errors has it: Express's default handler then still sends the challenge.
    const { 'content-type': _json, ...headers } = error.toResponse().headers
    return next(Object.assign(error, { headers }))
  }
  send(res, error)
}

/** True once a response has been started or sent by anyone: it can take no status or header now. */
const answered = (res: Response): boolean => res.headersSent || res.writableEnded

// A throw from next() or from rendering: hand it to Express once if the response is open, else drop
// the connection; never let it become an unhandled rejection.
function lastResort(err: unknown, res: Response, next: NextFunction): void {
  try {
    if (!answered(res)) return next(err)
  } catch {
    // Express's own error path threw: fall through and end the connection.
  }
  if (!res.writableEnded) res.destroy()
}

// Node's own setHeader/end: Express's res.set would append a charset and res.json an ETag.
function send(res: Response, err: AuthError): void {
  const { status, headers, body } = err.toResponse()
  res.statusCode = status
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.end(JSON.stringify(body))
}
