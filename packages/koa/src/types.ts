// Public types of @tokengate/koa: the typed `ctx.state.auth` (or `ctx.state[property]`).
import type { AuthContext, AuthError, DefaultClaims } from '@tokengate/core'

/**
 * `ctx.state` after `tokengate()`: the context is always set (a request without it was refused).
 * `Property` follows `adapterOptions.property` (default `'auth'`).
 *
 * @example
 * const router = new Router<AuthState<Claims, 'user'>>()
 */
export type AuthState<Claims = DefaultClaims, Property extends string = 'auth'> = {
  [K in Property]: AuthContext<Claims>
}

/**
 * `ctx.state` after `tokengate({ optional: true })`, `tokengate({ passthrough: true })` or an
 * existing authenticator: the context may be absent, and with `passthrough` `authError` says why.
 *
 * @example
 * const router = new Router<OptionalAuthState<Claims>>()
 */
export type OptionalAuthState<Claims = DefaultClaims, Property extends string = 'auth'> = {
  [K in Property]?: AuthContext<Claims>
} & {
  /** With `passthrough`: why the token sent was refused (its `code`); else undefined. */
  authError?: AuthError
}
