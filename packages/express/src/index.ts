// Express 4/5 adapter: maps the request onto the core, attaches `req.auth`, maps an AuthError out.
import { createAuthenticator, isAuthError } from '@tokengate/core'
import type {
  AuthAttempt,
  Authenticator,
  AuthenticatorOptions,
  DefaultClaims,
} from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import { member, type AdapterOptions, type GuardCheck } from '@tokengate/core/adapter'
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import type { RegisteredClaims } from './types.js'

export type { AuthSlot, Register, RegisteredClaims, RegisteredProperty } from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const modes = new kit.RequestModes<Request>()
// What Express and Node already keep on a request: `property` may not take these names.
const RESERVED =
  'app,baseUrl,body,cookies,fresh,headers,host,hostname,ip,ips,method,next,originalUrl,params,path,protocol,query,res,route,secure,signedCookies,socket,stale,subdomains,url,xhr'.split(
    ',',
  )

/**
 * Authenticates every request and attaches the result to `req.auth` (or `req[property]`); with
 * `passthrough`, a refused token's error is `req.authError`.
 *
 * @example
 * app.use(tokengate({ algorithms: ['ES256'], key: { jwksUri }, issuer, audience }))
 * app.get('/me', (req, res) => res.json(req.auth?.payload))
 */
export function tokengate<Claims = DefaultClaims>(
  options: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
): RequestHandler {
  const debug = process.env.DEBUG // DEBUG=tokengate: explain mode (docs/debugging.md)
  const mode = kit.setupAdapter(createAuthenticator, options, adapterOptions, RESERVED, debug)
  return (req, res, next) => {
    // RFC 9728 §3: the metadata document is public, answered before any authentication.
    // Read once: each read of an Express request is a generic lookup (see `read` below).
    const { method, originalUrl } = req
    const metadata = kit.metadataFor(mode, method, originalUrl)
    if (metadata)
      return void metadata
        // Something before us answered and went on: no second answer, no ERR_HTTP_HEADERS_SENT.
        .then(
          (m) => void (kit.nodeAnswered(res) || res.status(m.status).set(m.headers).send(m.body)),
        )
        .catch((err: unknown) => kit.nodeLastResort(res, () => next(err)))
    modes.set(req, mode)
    const slots = req as unknown as Slots // cleared only if set: no new property
    kit.detach(
      mode.property,
      (name) => void (read(slots, name) !== undefined && write(slots, name)),
    )
    // req.protocol (proxy settings, a prototype walk) is read only if a step needs the URL.
    const request = kit.nodeRequestLike(method, () => req.protocol, originalUrl, req)
    // A plain cache hit is answered synchronously: next() then runs in this turn, as after a no-op
    // middleware (perf, issue 17). Otherwise throws stay on this request (never an unhandled
    // rejection); no .catch(): one promise less.
    const pending = mode.attemptNow(request)
    if (!(pending instanceof Promise)) return proceed(pending, mode.property, slots, res, next)
    void pending.then(
      (result) => proceed(result, mode.property, slots, res, next),
      (err: unknown) => {
        try {
          fail(err, req, res, next)
        } catch (error) {
          kit.nodeLastResort(res, () => next(error))
        }
      },
    )
  }
}

/** The request as the names tokengate() sets on it: `auth` and `authError` by default. */
type Slots = Record<string, unknown> & { auth?: unknown; authError?: unknown }

// Express 5 gives every request and response a hidden class of its own (V8's %HaveSameMap is false
// for two requests of one server), so no property access to them is cached: each read is a generic
// lookup, a name the request lacks walks Express's and Node's prototype chain, and adding `auth`
// builds a new hidden class per request (perf, issue 17; bench/src/hit-path-inproc.ts). The
// adapter reads and writes as few as it can, and the default names as named properties, which
// spared the keyed lookups of a variable name.
function read(slots: Slots, name: string): unknown {
  return name === 'auth' ? slots.auth : name === 'authError' ? slots.authError : slots[name]
}
function write(slots: Slots, name: string, value?: unknown): void {
  if (name === 'auth') slots.auth = value
  else if (name === 'authError') slots.authError = value
  else slots[name] = value
}

