// Token builders and app setups of the conformance table; keys and constants come from the shared
// fixture model (test/support/fixtures.ts), made at test time.
import { createAuthenticator, createTokenIssuer } from '@tokengate/core'
import type { AuthenticatorOptions } from '@tokengate/core'
import { encryptToken, nestedToken, nowSeconds, signToken } from '@tokengate/testkit'
import type { EncryptOptions, SignOptions, TestKeys } from '@tokengate/testkit'
import type { JWTPayload } from 'jose'
import { z } from 'zod'
import type { AppSpec } from '../support/drivers.js'
import { SESSION_COOKIE } from '../support/drivers.js'
import {
  CONFORMANCE_AUDIENCE,
  CONFORMANCE_ISSUER,
  CONFORMANCE_OTHER_AUDIENCE,
  CONFORMANCE_OTHER_ISSUER,
  testKeys,
} from '../support/fixtures.js'

// The shared fixture model (test/support/fixtures.ts): the table's own issuer (no trailing slash)
// and audience.
export const ISSUER = CONFORMANCE_ISSUER
export const AUDIENCE = CONFORMANCE_AUDIENCE
export const REALM = 'conformance'
/** The `resource` setup's protected resource (RFC 9728) and where its metadata is served (§3.1). */
export const RESOURCE = 'https://api.example.test/mcp'
export const RESOURCE_METADATA = 'https://api.example.test/.well-known/oauth-protected-resource/mcp'
export const TRUSTED_ORIGIN = 'https://app.example.test'
export const COOKIE = SESSION_COOKIE
/** The second, stacked authenticator of the `stacked` setup: another issuer, audience, key and cookie. */
export const OTHER_ISSUER = CONFORMANCE_OTHER_ISSUER
export const OTHER_AUDIENCE = CONFORMANCE_OTHER_AUDIENCE
export const OTHER_COOKIE = 'tg2'

export interface Fixtures {
  sig: TestKeys
  /** Same algorithm and `kid` as `sig`, different key: what a forger holds. */
  forger: TestKeys
  hmac: TestKeys
  enc: TestKeys
  otherEnc: TestKeys
  /** A JWS from `sig` with iss, aud, sub, iat and exp (now + 1 h) unless overridden. */
  token(claims?: JWTPayload, options?: Partial<SignOptions>): Promise<string>
  /** A nested JWT: `token(claims)` encrypted to `enc` (ECDH-ES+A256KW, A256GCM, cty JWT). */
  nested(claims?: JWTPayload, options?: Partial<EncryptOptions>): Promise<string>
  /** An encrypted-only token: the claims straight in the JWE, no inner signature. */
  encryptedClaims(claims?: JWTPayload): Promise<string>
  /** tokengate's own issuer (`createTokenIssuer`): a JWS, and a nested JWE encrypted to `enc`. */
  issued(claims?: JWTPayload): Promise<string>
  issuedNested(claims?: JWTPayload): Promise<string>
}

