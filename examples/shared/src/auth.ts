// The examples' tokengate set-up, the same for every framework: keys, issuer, authenticator, sign-in and logout.
import {
  checkCsrf,
  createAuthenticator,
  createTokenIssuer,
  isAuthError,
  publicJwks,
  type AuthContext,
  type AuthCookieOptions,
  type Authenticator,
  type AuthErrorResponse,
  type ClearAuthCookieOptions,
  type RequestLike,
  type RevocationStore,
} from '@tokengate/core'
import type { JWK } from 'jose'
import { z } from 'zod'
import { loadKeys, type ExampleKeys } from './keys.js'
import { SECURITY_HEADERS } from './page.js'
import { clientKey, createRateLimiter, type RateLimit, type RateLimitResult } from './rate-limit.js'
import { createRevocationStore } from './revocation.js'
import { createUserStore, DEMO_USERS, type DemoUser, type User } from './users.js'

/** What `createApp(config)` of every example takes; everything has a working default. */
export interface ExampleConfig {
  /** Private ES256 JWK that signs tokens. Generated at start-up when absent. */
  signingJwk?: JWK
  /** Private P-256 JWK that tokens are encrypted to (ECDH-ES+A256KW). Generated when absent. */
  encryptionJwk?: JWK
  /** Keys already loaded with `loadKeys`, so that several apps of one process share them. */
  keys?: ExampleKeys
  /**
   * Development on http://localhost only: cookies without `Secure` (and so without the `__Host-`
   * prefix, which requires it). Anywhere else leave it off.
   */
  insecureDevCookies?: boolean
  /** The user list. Default: the demo users alice and bob. */
  users?: readonly DemoUser[]
  /** Where revoked token ids live. Default: in memory (see revocation.ts). */
  revocation?: RevocationStore
  /** Token lifetime in seconds. Default 15 minutes. */
  tokenLifetime?: number
  /**
   * The origin users reach the app at (`https://demo.example.com`), when it differs from what the
   * server sees itself, e.g. behind a proxy that terminates TLS. Cookie-borne POSTs from it pass
   * the CSRF check even when the browser sends only `Origin`.
   */
  publicOrigin?: string
  /** Sign-in and token limits; each has a default (see {@link DEFAULT_SIGN_IN_LIMITS}). */
  rateLimits?: Partial<SignInLimits>
}

/**
 * Limits on `POST /login` and `POST /token`. Each attempt costs a PBKDF2 run on the thread pool that
 * token decryption and verification share, so a flood of wrong passwords would stall every other
 * user; and each success mints a token (and a revocation entry at logout), so one account must not
 * mint without bound.
 */
export interface SignInLimits {
  /** Attempts per client address (IPv6 per /64), whatever the outcome. */
  perClient: RateLimit
  /** Failed attempts per username (guessing one account's password from many addresses). */
  perUsername: RateLimit
  /** Tokens minted per user. */
  perUser: RateLimit
}

export const DEFAULT_SIGN_IN_LIMITS: Readonly<SignInLimits> = {
  perClient: { burst: 30, perMinute: 30 },
  perUsername: { burst: 10, perMinute: 2 },
  perUser: { burst: 30, perMinute: 1 },
}

/**
 * Plain http is acceptable only on the developer's own machine: the one case where the examples
 * may set cookies without `Secure`.
 */
export function isLoopbackHttp(origin: string): boolean {
  const url = new URL(origin)
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
}

/** Claims the examples put in a token and read back: typed by a zod schema in the authenticator. */
export const claimsSchema = z.object({
  sub: z.string(),
  name: z.string(),
  roles: z.array(z.string()),
  scope: z.string(),
  jti: z.string(),
  exp: z.number(),
  iat: z.number(),
})
export type ExampleClaims = z.output<typeof claimsSchema>

const ISSUER = 'urn:tokengate:example'
const AUDIENCE = 'urn:tokengate:example-api'
const SIGNING_ALG = 'ES256'
const KEY_MANAGEMENT_ALG = 'ECDH-ES+A256KW'
const CONTENT_ENCRYPTION = 'A256GCM'

const credentialsSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
})

/** The answer to a sign-in attempt, ready for any framework to send. */
export type SignInResult =
  | { ok: true; user: User; token: string; expiresIn: number }
  | {
      ok: false
      status: 400 | 401 | 429
      body: { error: string; error_description: string }
      /** `retry-after` (RFC 9110 §10.2.3) with a 429; otherwise empty. */
      headers: Record<string, string>
    }