/** An attempt's result on the request, then the route; a throw from either goes to the framework. */
function proceed(
  result: AuthAttempt<unknown>,
  property: string,
  slots: Slots,
  res: Response,
  next: NextFunction,
): void {
  try {
    if (kit.nodeAnswered(res)) return // answered meanwhile (a timeout): the route must not run
    kit.attach(
      result,
      property,
      (k, v) => write(slots, k, v),
      (k, v) => res.setHeader(k, v),
    )
    next()
  } catch (err) {
    kit.nodeLastResort(res, () => next(err))
  }
}

// Guards and cookie helpers: @tokengate/core/adapter's, one pure call per export (docs, tree-shaking).
// Typed: an inferred RequestHandler would name express's private types in the declarations.
const h: kit.AdapterHelpers<RequestHandler, Response, RegisteredClaims> =
  /* @__PURE__ */ kit.adapterHelpers(guard, (res, value) => void res.append('Set-Cookie', value))
type H = typeof h
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by
 * default, Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 * @example
 * setAuthCookie(res, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: H['setAuthCookie'] = /* @__PURE__ */ member(h, 'setAuthCookie')
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 * @example
 * clearAuthCookie(res, '__Host-session')
 */
export const clearAuthCookie: H['clearAuthCookie'] = /* @__PURE__ */ member(h, 'clearAuthCookie')

function guard(check: GuardCheck): RequestHandler {
  return (req, res, next) => {
    const refused = modes.check(req, check, (property) => req[property as keyof Request])
    if (refused) return fail(refused.error, req, res, next)
    next()
  }
}

/**
 * Requires roles of the request's context (every one, or `{ mode: 'any' }`): 401 without a
 * context, 403 `insufficient_role` when short. Roles are read from `roles.claim`.
 * @example
 * app.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export const requireRoles: H['requireRoles'] = /* @__PURE__ */ member(h, 'requireRoles')
/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
 * @example
 * app.get('/reports', requireScopes('reports:read'), handler)
 */
export const requireScopes: H['requireScopes'] = /* @__PURE__ */ member(h, 'requireScopes')
/**
 * Requires a predicate over the verified claims to return exactly `true`, else 403 `insufficient_role`.
 * @example
 * app.get('/billing', requireClaims((claims) => claims.email_verified === true), handler)
 */
export const requireClaims: H['requireClaims'] = /* @__PURE__ */ member(h, 'requireClaims')
/**
 * Requires a strong or recent sign-in (RFC 9470 step-up): `acr` among `acrValues`, `auth_time` at
 * most `maxAge` ago; else 401 `insufficient_user_authentication` with `acr_values` and `max_age`.
 * @example
 * app.post('/transfer', requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }), handler)
 */
export const requireAuthentication: H['requireAuthentication'] = /* @__PURE__ */ member(
  h,
  'requireAuthentication',
)

/**
 * Error handler that renders an AuthError passed on by `onError: 'delegate'`; anything else goes on.
 *
 * @example
 * app.use(authErrorHandler)
 */
export const authErrorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  if (!isAuthError(err) || res.headersSent) return next(err)
  kit.nodeSend(res, err)
}

function fail(err: unknown, req: Request, res: Response, next: NextFunction): void {
  Object.assign(req, { [modes.property(req)]: undefined })
  // Already answered (a timeout's 503 while the keys were slow): setting headers would throw.
  if (kit.nodeAnswered(res)) return
  const error = modes.refusal(req, err)
  if (!error) return next(err)
  // `headers` as http-errors has it: Express's default handler then still sends the challenge.
  if (modes.delegates(req))
    return next(Object.assign(error, { headers: kit.challengeHeaders(error) }))
  kit.nodeSend(res, error)
}
