// Fastify 5 adapter: a plugin that authenticates in an onRequest hook, attaches `request.auth`, and
// sends an AuthError with Fastify's reply.
import { createAuthenticator, isAuthError, type AuthContext, type AuthError } from '@tokengate/core'
import type { Authenticator, AuthenticatorOptions, DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, FailureMode, GuardCheck } from '@tokengate/core/adapter'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthHook, RegisteredClaims, TokengateOptions } from './types.js'

export type * from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const failureMode = new WeakMap<FastifyRequest, FailureMode>()
// What a Fastify request already has: `property` may not take these names.
const RESERVED =
  'body,compileValidationSchema,getDecorator,getValidationFunction,headers,host,hostname,id,ip,ips,is404,log,method,originalUrl,params,port,protocol,query,raw,routeOptions,server,setDecorator,signal,socket,url,validateInput,validationError'.split(
    ',',
  )
type Slots = Record<string, unknown>
const encoder = new TextEncoder()

/**
 * An onRequest hook that authenticates the request and sets `request.auth` (or
 * `request[property]`); with `passthrough`, a refused token's error is `request.authError`. The
 * plugin registers one; use this for a hook of your own (a second issuer on some routes).
 *
 * @example
 * const admin = authHook({ algorithms: ['ES256'], key: { jwksUri }, issuer })
 * fastify.get('/admin', { onRequest: [admin] }, handler)
 */
export function authHook<Claims = DefaultClaims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
): AuthHook {
  const mode = kit.setupAdapter(
    createAuthenticator,
    optionsOrAuthenticator,
    adapterOptions,
    RESERVED,
    process.env.DEBUG, // DEBUG=tokengate: explain mode (docs/debugging.md)
  )
  const resource = mode.authenticator.protectedResource
  return async (request, reply) => {
    // RFC 9728 §3: the metadata document is public, answered before any authentication.
    if (kit.isMetadataRequest(resource, request.method, request.url)) {
      const { status, headers, body } = await kit.metadataResponse(resource)
      if (!answered(reply)) reply.code(status).headers(headers).send(encoder.encode(body))
      return
    }
    failureMode.set(request, mode)
    const slots = request as unknown as Slots
    // Only the authenticator that ran last speaks for the request (issue 12 item 2).
    slots[mode.property] = undefined
    slots.authError = undefined
    let result
    try {
      // request.protocol (trustProxy) is read only if a step needs the URL.
      const like = kit.nodeRequestLike(
        request.method,
        () => request.protocol,
        request.url,
        request.raw,
      )
      result = await mode.attempt(like)
    } catch (err) {
      return fail(err, request, reply)
    }
    // Something else answered meanwhile (handlerTimeout's 503): Fastify runs nothing more.
    if (answered(reply)) return
    slots[mode.property] = result.context ?? undefined
    slots.authError = result.refusal
    // RFC 9449 §8.2: the next DPoP nonce, when the proof's was from the previous window.
    if (result.context?.dpop?.nonce !== undefined)
      reply.header('DPoP-Nonce', result.context.dpop.nonce)
  }
}

// Async: a start-up error rejects the registration (a callback plugin's throw would hang until the
// plugin timeout), so `ready()`/`listen()` fail at once with tokengate's message.
const plugin: FastifyPluginAsync<TokengateOptions<any>> = async (fastify, options) => {
  const { authenticator, hook = 'onRequest', decorator = 'authenticate', ...rest } = options
  if (hook !== 'onRequest' && hook !== false)
    throw new TypeError(
      `tokengate: options.hook must be 'onRequest' or false, got ${JSON.stringify(hook)}`,
    )
  if (typeof decorator !== 'string' || fastify.hasDecorator(decorator))
    throw new TypeError(
      `tokengate: options.decorator ${JSON.stringify(decorator)} is taken or not a name: register each tokengate under its own decorator, e.g. { decorator: 'authenticateAdmin' }`,
    )
  // Fastify keeps its own register options (prefix, logLevel...) out of this object's checks.
  const { prefix: _p, logLevel: _l, logSerializers: _s, ...adapterOptions } = rest as Slots
  const authenticate = authHook(authenticator, adapterOptions as AdapterOptions)
  const property = adapterOptions.property ?? 'auth'
  for (const name of [property, 'authError'] as string[])
    if (!fastify.hasRequestDecorator(name)) fastify.decorateRequest(name, undefined)
  fastify.decorate(decorator, authenticate)
  if (hook === 'onRequest') fastify.addHook('onRequest', authenticate)
}

/**
 * The Fastify plugin: `fastify.register(tokengate, { authenticator })` authenticates every route
 * of the context it is registered in (fastify-plugin: the registering context, not a child), and
 * decorates `fastify.authenticate` for `{ onRequest: [fastify.authenticate] }` per route (with
 * `hook: false`, only there).
 *
 * @example
 * await fastify.register(tokengate, { authenticator: { algorithms: ['ES256'], key: { jwksUri }, issuer } })
 * fastify.get('/me', async (request) => request.auth?.payload)
 */
