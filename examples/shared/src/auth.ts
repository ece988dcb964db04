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
import { loadKeys } from './keys.js'
import { createRevocationStore } from './revocation.js'
import { createUserStore, DEMO_USERS, type DemoUser, type User } from './users.js'

/** What `createApp(config)` of every example takes; everything has a working default. */
export interface ExampleConfig {
  /** Private ES256 JWK that signs tokens. Generated at start-up when absent. */
  signingJwk?: JWK
  /** Private P-256 JWK that tokens are encrypted to (ECDH-ES+A256KW). Generated when absent. */
  encryptionJwk?: JWK
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
  | { ok: false; status: 400 | 401; body: { error: string; error_description: string } }

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
  /** Checks the credentials from a parsed body (form fields or JSON) and issues a token. */
  signIn(body: unknown): Promise<SignInResult>
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
  const keys = await loadKeys(config)
  const users = await createUserStore(config.users ?? DEMO_USERS)
  const revocation = config.revocation ?? createRevocationStore()
  const lifetime = config.tokenLifetime ?? 15 * 60
  const secure = config.insecureDevCookies !== true
  const csrf = { allowedOrigins: config.publicOrigin ? [new URL(config.publicOrigin).origin] : [] }

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

    async signIn(body) {
      const parsed = credentialsSchema.safeParse(body)
      if (!parsed.success) {
        return {
          ok: false,
          status: 400,
          body: { error: 'invalid_request', error_description: 'Send a username and a password.' },
        }
      }
      const user = await users.verify(parsed.data.username, parsed.data.password)
      if (!user) return { ok: false, status: 401, body: SIGN_IN_FAILED }
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
