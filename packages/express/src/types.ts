// Public types of @tokengate/express: the claims registry and the typed `req.auth`.
import type { AuthContext, AuthError, DefaultClaims } from '@tokengate/core'

/**
 * Fill this in once to type the claims of `req.auth` everywhere (Express has one global `Request`),
 * and, with `tokengate(options, { property: 'user' })`, where the context lives (`property`).
 *
 * @example
 * declare module '@tokengate/express' {
 *   interface Register { claims: z.output<typeof claimsSchema>; property: 'user' }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface Register {}

/** The claims type of `req.auth`: `Register['claims']` when registered, else the JWT defaults. */
export type RegisteredClaims = Register extends { claims: infer C } ? C : DefaultClaims

/** Where `req` holds the context: `Register['property']` when registered, else `'auth'`. */
export type RegisteredProperty = Register extends { property: infer P extends string } ? P : 'auth'

/**
 * `req[RegisteredProperty]`: set by `tokengate()`; undefined when no token was sent in optional
 * mode, for a skipped request or a preflight, or a refused token with `passthrough`.
 */
export type AuthSlot = { [K in RegisteredProperty]?: AuthContext<RegisteredClaims> }

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own typing recipe
  namespace Express {
    // A global interface cannot take a runtime option: the property name follows Register.
    interface Request extends AuthSlot {
      /** With `passthrough`: why the token sent was refused (its `code`); else undefined. */
      authError?: AuthError
    }
  }
}
