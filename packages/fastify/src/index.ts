// Fastify 5 adapter: a plugin that authenticates in an onRequest hook, attaches `request.auth`, and
// sends an AuthError with Fastify's reply.
import { createAuthenticator, isAuthError } from '@tokengate/core'
import type { Authenticator, AuthenticatorOptions, DefaultClaims } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import { member, type AdapterOptions, type GuardCheck } from '@tokengate/core/adapter'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthHook, RegisteredClaims, TokengateOptions } from './types.js'

export type * from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'

const modes = new kit.RequestModes<FastifyRequest>()
// What a Fastify request already has: `property` may not take these names.
const RESERVED =
  'body,compileValidationSchema,getDecorator,getValidationFunction,headers,host,hostname,id,ip,ips,is404,log,method,originalUrl,params,port,protocol,query,raw,routeOptions,server,setDecorator,signal,socket,url,validateInput,validationError'.split(
    ',',
  )
type Slots = Record<string, unknown>
type Plugin = FastifyPluginAsync<TokengateOptions<any>>
const encoder = new TextEncoder()

/**
 * An onRequest hook that authenticates the request and sets `request.auth` (or
 * `request[property]`); with `passthrough`, a refused token's error is `request.authError`. The
 * plugin registers one; use this for a hook of your own (a second issuer on some routes).
 * @example
 * const admin = authHook({ algorithms: ['ES256'], key: { jwksUri }, issuer })
 * fastify.get('/admin', { onRequest: [admin] }, handler)
 */
export function authHook<Claims = DefaultClaims>(
  options: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapter: AdapterOptions = {},
): AuthHook {
  // DEBUG=tokengate: explain mode (docs/debugging.md).
  const mode = kit.setupAdapter(createAuthenticator, options, adapter, RESERVED, process.env.DEBUG)
  return async (request, reply) => {
    // RFC 9728 §3: the metadata document is public, answered before any authentication.
    const metadata = kit.metadataFor(mode, request.method, request.url)
    if (metadata) return void (answered(reply) || send(reply, await metadata))
    // request.protocol (trustProxy) is read only if a step needs the URL. Something else answered
    // meanwhile (handlerTimeout's 503): nothing is attached, and Fastify runs nothing more.
    const { method, url, raw } = request
    const like = kit.nodeRequestLike(method, () => request.protocol, url, raw)
    await kit
      .authenticateOn(modes, request, mode, like, {
        set: (name, value) => Object.assign(request, { [name]: value }),
        header: (name, value) => void reply.header(name, value),
        answered: () => answered(reply),
      })
      .catch((err: unknown) => fail(err, request, reply))
  }
}

// Async: a start-up error rejects the registration (a callback plugin's throw would hang until the
// plugin timeout), so `ready()`/`listen()` fail at once with tokengate's message.
const plugin: Plugin = async (fastify, options) => {
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
 * @example
 * await fastify.register(tokengate, { authenticator: { algorithms: ['ES256'], key: { jwksUri }, issuer } })
 * fastify.get('/me', async (request) => request.auth?.payload)
 */
export const tokengate: Plugin = fp(plugin, { fastify: '5.x', name: '@tokengate/fastify' })
export default tokengate

// Guards and cookie helpers: behaviour (and TSDoc) is @tokengate/core/adapter's. Pure calls
// (member): a bundle without them carries none of their code.
const h: kit.AdapterHelpers<AuthHook, FastifyReply, RegisteredClaims> =
  /* @__PURE__ */ kit.adapterHelpers(guard, (reply, value) => {
    reply.header('set-cookie', value) // Fastify appends Set-Cookie values, never replaces them
  })
type H = typeof h
/**
 * A preHandler requiring roles of the request's context (every one, or `{ mode: 'any' }`): 401
 * without a context, 403 `insufficient_role` when short.
 * @example
 * fastify.delete('/users/:id', { preHandler: requireRoles(['admin', 'owner'], { mode: 'any' }) }, handler)
 */
export const requireRoles: H['requireRoles'] = /* @__PURE__ */ member(h, 'requireRoles')
/**
 * A preHandler requiring every listed scope: 403 `insufficient_scope` with `scope="…"` (RFC 6750 §3.1).
 * @example
 * fastify.get('/reports', { preHandler: requireScopes('reports:read') }, handler)
 */
export const requireScopes: H['requireScopes'] = /* @__PURE__ */ member(h, 'requireScopes')
/**
 * A preHandler requiring a predicate over the verified claims to return exactly `true`: 403
 * `insufficient_role` otherwise.
 * @example
 * fastify.get('/billing', { preHandler: requireClaims((claims) => claims.email_verified === true) }, handler)
 */
export const requireClaims: H['requireClaims'] = /* @__PURE__ */ member(h, 'requireClaims')
/**
 * A preHandler requiring a strong or recent enough sign-in (RFC 9470 step-up): 401
 * `insufficient_user_authentication` with `acr_values` and `max_age` in the challenge.
 * @example
 * fastify.post('/transfer', { preHandler: requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }) }, handler)
 */
export const requireAuthentication: H['requireAuthentication'] = /* @__PURE__ */ member(
  h,
  'requireAuthentication',
)
/**
 * Adds a `Set-Cookie` for the token: HttpOnly always, Secure, SameSite=Lax and Path=/ by default,
 * Max-Age from the token's `exp`. Read it back with `from: { cookie: name }`.
 * @example
 * setAuthCookie(reply, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: H['setAuthCookie'] = /* @__PURE__ */ member(h, 'setAuthCookie')
/**
 * Adds a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 * @example
 * clearAuthCookie(reply, '__Host-session')
 */
export const clearAuthCookie: H['clearAuthCookie'] = /* @__PURE__ */ member(h, 'clearAuthCookie')

/**
 * For `setErrorHandler`: renders an AuthError passed on by `onError: 'delegate'` and rethrows
 * anything else to the parent (ultimately Fastify's default) error handler.
 * @example
 * fastify.setErrorHandler(authErrorHandler)
 */
export function authErrorHandler(
  error: unknown,
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (!isAuthError(error)) throw error
  return send(reply, kit.plainResponse(error))
}

function guard(check: GuardCheck): AuthHook {
  return async (request, reply) => {
    const refused = modes.check(request, check, (p) => (request as unknown as Slots)[p])
    if (refused) return fail(refused.error, request, reply)
  }
}

function fail(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  Object.assign(request, { [modes.property(request)]: undefined })
  // Already answered (handlerTimeout sent its 503 while the keys were slow): nobody left to tell.
  if (answered(reply)) return
  const error = modes.refusal(request, err)
  // Not an AuthError (a bug in isRevoked, say): Fastify's error handler answers 500.
  if (!error) throw err
  // `headers` as Fastify's default error handler reads them: it then still sends the challenge.
  if (modes.delegates(request)) throw Object.assign(error, { headers: kit.challengeHeaders(error) })
  send(reply, kit.plainResponse(error))
}

/** True once a response was started or sent by anyone (or hijacked): it can take nothing now. */
const answered = (reply: FastifyReply): boolean => reply.sent || reply.raw.headersSent

// Bytes: Fastify sends them with the given content type as it is (a string would get `; charset=utf-8`).
function send(reply: FastifyReply, { status, headers, body }: kit.PlainResponse): FastifyReply {
  return reply.code(status).headers(headers).send(encoder.encode(body))
}