/** The table's fixtures: the shared keyring (test/support/fixtures.ts) and builders over it. */
export async function makeFixtures(): Promise<Fixtures> {
  const { sig, forger, hmac, enc, otherEnc } = await testKeys()
  const claimsOf = (claims: JWTPayload): JWTPayload => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    ...claims,
  })
  const issuer = {
    signingKey: sig.privateJwk,
    alg: 'ES256',
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: '1h',
  }
  const plain = createTokenIssuer(issuer)
  const encrypted = createTokenIssuer({
    ...issuer,
    encryptTo: { key: enc.publicJwk, alg: 'ECDH-ES+A256KW', enc: 'A256GCM' },
  })
  return {
    issued: (claims = {}) => plain.issue({ sub: 'alice', ...claims }),
    issuedNested: (claims = {}) => encrypted.issue({ sub: 'alice', ...claims }),
    sig,
    forger,
    hmac,
    enc,
    otherEnc,
    token: (claims = {}, options = {}) =>
      signToken(claimsOf(claims), { alg: 'ES256', key: sig, ...options }),
    nested: (claims = {}, options = {}) =>
      nestedToken(
        claimsOf(claims),
        { alg: 'ES256', key: sig },
        { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', key: enc, ...options },
      ),
    encryptedClaims: (claims = {}) =>
      encryptToken(
        { ...claimsOf(claims), iat: nowSeconds(), exp: nowSeconds() + 3600 },
        { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', key: enc },
      ),
  }
}

/** The claims schema of the `zod` setup: its output (only these members) becomes the payload. */
export const claimsSchema = z.object({
  sub: z.string(),
  email: z.email(),
  email_verified: z.boolean().default(false),
})

interface Setup {
  /** JSON-serialisable options (no functions, no schema, no instance): the Workers run takes it too. */
  workers: boolean
  /** `adapterOptions.onError: 'delegate'`: the framework's own error handler renders AuthErrors. */
  delegate: boolean
  options(f: Fixtures): AppSpec['options']
  /** A second tokengate() stacked behind the first (`/stacked`, `/stacked-admin`). */
  second?(f: Fixtures): NonNullable<AppSpec['second']>
  /** The adapter's own options besides onError (issue 15: `property`). */
  adapterOptions?: { property?: string }
}

/** The app configurations the scenarios run against. */
export const SETUPS = {
  /** ES256 from a JWK, issuer, audience, header and cookie sources, CSRF with one trusted origin. */
  jws: { workers: true, delegate: false, options: (f) => base(f) },
  optional: { workers: true, delegate: false, options: (f) => ({ ...base(f), optional: true }) },
  delegate: { workers: true, delegate: true, options: (f) => base(f) },
  optionalDelegate: {
    workers: true,
    delegate: true,
    options: (f) => ({ ...base(f), optional: true }),
  },
  jwe: {
    workers: true,
    delegate: false,
    options: (f) => ({
      ...base(f),
      decrypt: { keys: [f.enc.privateJwk], keyManagementAlgorithms: ['ECDH-ES+A256KW'] },
    }),
  },
  jweRequired: {
    workers: true,
    delegate: false,
    options: (f) => ({
      ...base(f),
      decrypt: {
        keys: [f.enc.privateJwk],
        keyManagementAlgorithms: ['ECDH-ES+A256KW'],
        required: true,
      },
    }),
  },
  zod: { workers: false, delegate: false, options: (f) => ({ ...base(f), claims: claimsSchema }) },
  custom: {
    workers: false,
    delegate: false,
    options: (f) => ({
      ...base(f),
      from: {
        header: false,
        custom: (req) => {
          const value = req.headers.get('x-api-token') ?? undefined
          if (value === 'bug') throw new Error('extractor bug')
          return value
        },
      },
    }),
  },
  revocation: {
    workers: false,
    delegate: false,
    options: (f) => ({
      ...base(f),
      isRevoked: (ctx) => {
        if (ctx.payload.jti === 'bug') throw new Error('revocation store bug')
        return ctx.payload.jti === 'revoked'
      },
    }),
  },
  /** A remote JWKS nobody listens on: keys are unavailable, which is a 503, not a 401. */
  jwksDown: {
    workers: false,
    delegate: false,
    options: (f) => ({
      ...base(f),
      key: { jwksUri: 'http://127.0.0.1:9/jwks.json', timeout: '2s' },
    }),
  },
  /**
   * Two tokengate() on one path (issue 12 item 2): the app's, then an optional one of another issuer,
   * audience and key that reads only the `tg2` cookie. Whatever the first found, the route sees only
   * what the second (the last to run) found.
   */
  stacked: {
    workers: true,
    delegate: false,
    options: (f) => base(f),
    second: (f) => stackedSecond(f),
  },
  stackedDelegate: {
    workers: true,
    delegate: true,
    options: (f) => base(f),
    second: (f) => stackedSecond(f),
  },
  /** An OAuth protected resource (RFC 9728): metadata served, `resource_metadata` in challenges. */
  resource: {
    workers: true,
    delegate: false,
    options: (f) => ({
      ...base(f),
      audience: [AUDIENCE, RESOURCE],
      protectedResource: {
        resource: RESOURCE,
        authorizationServers: [ISSUER],
        scopesSupported: ['reports:read'],
        resourceName: 'conformance',
      },
    }),
  },
  /** The same, its errors rendered by the framework's own error handler. */
  resourceDelegate: {
    workers: true,
    delegate: true,
    options: (f) => ({
      ...base(f),
      audience: [AUDIENCE, RESOURCE],
      protectedResource: { resource: RESOURCE, authorizationServers: [ISSUER] },
    }),
  },
  /** tokengate() given an existing Authenticator instead of options. */
  authenticator: { workers: false, delegate: false, options: (f) => createAuthenticator(base(f)) },

  // ── idioms (issue 15) ─────────────────────────────────────────────────────────────────────────
  /** CORS preflights authenticated like any request. */
  noPreflight: {
    workers: true,
    delegate: false,
    options: (f) => ({ ...base(f), preflight: false }),
  },
  /** GET /protected is not authenticated (express-jwt's `.unless()`); POST /protected still is. */
  skip: {
    workers: true,
    delegate: false,
    options: (f) => ({ ...base(f), skip: { path: ['/protected'], method: ['GET'] } }),
  },
  /** The same with a function of the request. */
  skipFunction: {
    workers: false,
    delegate: false,
    options: (f) => ({ ...base(f), skip: (req) => req.headers.get('x-skip') === 'yes' }),
  },
  /** A refused token leaves the request anonymous (koa-jwt's passthrough); the code is `authError`. */
  passthrough: {
    workers: true,
    delegate: false,
    options: (f) => ({ ...base(f), passthrough: true }),
  },
  passthroughDelegate: {
    workers: true,
    delegate: true,
    options: (f) => ({ ...base(f), passthrough: true }),
  },
  /** The context lives at `req.user`, `ctx.state.user`, `c.get('user')` (koa-jwt's default). */
  property: {
    workers: true,
    delegate: false,
    options: (f) => base(f),
    adapterOptions: { property: 'user' },
  },
  /**
   * Tenants not known at start-up: `issuers` as a function of the unverified iss. ISSUER and
   * OTHER_ISSUER are tenants (OTHER_ISSUER with the forger's key and its own audience); BROKEN_TENANT's
   * lookup throws, SLOW_TENANT's never answers; any other iss is unknown.
   */
  tenants: {
    workers: false,
    delegate: false,
    options: (f) => {
      const {
        key: _key,
        algorithms: _algorithms,
        issuer: _issuer,
        ...common
      } = base(f) as {
        key: unknown
        algorithms: unknown
        issuer: unknown
      } & Record<string, unknown>
      return {
        ...common,
        issuers: (iss: string) => {
          if (iss === ISSUER) return { issuer: ISSUER, key: f.sig.publicJwk, algorithms: ['ES256'] }
          if (iss === OTHER_ISSUER)
            return {
              issuer: OTHER_ISSUER,
              key: f.forger.publicJwk,
              algorithms: ['ES256'],
              audience: OTHER_AUDIENCE,
            }
          if (iss === BROKEN_TENANT) throw new Error('tenant database down')
          return undefined
        },
      } as AuthenticatorOptions
    },
  },
} as const satisfies Record<string, Setup>

/** A tenant whose lookup throws (the `tenants` setup): 503, never 500. */
export const BROKEN_TENANT = 'https://broken.tenant.example.test'

/** The AppSpec a driver starts for a setup. */
export function specOf(setup: SetupName, f: Fixtures): AppSpec {
  const entry: Setup = SETUPS[setup]
  return {
    options: entry.options(f),
    ...((entry.delegate || entry.adapterOptions) && {
      adapterOptions: {
        ...(entry.delegate && { onError: 'delegate' as const }),
        ...entry.adapterOptions,
      },
    }),
    ...(entry.second && { second: entry.second(f) }),
  }
}

export type SetupName = keyof typeof SETUPS

function stackedSecond(f: Fixtures): AuthenticatorOptions {
  return {
    algorithms: ['ES256'],
    key: f.forger.publicJwk,
    issuer: OTHER_ISSUER,
    audience: OTHER_AUDIENCE,
    optional: true,
    from: { header: false, cookie: OTHER_COOKIE },
    csrf: { allowedOrigins: [TRUSTED_ORIGIN] },
    realm: REALM,
  }
}

function base(f: Fixtures): AuthenticatorOptions {
  return {
    algorithms: ['ES256'],
    key: f.sig.publicJwk,
    issuer: ISSUER,
    audience: AUDIENCE,
    from: { header: true, cookie: COOKIE },
    csrf: { allowedOrigins: [TRUSTED_ORIGIN] },
    realm: REALM,
  }
}
