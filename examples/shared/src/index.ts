// What the three examples share: auth set-up, users, password hashing, keys, revocation and the page.
export {
  createExampleAuth,
  claimsSchema,
  DEFAULT_SIGN_IN_LIMITS,
  isLoopbackHttp,
  SIGN_IN_FAILED,
} from './auth.js'
export type {
  ExampleAuth,
  ExampleClaims,
  ExampleConfig,
  SignInLimits,
  SignInResult,
} from './auth.js'
export { clientKey, createRateLimiter } from './rate-limit.js'
export type { RateLimit, RateLimiter, RateLimitResult } from './rate-limit.js'
export { loadKeys, parsePrivateJwk } from './keys.js'
export type { ExampleKeys, KeyPair } from './keys.js'
export { pageAssets, SECURITY_HEADERS } from './page.js'
export { hashPassword, verifyPassword, PBKDF2_ITERATIONS } from './password.js'
export { createRevocationStore } from './revocation.js'
export { createUserStore, DEMO_USERS } from './users.js'
export type { DemoUser, User, UserStore } from './users.js'
