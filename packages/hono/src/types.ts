// Public types of @tokengate/hono: the typed `c.get('auth')` (or `c.get(property)`) and `c.get('authError')`.
import type { AuthContext, AuthError, DefaultClaims } from '@tokengate/core'

/**
 * Context variables after `tokengate()`. `Property` follows `adapterOptions.property` (default
 * `'auth'`); `authError` is set with `passthrough` when a token was refused.
 *
 * @example
 * const app = new Hono<{ Variables: AuthVariables<z.output<typeof claims>> }>()
 */
// A type alias, not an interface: Hono's Variables must be assignable to an index signature.
export type AuthVariables<Claims = DefaultClaims, Property extends string = 'auth'> = {
  /** `c.get('auth')`: the verified token (claims, scopes, roles, header). */
  [K in Property]: AuthContext<Claims>
} & AuthErrorVariable

/**
 * Context variables after `tokengate({ optional: true })`, `tokengate({ passthrough: true })`, an
 * existing authenticator or a factory of options.
 *
 * @example
 * const app = new Hono<{ Variables: OptionalAuthVariables }>()
 */
export type OptionalAuthVariables<Claims = DefaultClaims, Property extends string = 'auth'> = {
  /** `c.get('auth')`: the verified token, or undefined when the request carried none. */
  [K in Property]: AuthContext<Claims> | undefined
} & AuthErrorVariable

/**
 * `c.get('authError')`: with `passthrough`, why the token sent was refused (its `code`).
 *
 * @example
 * const code = c.get('authError')?.code
 */
export type AuthErrorVariable = {
  /** The refusal that left the request anonymous; undefined otherwise. */
  authError: AuthError | undefined
}
