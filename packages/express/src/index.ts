// Express 4/5 adapter: maps the request onto the core, attaches `req.auth`, maps an AuthError out.
import { createAuthenticator, isAuthError, type AuthError, type AuthContext } from '@tokengate/core'
import type { Authenticator, AuthenticatorOptions, DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, FailureMode, GuardCheck } from '@tokengate/core/adapter'
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { RegisteredClaims } from './types.js'

export type { AuthSlot, Register, RegisteredClaims, RegisteredProperty } from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const failureMode = new WeakMap<Request, FailureMode>()
// What Express and Node already keep on a request: `property` may not take these names.
const RESERVED =
  'app,baseUrl,body,cookies,fresh,headers,host,hostname,ip,ips,method,next,originalUrl,params,path,protocol,query,res,route,secure,signedCookies,socket,stale,subdomains,url,xhr'.split(
    ',',
  )
type Slots = Record<string, unknown>

/**
 * Authenticates every request and attaches the result to `req.auth` (or `req[property]`); with
 * `passthrough`, a refused token's error is `req.authError`.
 *
 * @example
 * app.use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer, audience }))
 * app.get('/me', (req, res) => res.json(req.auth?.payload))
 */
export function tokengate<Claims = DefaultClaims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
): RequestHandler {
  const mode = kit.setupAdapter(
    createAuthenticator,
    optionsOrAuthenticator,
    adapterOptions,
    RESERVED,
    process.env.DEBUG, // DEBUG=tokengate: explain mode (docs/debugging.md)
  )
  const resource = mode.authenticator.protectedResource
  return (req, res, next) => {
    // RFC 9728 §3: the metadata document is public, answered before any authentication.
    if (kit.isMetadataRequest(resource, req.method, req.originalUrl)) {
      kit
        .metadataResponse(resource)
        .then(({ status, headers, body }) => {
          // Something before us answered and went on: no second answer, no ERR_HTTP_HEADERS_SENT.
          if (!answered(res)) res.status(status).set(headers).send(body)
        })
        .catch((err: unknown) => lastResort(err, res, next))
      return
    }
    failureMode.set(req, mode)
    // Only the authenticator that ran last speaks for the request: an earlier tokengate()'s context
    // must not survive a later optional one that found no token, nor a failure (issue 12 item 2).
    ;(req as unknown as Slots)[mode.property] = undefined
    req.authError = undefined
    mode
      .attempt(
        // req.protocol (proxy settings, a prototype walk) is read only if a step needs the URL.
        kit.nodeRequestLike(req.method, () => req.protocol, req.originalUrl, req),
      )
      .then(
        ({ context, refusal }) => {
          // Something else answered meanwhile (a request timeout): the route must not run as well.
          if (answered(res)) return
          ;(req as unknown as Slots)[mode.property] = context ?? undefined
          req.authError = refusal
          // RFC 9449 §8.2: the next DPoP nonce, when the proof's was from the previous window.
          if (context?.dpop?.nonce !== undefined) res.setHeader('DPoP-Nonce', context.dpop.nonce)
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
// inferred RequestHandler would name express's private types in the declarations. Pure calls
// (kit.member): a bundle without them carries none of their code.
const guards: kit.AdapterGuards<RequestHandler, RegisteredClaims> =
  /* @__PURE__ */ kit.adapterGuards(guard)
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
// One declaration per export: an editor shows a doc comment of a declaration, never of a
// destructured binding.
const cookies = /* @__PURE__ */ kit.adapterCookies<Response>((res, value) => {
  res.append('Set-Cookie', value)
})
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by
 * default, Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 *
 * @example
 * setAuthCookie(res, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: typeof cookies.setAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'setAuthCookie',
)
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 *
 * @example
 * clearAuthCookie(res, '__Host-session')
 */
export const clearAuthCookie: typeof cookies.clearAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'clearAuthCookie',
)

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
      const property = failureMode.get(req)?.property ?? 'auth'
      check(
        ((req as unknown as Slots)[property] as AuthContext | undefined) ?? null,
        failureMode.get(req),
      )
    } catch (err) {
      return fail(err, req, res, next)
    }
    next()
  }
}

function fail(err: unknown, req: Request, res: Response, next: NextFunction): void {
  ;(req as unknown as Slots)[failureMode.get(req)?.property ?? 'auth'] = undefined
  // Already answered (a timeout middleware sent its 503 while the keys were slow): setting headers now
  // throws ERR_HTTP_HEADERS_SENT, and there is no one left to tell.
  if (answered(res)) return
  // Not an AuthError (a bug in isRevoked, say): the framework answers 500; we neither swallow nor render it.
  if (!isAuthError(err)) return next(err)
  const mode = failureMode.get(req)
  const error = kit.withChallenge(err, mode)
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
