// Public entry of @tokengate/core.
export { AuthError, isAuthError, CODE_TABLE } from './errors.js'
export type {
  AuthErrorCode,
  AuthErrorOptions,
  AuthErrorResponse,
  BearerError,
  DpopChallenge,
} from './errors.js'
export type * from './types.js'
// observe (issue 16): decision events, key failure causes, explain mode.
export { AuthExplanation, KeyFailureError } from './events.js'
export type {
  DecisionEvent,
  DecisionStep,
  ExplainedTime,
  ExplainedValue,
  Explanation,
  KeyFailure,
  KeyFailureReason,
  KeyFetchEvent,
} from './events.js'
export { createMemoryRevocationStore } from './policy/revocation.js'
export type { MemoryRevocationStore, MemoryRevocationStoreOptions } from './policy/revocation.js'
export { createAuthenticator } from './authenticate.js'
export { ASYMMETRIC_JWS_ALGORITHMS } from './keys/algorithms.js'
// Also public so an app can guard its own cookie-setting routes (a sign-in form: login CSRF).
export { checkCsrf } from './request/csrf.js'
export type { CsrfConfig } from './request/csrf.js'
export {
  hasRoles,
  hasScopes,
  requireRolesOf,
  requireScopesOf,
  requireClaimsOf,
  requireAuthenticationOf,
  resolveStepUp,
} from './policy/guards.js'
export type { RoleMode, StepUpRequirement, ResolvedStepUp } from './policy/guards.js'
export { parseDuration } from './util/duration.js'
export { serializeAuthCookie, clearAuthCookie } from './issuing/cookies.js'
export type { AuthCookieOptions, ClearAuthCookieOptions } from './issuing/cookies.js'
export { createTokenIssuer } from './issuing/issue.js'
export type { TokenIssuer, TokenIssuerOptions, IssueOverrides } from './issuing/issue.js'
// External signers (issue 22): the private key stays in an HSM or a KMS.
export { SignerError, derToJoseSignature } from './issuing/signer.js'
export type { TokenSigner, SignerErrorCode } from './issuing/signer.js'
export { generateKeys, publicJwks } from './issuing/keygen.js'
export type { GeneratedKeys, GenerateKeysOptions } from './issuing/keygen.js'
