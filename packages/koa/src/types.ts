// Public types of @tokengate/koa: adapter options and the typed `ctx.state.auth`.
import type { AuthContext, DefaultClaims } from '@tokengate/core'

/** Options of the adapter itself (the authenticator's options are the core's). */
export interface AdapterOptions {
  /**
   * `'respond'` (default): answer an AuthError with its `toResponse()` (status, `WWW-Authenticate`,
   * JSON body). `'delegate'`: throw it, with `status`, `expose: true` and `headers` set, so Koa's
   * default handler or the app's own try/catch middleware renders it.
   */
  onError?: 'respond' | 'delegate'
}

/** `ctx.state` after `tokengate()`: the context is always set (a request without it was refused). */
export interface AuthState<Claims = DefaultClaims> {
  auth: AuthContext<Claims>
}

/** `ctx.state` after `tokengate({ optional: true })` or an existing authenticator. */
export interface OptionalAuthState<Claims = DefaultClaims> {
  auth?: AuthContext<Claims>
}
