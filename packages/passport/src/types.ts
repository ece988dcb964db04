// Public types of @tokengate/passport: the strategy's options and the typed `req.auth`.
import type { AuthContext, AuthError, DefaultClaims } from '@tokengate/core'
import type { AdapterOptions, AuthSlotOf } from '@tokengate/core/adapter'
import type { RegisteredClaimsOf, RegisteredPropertyOf } from '@tokengate/core/adapter'
import type { Request } from 'express'
import type { AuthenticateOptions as PassportAuthenticateOptions } from 'passport'
import type { RequestHandler } from 'express'

/** The strategy's own options (the authenticator's are the core's). */
export interface TokengateStrategyOptions<Claims = DefaultClaims> extends AdapterOptions {
  /** The strategy's name for `passport.authenticate(name)`; default `'tokengate'`. */
  name?: string
  /**
   * What becomes `req.user` (passport-jwt's verify callback, without `done`): default the claims.
   * May be async; a throw is Passport's `error` (an AuthError thrown is rendered as one).
   */
  user?: (context: AuthContext<Claims>, req: Request) => unknown
}

/** `authenticate()`'s options: Passport's, and the Passport instance (default the singleton). */
export interface AuthenticateOptions extends PassportAuthenticateOptions {
  /** A `new Passport()` instance the strategy was registered with; default `passport` itself. */
  passport?: {
    authenticate(strategy: string, options: PassportAuthenticateOptions): RequestHandler
  }
}

/**
 * Fill this in once to type `req.auth` (the AuthContext) everywhere, and, with
 * `{ property: 'token' }`, where the context lives.
 *
 * @example
 * declare module '@tokengate/passport' {
 *   interface Register { claims: z.output<typeof claimsSchema> }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface Register {}

/** The claims type of `req.auth`: `Register['claims']` when registered, else the JWT defaults. */
export type RegisteredClaims = RegisteredClaimsOf<Register>
/** Where `req` holds the context: `Register['property']` when registered, else `'auth'`. */
export type RegisteredProperty = RegisteredPropertyOf<Register>
/** `req[RegisteredProperty]`: the AuthContext the strategy verified; undefined otherwise. */
export type AuthSlot = AuthSlotOf<Register>

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own typing recipe
  namespace Express {
    interface Request extends AuthSlot {
      /** With `passthrough`: why the token sent was refused (its `code`); else undefined. */
      authError?: AuthError
    }
  }
}
