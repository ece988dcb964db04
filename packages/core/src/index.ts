// Public entry of @tokengate/core.
import { setupAdapterWith, type AdapterErrorMode, type AdapterSetup } from './adapter.js'
import { createAuthenticator } from './authenticate.js'
import type { Authenticator, AuthenticatorOptions } from './types.js'
export { AuthError, isAuthError, CODE_TABLE } from './errors.js'
export type {
  AuthErrorCode,
  AuthErrorOptions,
  AuthErrorResponse,
  BearerError,
  DpopChallenge,
} from './errors.js'
export type * from './types.js'
export { createMemoryRevocationStore } from './revocation.js'
export type { MemoryRevocationStore, MemoryRevocationStoreOptions } from './revocation.js'
export { createAuthenticator } from './authenticate.js'
export { toList, nodeRequestHeaders, ownHeader, pathOf } from './adapter.js'
export type { AdapterErrorMode, AdapterSetup, NodeHeadersSource } from './adapter.js'

/**
 * For adapters: resolves `tokengate(optionsOrAuthenticator, { onError })` once, at start-up.
 *
 * @example
 * const { authenticator, onError, realm } = setupAdapter(options, { onError: 'delegate' })
 */
export function setupAdapter<Claims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions?: { onError?: AdapterErrorMode },
): AdapterSetup<Claims> {
  return setupAdapterWith(createAuthenticator, optionsOrAuthenticator, adapterOptions)
}
// Also public so an app can guard its own cookie-setting routes (a sign-in form: login CSRF).
export { checkCsrf } from './csrf.js'
export type { CsrfConfig } from './csrf.js'
export { hasRoles, hasScopes, requireRolesOf, requireScopesOf, requireClaimsOf } from './guards.js'
export type { RoleMode } from './guards.js'
export { parseDuration } from './duration.js'
export { serializeAuthCookie, clearAuthCookie } from './cookies.js'
export type { AuthCookieOptions, ClearAuthCookieOptions } from './cookies.js'
export { createTokenIssuer } from './issue.js'
export type { TokenIssuer, TokenIssuerOptions, IssueOverrides } from './issue.js'
export { generateKeys, publicJwks } from './keygen.js'
export type { GeneratedKeys, GenerateKeysOptions } from './keygen.js'
