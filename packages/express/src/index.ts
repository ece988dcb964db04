// Express 4/5 adapter: maps the request onto the core, attaches `req.auth`, maps an AuthError out.
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
  RequestLike,
} from '@tokengate/core'
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { AdapterOptions, RegisteredClaims } from './types.js'

export type { AdapterOptions, Register, RegisteredClaims } from './types.js'
export { AuthError, isAuthError } from '@tokengate/core'

type OnError = NonNullable<AdapterOptions['onError']>
type CookieOptions = Parameters<typeof serializeAuthCookie>[2]
type ClearCookieOptions = Parameters<typeof clearAuthCookieValue>[1]

// How the tokengate() that ran on a request wants failures rendered; guards follow it.
const failureMode = new WeakMap<Request, { realm: string | undefined; onError: OnError }>()

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
  const { authenticator, ...mode } = setupAdapter(optionsOrAuthenticator, adapterOptions)
  return (req, res, next) => {
    failureMode.set(req, mode)
    // Only the authenticator that ran last speaks for the request: an earlier tokengate()'s context
    // must not survive a later optional one that found no token, nor a failure (issue 12 item 2).
    req.auth = undefined
    authenticator
      .authenticate(toRequestLike(req))
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

/**
 * Requires roles of `req.auth` (`mode: 'all'` unless told otherwise): 401 without a context,
 * 403 `insufficient_role` when short.
 *
 * @example
 * app.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export function requireRoles(
  roles: string | readonly string[],
  options?: { mode?: 'any' | 'all' },
): RequestHandler {
  const list = toList(roles)
  return guard((ctx) => requireRolesOf(ctx, list, options))
}

/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 *
 * @example
 * app.get('/reports', requireScopes('reports:read'), handler)
 */
export function requireScopes(scopes: string | readonly string[]): RequestHandler {
  const list = toList(scopes)
  return guard((ctx) => requireScopesOf(ctx, list))
}

/**
 * Requires a predicate over the claims to hold.
 *
 * @example
 * app.get('/billing', requireClaims((claims) => claims.email_verified === true), handler)
 */
export function requireClaims<Claims = RegisteredClaims>(
  predicate: (payload: Claims, ctx: AuthContext<Claims>) => boolean,
): RequestHandler {
  return guard((ctx) => requireClaimsOf(ctx as AuthContext<Claims> | null, predicate))
}

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

/**
 * Appends a `Set-Cookie` for the token (HttpOnly, Secure and SameSite=Lax by default).
 *
 * @example
 * setAuthCookie(res, 'session', token, { maxAge: 3600 })
 */
export function setAuthCookie(
  res: Response,
  name: string,
  token: string,
  options?: CookieOptions,
): void {
  res.append('Set-Cookie', serializeAuthCookie(name, token, options))
}

/**
 * Appends a `Set-Cookie` that deletes the token cookie.
 *
 * @example
 * clearAuthCookie(res, 'session')
 */
export function clearAuthCookie(res: Response, name: string, options?: ClearCookieOptions): void {
  res.append('Set-Cookie', clearAuthCookieValue(name, options))
}

function guard(check: (ctx: AuthContext<RegisteredClaims> | null) => void): RequestHandler {
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
function answered(res: Response): boolean {
  return res.headersSent || res.writableEnded
}

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

function toRequestLike(req: Request): RequestLike {
  // Own property only (a polluted Object.prototype.host is not the client's Host); req.get reads through.
  const host = ownHeader(req.headers, 'host')
  return {
    method: req.method,
    // Absolute when a Host is present, so the core can compare Origin for CSRF; req.protocol
    // honours Express's `trust proxy` setting for X-Forwarded-Proto. The origin is always ours (Host),
    // also for an absolute-form target (RFC 9112 §3.2.2), whose path alone is kept.
    url: host ? `${req.protocol}://${host}${pathOf(req.originalUrl)}` : req.originalUrl,
    // req.headers, or headersDistinct when a header the core judges is repeated (req.headers
    // silently drops a repeated Authorization); a serverless shim without them gets req.headers.
    headers: nodeRequestHeaders(req),
  }
}