/** Everything an example app needs from tokengate, built once at start-up. */
export interface ExampleAuth {
  authenticator: Authenticator<ExampleClaims>
  /** The auth cookie's name and the options for `setAuthCookie` / `clearAuthCookie`. */
  cookie: { name: string; options: AuthCookieOptions; clearOptions: ClearAuthCookieOptions }
  /** The JWKS document for `/.well-known/jwks.json`: the public signing key only. */
  jwks: { keys: JWK[] }
  /** True when a key was generated here rather than given. */
  keysGenerated: boolean
  /**
   * Login CSRF defence for `POST /login`: the same Origin / Sec-Fetch-Site rule tokengate applies
   * to cookie-borne tokens. Without it, another site could sign a victim in as the attacker.
   * Returns the 403 response to send, or undefined when the request may proceed.
   */
  checkSignInOrigin(request: RequestLike): AuthErrorResponse | undefined
  /**
   * Checks the credentials from a parsed body (form fields or JSON) and issues a token, within the
   * limits per client address, username and user (a 429 with `retry-after` beyond them).
   */
  signIn(body: unknown, clientAddress: string | undefined): Promise<SignInResult>
  /**
   * Headers for every response: the page's security headers, and HSTS (RFC 6797) when users reach
   * the app over https (the public origin, or the request's own scheme as on Workers).
   */
  securityHeaders(requestUrl: string): Record<string, string>
  /** The body of a JSON sign-in: who signed in, never the token itself. */
  profile(user: User, expiresIn: number): Record<string, unknown>
  /** Revokes the token of an authenticated request until it expires. */
  signOut(ctx: AuthContext<ExampleClaims>): Promise<void>
  /** The response bodies of the three APIs. */
  me(ctx: AuthContext<ExampleClaims>): Record<string, unknown>
  admin(ctx: AuthContext<ExampleClaims>): Record<string, unknown>
  reports(ctx: AuthContext<ExampleClaims>): Record<string, unknown>
}

/** Body of a failed sign-in: one answer for an unknown user and a wrong password alike. */
export const SIGN_IN_FAILED = {
  error: 'invalid_credentials',
  error_description: 'The username or password is incorrect.',
} as const

/**
 * Builds the example's keys, token issuer and authenticator.
 *
 * @example
 * const auth = await createExampleAuth({ insecureDevCookies: true })
 * app.use('/api', tokengate(auth.authenticator))
 */
