// Public types of @tokengate/hono: adapter options and the typed `c.get('auth')`.
import type { AuthContext, DefaultClaims } from '@tokengate/core'

/** Options of the adapter itself (the authenticator's options are the core's). */
export interface AdapterOptions {
  /**
   * `'respond'` (default): answer an AuthError with its `toResponse()` (status, `WWW-Authenticate`,
   * JSON body). `'delegate'`: throw an `HTTPException` whose `res` is that response and whose `cause`
   * is the AuthError, so `app.onError` decides (Hono's default handler sends `res` as is).
   */
  onError?: 'respond' | 'delegate'
}

/**
 * Context variables after `tokengate()`.
 *
 * @example
 * const app = new Hono<{ Variables: AuthVariables<z.output<typeof claims>> }>()
 */
// A type alias, not an interface: Hono's Variables must be assignable to an index signature.
export type AuthVariables<Claims = DefaultClaims> = {
  auth: AuthContext<Claims>
}

/** Context variables after `tokengate({ optional: true })` or an existing authenticator. */
export type OptionalAuthVariables<Claims = DefaultClaims> = {
  auth: AuthContext<Claims> | undefined
}
