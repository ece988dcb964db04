// Public types of @tokengate/koa: the typed `ctx.state.auth`.
import type { AuthContext, DefaultClaims } from '@tokengate/core'

/** `ctx.state` after `tokengate()`: the context is always set (a request without it was refused). */
export interface AuthState<Claims = DefaultClaims> {
  auth: AuthContext<Claims>
}

/** `ctx.state` after `tokengate({ optional: true })` or an existing authenticator. */
export interface OptionalAuthState<Claims = DefaultClaims> {
  auth?: AuthContext<Claims>
}