export const tokengate: FastifyPluginAsync<TokengateOptions<any>> = fp(plugin, {
  fastify: '5.x',
  name: '@tokengate/fastify',
})
export default tokengate

// Guards and cookie helpers: behaviour (and TSDoc) is @tokengate/core/adapter's. Pure calls
// (kit.member): a bundle without them carries none of their code.
const guards: kit.AdapterGuards<AuthHook, RegisteredClaims> =
  /* @__PURE__ */ kit.adapterGuards(guard)
/**
 * A preHandler requiring roles of the request's context (every one, or `{ mode: 'any' }`): 401
 * without a context, 403 `insufficient_role` when short.
 *
 * @example
 * fastify.delete('/users/:id', { preHandler: requireRoles(['admin', 'owner'], { mode: 'any' }) }, handler)
 */
export const requireRoles: typeof guards.requireRoles = /* @__PURE__ */ kit.member(
  guards,
  'requireRoles',
)
/**
 * A preHandler requiring every listed scope: 403 `insufficient_scope` with `scope="…"` (RFC 6750 §3.1).
 *
 * @example
 * fastify.get('/reports', { preHandler: requireScopes('reports:read') }, handler)
 */
export const requireScopes: typeof guards.requireScopes = /* @__PURE__ */ kit.member(
  guards,
  'requireScopes',
)
/**
 * A preHandler requiring a predicate over the verified claims to return exactly `true`: 403
 * `insufficient_role` otherwise.
 *
 * @example
 * fastify.get('/billing', { preHandler: requireClaims((claims) => claims.email_verified === true) }, handler)
 */
export const requireClaims: typeof guards.requireClaims = /* @__PURE__ */ kit.member(
  guards,
  'requireClaims',
)
/**
 * A preHandler requiring a strong or recent enough sign-in (RFC 9470 step-up): 401
 * `insufficient_user_authentication` with `acr_values` and `max_age` in the challenge.
 *
 * @example
 * fastify.post('/transfer', { preHandler: requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }) }, handler)
 */
export const requireAuthentication: typeof guards.requireAuthentication =
  /* @__PURE__ */ kit.member(guards, 'requireAuthentication')
const cookies = /* @__PURE__ */ kit.adapterCookies<FastifyReply>((reply, value) => {
  reply.header('set-cookie', value) // Fastify appends Set-Cookie values, never replaces them
})
/**
 * Adds a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by default,
 * Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 *
 * @example
 * setAuthCookie(reply, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: typeof cookies.setAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'setAuthCookie',
)
/**
 * Adds a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 *
 * @example
 * clearAuthCookie(reply, '__Host-session')
 */
export const clearAuthCookie: typeof cookies.clearAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'clearAuthCookie',
)

/**
 * For `setErrorHandler`: renders an AuthError passed on by `onError: 'delegate'` and rethrows
 * anything else to the parent (ultimately Fastify's default) error handler.
 *
 * @example
 * fastify.setErrorHandler(authErrorHandler)
 */
export function authErrorHandler(
  error: unknown,
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (!isAuthError(error)) throw error
  return send(reply, error)
}

function guard(check: GuardCheck): AuthHook {
  return async (request, reply) => {
    const mode = failureMode.get(request)
    try {
      check(
        ((request as unknown as Slots)[mode?.property ?? 'auth'] as AuthContext | undefined) ??
          null,
        mode,
      )
    } catch (err) {
      return fail(err, request, reply)
    }
  }
}

function fail(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const mode = failureMode.get(request)
  ;(request as unknown as Slots)[mode?.property ?? 'auth'] = undefined
  // Already answered (handlerTimeout sent its 503 while the keys were slow): nobody left to tell.
  if (answered(reply)) return
  // Not an AuthError (a bug in isRevoked, say): Fastify's error handler answers 500.
  if (!isAuthError(err)) throw err
  const error = kit.withChallenge(err, mode)
  if (mode?.onError === 'delegate') {
    // `headers` as Fastify's default error handler reads them: it then still sends the challenge.
    const { 'content-type': _json, ...headers } = error.toResponse().headers
    throw Object.assign(error, { headers })
  }
  send(reply, error)
}

/** True once a response was started or sent by anyone (or hijacked): it can take nothing now. */
const answered = (reply: FastifyReply): boolean => reply.sent || reply.raw.headersSent

// Bytes: Fastify sends them with the given content type as it is (a JSON string would get `; charset=utf-8`).
function send(reply: FastifyReply, err: AuthError): FastifyReply {
  const { status, headers, body } = err.toResponse()
  return reply
    .code(status)
    .headers(headers)
    .send(encoder.encode(JSON.stringify(body)))
}
