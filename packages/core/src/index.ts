// Public entry of @tokengate/core.
export { AuthError, isAuthError, CODE_TABLE } from './errors.js'
export type { AuthErrorCode, AuthErrorOptions, AuthErrorResponse, BearerError } from './errors.js'
export type * from './types.js'
export { createMemoryRevocationStore } from './revocation.js'
export type { MemoryRevocationStore, MemoryRevocationStoreOptions } from './revocation.js'
export { createAuthenticator } from './authenticate.js'
