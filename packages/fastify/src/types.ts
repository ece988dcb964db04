// Public types of @tokengate/fastify: the plugin's options, the claims registry and `request.auth`.
import type { AuthContext, AuthError, Authenticator, AuthenticatorOptions } from '@tokengate/core'
import type { DefaultClaims } from '@tokengate/core'
import type { AdapterOptions } from '@tokengate/core/adapter'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** The options of `fastify.register(tokengate, options)`. */
export interface TokengateOptions<Claims = DefaultClaims> extends AdapterOptions {
  /** The core's options (checked when the plugin loads), or an authenticator to share. */
  authenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>
  /**
   * `'onRequest'` (default): authenticate every route of the registering context. `false`: only
   * routes that list the decorator, `{ onRequest: [fastify.authenticate] }`.
   */
  hook?: 'onRequest' | false
  /** The instance decorator holding the hook; default `'authenticate'` (one name per registration). */
  decorator?: string
}

/** An onRequest (or preHandler) hook of the plugin: `authHook()`, `fastify.authenticate`, guards. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

/**
 * Fill this in once to type the claims of `request.auth` everywhere (Fastify has one
 * `FastifyRequest`), and, with `{ property: 'user' }`, where the context lives.
 *
 * @example
 * declare module '@tokengate/fastify' {
 *   interface Register { claims: z.output<typeof claimsSchema>; property: 'user' }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface Register {}

/** The claims type of `request.auth`: `Register['claims']` when registered, else the JWT defaults. */
export type RegisteredClaims = Register extends { claims: infer C } ? C : DefaultClaims

/** Where `request` holds the context: `Register['property']` when registered, else `'auth'`. */
export type RegisteredProperty = Register extends { property: infer P extends string } ? P : 'auth'

/**
 * `request[RegisteredProperty]`: set by the hook; undefined when no token was sent in optional
 * mode, for a skipped request or a preflight, or a refused token with `passthrough`.
 */
export type AuthSlot = { [K in RegisteredProperty]?: AuthContext<RegisteredClaims> }

declare module 'fastify' {
  // The context's property follows Register: a declaration cannot take a runtime option.
  interface FastifyRequest extends AuthSlot {
    /** With `passthrough`: why the token sent was refused (its `code`); else undefined. */
    authError?: AuthError
  }
  interface FastifyInstance {
    /** The plugin's hook, for `{ onRequest: [fastify.authenticate] }` (option `decorator`). */
    authenticate: AuthHook
  }
}