export async function createExampleAuth(config: ExampleConfig = {}): Promise<ExampleAuth> {
  const keys = config.keys ?? (await loadKeys(config))
  const users = await createUserStore(config.users ?? DEMO_USERS)
  const revocation = config.revocation ?? createRevocationStore()
  const lifetime = config.tokenLifetime ?? 15 * 60
  const secure = config.insecureDevCookies !== true
  const csrf = { allowedOrigins: config.publicOrigin ? [new URL(config.publicOrigin).origin] : [] }
  const limits = { ...DEFAULT_SIGN_IN_LIMITS, ...config.rateLimits }
  const perClient = createRateLimiter(limits.perClient)
  const perUsername = createRateLimiter(limits.perUsername)
  const perUser = createRateLimiter(limits.perUser)
  const httpsOrigin = config.publicOrigin?.startsWith('https:') === true

  // Sign with our key (ES256), then encrypt to our own key: only this app can read the claims,
  // and a token that was merely signed (or merely encrypted) is refused.
  const issuer = createTokenIssuer({
    signingKey: keys.signing.privateKey,
    alg: SIGNING_ALG,
    kid: keys.signing.kid,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: lifetime,
    typ: 'at+jwt',
    encryptTo: {
      key: keys.encryption.publicKey,
      alg: KEY_MANAGEMENT_ALG,
      enc: CONTENT_ENCRYPTION,
      kid: keys.encryption.kid,
    },
  })

  // `__Host-` (RFC 6265bis §4.1.3.2): the browser only accepts the cookie when Secure, Path=/ and
  // without Domain, so no subdomain can plant or overwrite it. It needs Secure, hence the switch.
  const cookieName = secure ? '__Host-tokengate' : 'tokengate'
  const cookieAttributes: ClearAuthCookieOptions = {
    path: '/',
    sameSite: 'lax',
    ...(!secure && { insecure: true }),
  }

  const authenticator = createAuthenticator({
    from: { header: true, cookie: cookieName },
    algorithms: [SIGNING_ALG],
    key: keys.signing.publicKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: 'at+jwt',
    decrypt: {
      keys: keys.encryption.privateKey,
      keyManagementAlgorithms: [KEY_MANAGEMENT_ALG],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
      required: true,
    },
    claims: claimsSchema,
    roles: { claim: 'roles' },
    revocation,
    csrf,
    realm: 'tokengate-example',
  })

  return {
    authenticator,
    cookie: {
      name: cookieName,
      // A JWE's exp cannot be read without the key, so the cookie's Max-Age is given explicitly.
      options: { ...cookieAttributes, maxAge: lifetime },
      clearOptions: cookieAttributes,
    },
    jwks: publicJwks([keys.signing.publicJwk]),
    keysGenerated: keys.generated,

    checkSignInOrigin(request) {
      try {
        checkCsrf(request, { allowedOrigins: new Set(csrf.allowedOrigins) })
        return undefined
      } catch (err) {
        if (isAuthError(err)) return err.withRealm(authenticator.realm).toResponse()
        throw err
      }
    },

    securityHeaders(requestUrl) {
      // max-age of a year, without includeSubDomains: the demo does not own its sibling hosts.
      return httpsOrigin || requestUrl.startsWith('https:')
        ? { ...SECURITY_HEADERS, 'strict-transport-security': 'max-age=31536000' }
        : { ...SECURITY_HEADERS }
    },

    async signIn(body, clientAddress) {
      const parsed = credentialsSchema.safeParse(body)
      if (!parsed.success) {
        return {
          ok: false,
          status: 400,
          body: { error: 'invalid_request', error_description: 'Send a username and a password.' },
          headers: {},
        }
      }
      const { username, password } = parsed.data
      // Checked before PBKDF2 runs: a refused attempt costs no hashing. The username bucket is
      // taken now (concurrent guesses cannot all slip past it) and given back on success.
      const limited =
        refusal(perClient.take(clientKey(clientAddress))) ?? refusal(perUsername.take(username))
      if (limited) return limited
      const user = await users.verify(username, password)
      if (!user) return { ok: false, status: 401, body: SIGN_IN_FAILED, headers: {} }
      perUsername.refund(username)
      const minted = refusal(perUser.take(user.id))
      if (minted) return minted
      // The issuer adds iss, aud, iat, exp and a fresh jti (what logout revokes).
      const token = await issuer.issue({
        sub: user.id,
        name: user.name,
        roles: user.roles,
        scope: user.scope,
      })
      return { ok: true, user, token, expiresIn: lifetime }
    },

    async signOut(ctx) {
      await authenticator.revoke(ctx)
    },

    profile(user, expiresIn) {
      return {
        sub: user.id,
        name: user.name,
        roles: user.roles,
        scopes: user.scope.split(' '),
        expires_in: expiresIn,
      }
    },

    me(ctx) {
      return {
        sub: ctx.payload.sub,
        name: ctx.payload.name,
        roles: ctx.roles,
        scopes: ctx.scopes,
        source: ctx.source,
        signature: ctx.protectedHeader.alg,
        encryption: ctx.encryption
          ? `${ctx.encryption.protectedHeader.alg} / ${ctx.encryption.protectedHeader.enc}`
          : null,
        exp: ctx.payload.exp,
      }
    },
    admin(ctx) {
      return {
        message: `Welcome to the admin area, ${ctx.payload.name}.`,
        users: (config.users ?? DEMO_USERS).map((u) => ({ username: u.username, roles: u.roles })),
      }
    },
    reports() {
      return {
        reports: [
          { id: 'q1', title: 'First quarter', signups: 1204 },
          { id: 'q2', title: 'Second quarter', signups: 1873 },
        ],
      }
    },
  }
}

function refusal(result: RateLimitResult): Extract<SignInResult, { ok: false }> | undefined {
  if (result.ok) return undefined
  return {
    ok: false,
    status: 429,
    body: {
      error: 'too_many_requests',
      error_description: `Too many sign-in attempts. Try again in ${result.retryAfter} s.`,
    },
    headers: { 'retry-after': String(result.retryAfter) },
  }
}
