// Public types of @tokengate/express: the claims registry and the typed `req.auth`.
import type { AuthContext, DefaultClaims } from '@tokengate/core'

/**
 * Fill this in once to type the claims of `req.auth` everywhere (Express has one global `Request`).
 *
 * @example
 * declare module '@tokengate/express' {
 *   interface Register { claims: z.output<typeof claimsSchema> }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface Register {}

/** The claims type of `req.auth`: `Register['claims']` when registered, else the JWT defaults. */
export type RegisteredClaims = Register extends { claims: infer C } ? C : DefaultClaims

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own typing recipe
  namespace Express {
    interface Request {
      /** Set by `tokengate()`; undefined when no token was sent in optional mode. */
      auth?: AuthContext<RegisteredClaims>
    }
  }
}
