// Passport strategy: `passport.use(new TokengateStrategy(options))` in place of passport-jwt, with
// tokengate's codes, statuses and challenges kept (and its exact answer through authErrorHandler).
import { createAuthenticator, isAuthError, type AuthContext, type AuthError } from '@tokengate/core'
import type { Authenticator, AuthenticatorOptions, DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import { member, type AdapterSetup, type GuardCheck } from '@tokengate/core/adapter'
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express'
import passport from 'passport'
import { Strategy } from 'passport-strategy'
import type { AuthenticateOptions, TokengateStrategyOptions } from './types.js'

export type * from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const modes = new kit.RequestModes<Request>()
// Why the strategy refused a request: passport's failWithError error carries only a status.
const refusals = new WeakMap<Request, AuthError>()
// What Express, Node and Passport keep on a request: `property` may not take these names.
const RESERVED =
  'app,authInfo,baseUrl,body,cookies,fresh,headers,host,hostname,ip,ips,isAuthenticated,isUnauthenticated,logIn,logOut,login,logout,method,next,originalUrl,params,path,protocol,query,res,route,secure,session,signedCookies,socket,stale,subdomains,url,xhr'.split(
    ',',
  )

/**
 * A Passport strategy (name `'tokengate'`): `req.user` is the token's claims (or what `user`
 * returns) and `req.auth` its AuthContext. A refusal is `fail(challenge, status)` with tokengate's
 * status and `WWW-Authenticate`; `authenticate()` or `failWithError` with `authErrorHandler` send
 * its exact body too.
 * @example
 * passport.use(new TokengateStrategy({ algorithms: ['RS256'], key: { jwksUri }, issuer, audience }))
 * app.get('/me', passport.authenticate('tokengate', { session: false }), (req, res) => res.json(req.user))
 */
export class TokengateStrategy<Claims = DefaultClaims> extends Strategy {
  /** The name `passport.authenticate(name)` takes: `'tokengate'` unless `options.name`. */
  name: string
  // Plain properties, not #private: Passport runs each request on Object.create(strategy).
  private readonly setup: AdapterSetup<Claims>
  private readonly toUser: (context: AuthContext<Claims>, req: Request) => unknown

  constructor(
    options: AuthenticatorOptions<Claims> | Authenticator<Claims>,
    strategyOptions: TokengateStrategyOptions<Claims> = {},
  ) {
    super()
    const { name = 'tokengate', user, ...adapter } = strategyOptions
    // property 'user' (koa-jwt's and express-jwt's habit): Passport's req.user is then the context.
    if (adapter.property === 'user' && user !== undefined)
      throw new TypeError(
        "tokengate: strategyOptions.user cannot be given with property 'user' (req.user is then the AuthContext): drop one",
      )
    this.name = name
    this.toUser =
      user ?? (adapter.property === 'user' ? (context) => context : (context) => context.payload)
    const debug = process.env.DEBUG // DEBUG=tokengate: explain mode (docs/debugging.md)
    this.setup = kit.setupAdapter(createAuthenticator, options, adapter, RESERVED, debug)
  }

  /** Called by Passport for each request; ends in success, pass, fail or error. */
  override authenticate(req: Request): void {
    const res = req.res
    // RFC 9728 §3: the metadata document is public; Passport has no action for a 200 of our own.
    const metadata = res && kit.metadataFor(this.setup, req.method, req.originalUrl)
    if (res && metadata)
      return void metadata.then((m) => kit.nodeWrite(res, m), this.error.bind(this))
    refusals.delete(req)
    const like = kit.nodeRequestLike(req.method, () => req.protocol, req.originalUrl, req)
    kit
      .authenticateOn(modes, req, this.setup, like, {
        set: (name, value) => Object.assign(req, { [name]: value }),
        header: (name, value) => res?.setHeader(name, value),
        answered: () => res !== undefined && kit.nodeAnswered(res), // a request timeout answered
      })
      .then(
        async (result) => {
          if (!result) return
          // Optional, passthrough, preflight or skip: anonymous.
          if (!result.context) return this.pass()
          this.success(await this.toUser(result.context, req))
        },
        (err: unknown) => refuse(this, err, req),
      )
      // A throw while answering (the user mapper's) stays on this request, never an unhandled
      // rejection; an AuthError thrown there is a refusal like any other.
      .catch((err: unknown) =>
        res && kit.nodeAnswered(res) ? res.destroy() : refuse(this, err, req),
      )
  }
}

// Passport's actions (fail, error) are set on the per-request object; a guard has only `next`.
function refuse(
  to: { fail(c: unknown, s: number): void; error(e: unknown): void },
  err: unknown,
  req: Request,
): void {
  Object.assign(req, { [modes.property(req)]: undefined })
  if (req.res && kit.nodeAnswered(req.res)) return
  const error = modes.refusal(req, err)
  if (!error) return to.error(err)
  refusals.set(req, error)
  const headers = kit.challengeHeaders(error)
  // 'delegate': next(err) with http-errors' `headers`, for the app's error handler.
  if (modes.delegates(req)) return to.error(Object.assign(error, { headers }))
  to.fail(headers['www-authenticate'], error.status)
}

/**
 * `passport.authenticate(name, { session: false })` that answers a refusal exactly as the other
 * tokengate adapters do (status, `WWW-Authenticate`, `Cache-Control`, JSON body).
 * @example
 * app.get('/me', authenticate(), (req, res) => res.json(req.user))
 */
export function authenticate(
  name = 'tokengate',
  options: AuthenticateOptions = {},
): RequestHandler {
  const { passport: instance = passport, ...rest } = options
  const middleware = instance.authenticate(name, { session: false, ...rest, failWithError: true })
  return (req, res, next) =>
    middleware(req, res, (err?: unknown) =>
      err === undefined || isAuthError(err) ? next(err) : authErrorHandler(err, req, res, next),
    )
}

/**
 * Error middleware: renders an AuthError (`onError: 'delegate'`, a guard) or the refusal behind
 * Passport's `failWithError` error; anything else goes on.
 * @example
 * app.use(authErrorHandler)
 */
export const authErrorHandler: ErrorRequestHandler = (err, req, res, next) => {
  const error = isAuthError(err)
    ? err
    : (err as Error)?.name === 'AuthenticationError'
      ? refusals.get(req)
      : undefined
  if (error === undefined || kit.nodeAnswered(res)) return next(err)
  kit.nodeSend(res, error)
}

// Guards and cookie helpers: behaviour (and TSDoc) is @tokengate/core/adapter's. Pure calls
// (member): a bundle without them carries none of their code.
const h: kit.AdapterHelpers<RequestHandler, Response> = /* @__PURE__ */ kit.adapterHelpers(
  guard,
  (res, value) => void res.append('Set-Cookie', value),
)
/**
 * Requires roles of `req.auth` (every one, or `{ mode: 'any' }`): 401 without, 403 `insufficient_role`.
 * @example
 * app.delete('/users/:id', authenticate(), requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
 */
export const requireRoles: typeof h.requireRoles = /* @__PURE__ */ member(h, 'requireRoles')
/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` (RFC 6750 §3.1).
 * @example
 * app.get('/reports', authenticate(), requireScopes('reports:read'), handler)
 */
export const requireScopes: typeof h.requireScopes = /* @__PURE__ */ member(h, 'requireScopes')
/**
 * Requires a predicate over the verified claims to return exactly `true`: 403 `insufficient_role`.
 * @example
 * app.get('/billing', authenticate(), requireClaims((claims) => claims.email_verified === true), handler)
 */
export const requireClaims: typeof h.requireClaims = /* @__PURE__ */ member(h, 'requireClaims')
/**
 * Requires a strong or recent enough sign-in (RFC 9470 step-up): 401 `insufficient_user_authentication`.
 * @example
 * app.post('/transfer', authenticate(), requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }), handler)
 */
export const requireAuthentication: typeof h.requireAuthentication = /* @__PURE__ */ member(
  h,
  'requireAuthentication',
)
/**
 * Appends a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by default.
 * @example
 * setAuthCookie(res, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: typeof h.setAuthCookie = /* @__PURE__ */ member(h, 'setAuthCookie')
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 * @example
 * clearAuthCookie(res, '__Host-session')
 */
export const clearAuthCookie: typeof h.clearAuthCookie = /* @__PURE__ */ member(
  h,
  'clearAuthCookie',
)

function guard(check: GuardCheck): RequestHandler {
  return (req, res, next) => {
    const refused = modes.check(req, check, (property) => req[property as keyof Request])
    if (!refused) return next()
    // No Passport here: a refusal is answered as authenticate() answers one, delegated to next(err).
    const fail = () => authErrorHandler(refusals.get(req), req, res, next)
    refuse({ fail, error: next }, refused.error, req)
  }
}
