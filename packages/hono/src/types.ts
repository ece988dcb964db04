// Public types of @tokengate/hono: the typed `c.get('auth')`.
import type { AuthContext, DefaultClaims } from '@tokengate/core'

/**
 * Context variables after `tokengate()`.
 *
 * @example
 * const app = new Hono<{ Variables: AuthVariables<z.output<typeof claims>> }>()
 */
// A type alias, not an interface: Hono's Variables must be assignable to an index signature.
export type AuthVariables<Claims = DefaultClaims> = {
  /** `c.get('auth')`: the verified token (claims, scopes, roles, header). */
  auth: AuthContext<Claims>
}

/** Context variables after `tokengate({ optional: true })` or an existing authenticator. */
export type OptionalAuthVariables<Claims = DefaultClaims> = {
  /** `c.get('auth')`: the verified token, or undefined when the request carried none. */
  auth: AuthContext<Claims> | undefined
}
