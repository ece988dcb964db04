// Public types of @tokengate/koa: the typed `ctx.state.auth`.
import type { AuthContext, DefaultClaims } from '@tokengate/core'

/** `ctx.state` after `tokengate()`: the context is always set (a request without it was refused). */
export interface AuthState<Claims = DefaultClaims> {
  /** The verified token: claims, scopes, roles, header. */
  auth: AuthContext<Claims>
}

/** `ctx.state` after `tokengate({ optional: true })` or an existing authenticator. */
export interface OptionalAuthState<Claims = DefaultClaims> {
  /** The verified token, or undefined when the request carried none. */
  auth?: AuthContext<Claims>
}
