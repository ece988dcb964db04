// The one table: every scenario names its rule or attack, builds its request, and states the answer.
import type { AuthErrorCode, TokenSource } from '@tokengate/core'
import type { JWTPayload } from 'jose'
import type { DriverRequest } from '../support/drivers.js'
import { ORIGIN } from '../support/drivers.js'
import { nestedToken, rawToken, tamper } from '@tokengate/testkit'
import {
  AUDIENCE,
  BROKEN_TENANT,
  COOKIE,
  ISSUER,
  OTHER_AUDIENCE,
  OTHER_COOKIE,
  OTHER_ISSUER,
  RESOURCE,
  RESOURCE_METADATA,
  TRUSTED_ORIGIN,
} from './fixtures.js'
import type { Fixtures, SetupName } from './fixtures.js'

export type Expectation =
  | {
      status: 200
      /** Exact body (the public route and the cookie helpers). */
      body?: unknown
      /** Members the exposed payload must have (a subset). */
      claims?: Record<string, unknown>
      /** The exposed payload exactly (zod output). */
      payload?: Record<string, unknown> | null
      source?: TokenSource | null
      encrypted?: boolean
      roles?: string[]
      scopes?: string[]
      /** Each Set-Cookie line, in order, must match. */
      setCookie?: RegExp[]
      /** With passthrough: the code of the refusal the route sees (`authError`), or null. */
      authError?: string | null
    }
  | {
      status: number
      code: AuthErrorCode
      /** `bare`: `Bearer realm="…"` only (RFC 6750 §3.1); `error` (default): with error attributes. */
      challenge?: 'bare' | 'error' | 'none'
      /** The `scope` attribute of the challenge (RFC 6750 §3). */
      scope?: string
      /** The `resource_metadata` attribute every challenge carries (RFC 9728 §5.1). */
      resourceMetadata?: string
      /** The step-up attributes ending the challenge (RFC 9470 §3): `acr_values="…", max_age="…"`. */
      stepUp?: string
    }
  /** A bug outside tokengate (not an AuthError): the framework's own 500, nothing of ours rendered. */
  | { status: 500; unhandled: true }

export interface Scenario {
  name: string
  setup: SetupName
  request(f: Fixtures): Promise<DriverRequest> | DriverRequest
  expect: Expectation
}

const bearer = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...extra,
})
const cookie = (token: string): string => `${COOKIE}=${token}`
const past = (seconds: number): number => Math.floor(Date.now() / 1000) - seconds
const future = (seconds: number): number => Math.floor(Date.now() / 1000) + seconds
const claims = (extra: JWTPayload = {}): Record<string, unknown> => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'alice',
  ...extra,
})
const ok = { status: 200 } as const
/** The `resource` setup's metadata document (RFC 9728 §2), member for member. */
const RESOURCE_DOCUMENT = {
  resource: RESOURCE,
  authorization_servers: [ISSUER],
  scopes_supported: ['reports:read'],
  bearer_methods_supported: ['header'],
  resource_name: 'conformance',
}
const preflight = { origin: TRUSTED_ORIGIN, 'access-control-request-method': 'PUT' }
const invalidToken = (code: AuthErrorCode) => ({ status: 401, code, challenge: 'error' }) as const

export const scenarios: Scenario[] = [
  // ── sources (RFC 6750 §2) ───────────────────────────────────────────────────────────────────
  {
    name: 'header: Authorization Bearer token is accepted and its claims exposed (RFC 6750 §2.1)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ roles: ['viewer'] })),
    }),
    expect: {
      ...ok,
      source: 'header',
      claims: claims(),
      roles: ['viewer'],
      scopes: [],
      encrypted: false,
    },
  },
  {
    name: 'header: the scheme is case-insensitive, "bearer" works (RFC 6750 §2.1, RFC 9110 §11.1)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { authorization: `bearer ${await f.token()}` },
    }),
    expect: { ...ok, source: 'header', claims: claims() },
  },
  {
    name: 'header: several spaces after the scheme (RFC 6750 §2.1: 1*SP)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { authorization: `Bearer   ${await f.token()}` },
    }),
    expect: { ...ok, source: 'header' },
  },
  {
    name: 'cookie: token in the configured cookie on GET',
    setup: 'jws',
    request: async (f) => ({ path: '/protected', headers: { cookie: cookie(await f.token()) } }),
    expect: { ...ok, source: 'cookie', claims: claims() },
  },
  {
    name: 'cookie: the token cookie among other cookies',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { cookie: `theme=dark; ${cookie(await f.token())}; lang=en` },
    }),
    expect: { ...ok, source: 'cookie' },
  },
  {
    name: 'custom: a custom extractor is a third source',
    setup: 'custom',
    request: async (f) => ({ path: '/protected', headers: { 'x-api-token': await f.token() } }),
    expect: { ...ok, source: 'custom', claims: claims() },
  },
  {
    name: 'tokengate() accepts an existing Authenticator instead of options',
    setup: 'authenticator',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token()) }),
    expect: { ...ok, source: 'header', claims: claims() },
  },
  {
    name: 'public route: no tokengate, no token needed',
    setup: 'jws',
    request: () => ({ path: '/public' }),
    expect: { ...ok, body: { public: true } },
  },

  // ── no token (RFC 6750 §3.1: no error attribute) ─────────────────────────────────────────────
  {
    name: 'no token: 401 with a bare Bearer realm challenge and no error attribute (RFC 6750 §3.1)',
    setup: 'jws',
    request: () => ({ path: '/protected' }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'Basic credentials are not a bearer token: token_missing (RFC 6750 §3.1)',
    setup: 'jws',
    request: () => ({ path: '/protected', headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'a cookie of another name carries no token: token_missing',
    setup: 'jws',
    request: async (f) => ({ path: '/protected', headers: { cookie: `other=${await f.token()}` } }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },

  // ── malformed requests (RFC 6750 §3.1 invalid_request, 400) ──────────────────────────────────
  {
    name: 'Bearer scheme with no token: invalid_request 400 (RFC 6750 §2.1)',
    setup: 'jws',
    request: () => ({ path: '/protected', headers: { authorization: 'Bearer' } }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  },
  {
    name: 'Bearer value that is not a b64token (inner space): invalid_request 400 (RFC 6750 §2.1)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { authorization: `Bearer ${await f.token()} x` },
    }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  },
  {
    name: 'token in both header and cookie: multiple_tokens 400 (RFC 6750 §2: one method only)',
    setup: 'jws',
    request: async (f) => {
      const token = await f.token()
      return { path: '/protected', headers: { ...bearer(token), cookie: cookie(token) } }
    },
    expect: { status: 400, code: 'multiple_tokens', challenge: 'error' },
  },
  {
    name: 'repeated Authorization header lines: refused, not the first silently used (400)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: {
        authorization: [`Bearer ${await f.token()}`, `Bearer ${await f.token({ sub: 'mallory' })}`],
      },
    }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  },
  {
    name: 'the token cookie twice (a parent-domain cookie could shadow ours): refused 400',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: {
        cookie: `${cookie(await f.token())}; ${cookie(await f.token({ sub: 'mallory' }))}`,
      },
    }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  },

  // ── token problems (RFC 6750 §3.1 invalid_token, 401) ─────────────────────────────────────────
  {
    name: 'expired: exp one hour ago (RFC 7519 §4.1.4)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { exp: past(3600) })),
    }),
    expect: invalidToken('token_expired'),
  },
  {
    name: 'not yet valid: nbf in one hour (RFC 7519 §4.1.5)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ nbf: future(3600) })),
    }),
    expect: invalidToken('token_not_yet_valid'),
  },
  {
    name: 'tampered payload: signature_invalid (RFC 7515 §5.2)',
    setup: 'jws',
    request: async (f) => ({ path: '/protected', headers: bearer(tamper(await f.token(), 2)) }),
    expect: invalidToken('signature_invalid'),
  },
  {
    name: 'signed by a forger key with the right kid: signature_invalid',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { key: f.forger })),
    }),
    expect: invalidToken('signature_invalid'),
  },
  {
    name: 'wrong audience (RFC 7519 §4.1.3)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ aud: 'api://other' })),
    }),
    expect: invalidToken('claim_invalid'),
  },
  {
    name: 'wrong issuer (RFC 7519 §4.1.1)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ iss: 'https://evil.example.test' })),
    }),
    expect: invalidToken('claim_invalid'),
  },
  {
    name: 'exp absent: required by default (RFC 9068 §2.2)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { exp: false })),
    }),
    expect: invalidToken('claim_invalid'),
  },
  {
    name: 'alg "none" is refused (RFC 8725 §3.1)',
    setup: 'jws',
    request: () => ({
      path: '/protected',
      headers: bearer(
        rawToken({ alg: 'none' }, { ...claims(), exp: future(3600) }, 'c2lnbmF0dXJl'),
      ),
    }),
    expect: invalidToken('alg_not_allowed'),
  },
  {
    name: 'alg "none" with the empty signature of RFC 7519 §6.1: not a valid compact JWS here',
    setup: 'jws',
    request: () => ({
      path: '/protected',
      headers: bearer(rawToken({ alg: 'none' }, { ...claims(), exp: future(3600) })),
    }),
    expect: invalidToken('token_malformed'),
  },
  {
    name: 'HS256 where only ES256 is allowed: alg_not_allowed (RFC 8725 §3.1)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { alg: 'HS256', key: f.hmac })),
    }),
    expect: invalidToken('alg_not_allowed'),
  },
  {
    name: 'two segments is not a compact JWS: token_malformed (RFC 7515 §7.1)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer((await f.token()).split('.').slice(0, 2).join('.')),
    }),
    expect: invalidToken('token_malformed'),
  },
  {
    name: 'base64 padding in a segment: one token, one spelling (RFC 7515 §2 base64url without padding)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(tamper(await f.token(), 2, (s) => `${s}==`)),
    }),
    expect: invalidToken('token_malformed'),
  },
  {
    name: 'token longer than maxTokenLength (8192): token_too_large 401',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ pad: 'x'.repeat(9000) })),
    }),
    expect: invalidToken('token_too_large'),
  },
  {
    name: 'revoked (isRevoked says so): token_revoked',
    setup: 'revocation',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ jti: 'revoked' })),
    }),
    expect: invalidToken('token_revoked'),
  },
  {
    name: 'isRevoked passes a live token',
    setup: 'revocation',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token({ jti: 'live' })) }),
    expect: { ...ok, claims: { jti: 'live' } },
  },
  {
    name: 'isRevoked throws: fails closed, 503 revocation_unavailable with Retry-After',
    setup: 'revocation',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token({ jti: 'bug' })) }),
    expect: { status: 503, code: 'revocation_unavailable', challenge: 'none' },
  },
  {
    name: 'a custom extractor throws (a bug, not an AuthError): the framework answers 500, nothing leaks',
    setup: 'custom',
    request: () => ({ path: '/protected', headers: { 'x-api-token': 'bug' } }),
    expect: { status: 500, unhandled: true },
  },
  {
    name: 'remote JWKS unreachable: keys_unavailable 503 with Retry-After, not 401',
    setup: 'jwksDown',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token()) }),
    expect: { status: 503, code: 'keys_unavailable', challenge: 'none' },
  },

  // ── CSRF for cookie-borne tokens on unsafe methods ───────────────────────────────────────────
  {
    name: 'csrf: cookie token on POST from a cross-site Origin: csrf_rejected 403',
    setup: 'jws',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()), origin: 'https://evil.example.test' },
    }),
    expect: { status: 403, code: 'csrf_rejected', challenge: 'error' },
  },
  {
    name: 'csrf: cookie token on POST with Sec-Fetch-Site cross-site: csrf_rejected 403',
    setup: 'jws',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()), 'sec-fetch-site': 'cross-site' },
    }),
    expect: { status: 403, code: 'csrf_rejected', challenge: 'error' },
  },
  {
    name: 'csrf: cookie token on POST with no Origin, Referer or Sec-Fetch-Site: refused 403',
    setup: 'jws',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()) },
    }),
    expect: { status: 403, code: 'csrf_rejected', challenge: 'error' },
  },
  {
    name: 'csrf: cookie token on POST from the same Origin passes',
    setup: 'jws',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()), origin: ORIGIN },
    }),
    expect: { ...ok, source: 'cookie' },
  },
  {
    name: 'csrf: cookie token on POST with Sec-Fetch-Site same-origin passes',
    setup: 'jws',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()), 'sec-fetch-site': 'same-origin' },
    }),
    expect: { ...ok, source: 'cookie' },
  },
  {
    name: 'csrf: cookie token on POST with a same-origin Referer and no Origin passes',
    setup: 'jws',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()), referer: `${ORIGIN}/form` },
    }),
    expect: { ...ok, source: 'cookie' },
  },
  {
    name: 'csrf: cookie token on POST from an allowedOrigins entry passes',
    setup: 'jws',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()), origin: TRUSTED_ORIGIN },
    }),
    expect: { ...ok, source: 'cookie' },
  },
  {
    name: 'csrf: a header-borne token on a cross-site POST is not affected',
    setup: 'jws',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: bearer(await f.token(), { origin: 'https://evil.example.test' }),
    }),
    expect: { ...ok, source: 'header' },
  },

  // ── guards ──────────────────────────────────────────────────────────────────────────────────
  {
    name: "requireRoles('admin'): an admin passes",
    setup: 'jws',
    request: async (f) => ({
      path: '/admin',
      headers: bearer(await f.token({ roles: ['admin'] })),
    }),
    expect: { ...ok, roles: ['admin'] },
  },
  {
    name: "requireRoles('admin'): a viewer gets 403 insufficient_role, no scope attribute",
    setup: 'jws',
    request: async (f) => ({
      path: '/admin',
      headers: bearer(await f.token({ roles: ['viewer'] })),
    }),
    expect: { status: 403, code: 'insufficient_role', challenge: 'error' },
  },
  {
    name: "requireRoles(['admin','editor'], { mode: 'any' }): an editor passes",
    setup: 'jws',
    request: async (f) => ({
      path: '/any-role',
      headers: bearer(await f.token({ roles: ['editor'] })),
    }),
    expect: { ...ok, roles: ['editor'] },
  },
  {
    name: "requireRoles(['admin','editor'], { mode: 'any' }): a viewer gets 403",
    setup: 'jws',
    request: async (f) => ({
      path: '/any-role',
      headers: bearer(await f.token({ roles: ['viewer'] })),
    }),
    expect: { status: 403, code: 'insufficient_role', challenge: 'error' },
  },
  {
    name: "requireScopes('reports:read'): space-delimited scope passes (RFC 9068 §2.2.3)",
    setup: 'jws',
    request: async (f) => ({
      path: '/reports',
      headers: bearer(await f.token({ scope: 'openid reports:read' })),
    }),
    expect: { ...ok, scopes: ['openid', 'reports:read'] },
  },
  {
    name: "requireScopes('reports:read'): scp array passes",
    setup: 'jws',
    request: async (f) => ({
      path: '/reports',
      headers: bearer(await f.token({ scp: ['reports:read'] })),
    }),
    expect: { ...ok, scopes: ['reports:read'] },
  },
  {
    name: 'requireScopes: short of the scope, 403 insufficient_scope with scope="reports:read" (RFC 6750 §3.1)',
    setup: 'jws',
    request: async (f) => ({
      path: '/reports',
      headers: bearer(await f.token({ scope: 'openid' })),
    }),
    expect: { status: 403, code: 'insufficient_scope', challenge: 'error', scope: 'reports:read' },
  },
  {
    name: 'requireClaims(email_verified): a verified user passes',
    setup: 'jws',
    request: async (f) => ({
      path: '/verified',
      headers: bearer(await f.token({ email_verified: true })),
    }),
    expect: { ...ok, claims: { email_verified: true } },
  },
  {
    name: 'requireClaims(email_verified): an unverified user gets 403',
    setup: 'jws',
    request: async (f) => ({
      path: '/verified',
      headers: bearer(await f.token({ email_verified: false })),
    }),
    expect: { status: 403, code: 'insufficient_role', challenge: 'error' },
  },
  {
    name: 'guard with no auth context (optional mode, no token): 401 token_missing, realm kept',
    setup: 'optional',
    request: () => ({ path: '/admin' }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },

  // ── optional mode ───────────────────────────────────────────────────────────────────────────
  {
    name: 'optional: no token reaches the route with no context',
    setup: 'optional',
    request: () => ({ path: '/protected' }),
    expect: { ...ok, payload: null, source: null, roles: [], scopes: [], encrypted: false },
  },
  {
    name: 'optional: a valid token is still authenticated',
    setup: 'optional',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token()) }),
    expect: { ...ok, source: 'header', claims: claims() },
  },
  {
    name: 'optional: a bad token is still refused (401)',
    setup: 'optional',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { exp: past(3600) })),
    }),
    expect: invalidToken('token_expired'),
  },

  // ── zod claims ──────────────────────────────────────────────────────────────────────────────
  {
    name: "zod: the schema's output is the exposed payload (unknown members stripped, defaults set)",
    setup: 'zod',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ email: 'alice@example.test' })),
    }),
    expect: {
      ...ok,
      payload: { sub: 'alice', email: 'alice@example.test', email_verified: false },
    },
  },
  {
    name: 'zod: claims failing the schema are invalid_token',
    setup: 'zod',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ email: 'not-an-email' })),
    }),
    expect: invalidToken('claim_invalid'),
  },

  // ── JWE (RFC 7516) and nested tokens (RFC 7519 §5.2) ─────────────────────────────────────────
  {
    name: 'nested JWE (cty JWT): decrypted, inner JWS verified, claims exposed (RFC 7519 §5.2)',
    setup: 'jwe',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.nested({ roles: ['admin'] })),
    }),
    expect: { ...ok, encrypted: true, claims: claims(), roles: ['admin'] },
  },
  {
    name: 'a JWS from createTokenIssuer is accepted (issuer and verifier agree)',
    setup: 'jwe',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.issued({ roles: ['editor'] })),
    }),
    expect: { ...ok, encrypted: false, claims: claims(), roles: ['editor'] },
  },
  {
    name: 'a nested JWE from createTokenIssuer (encryptTo) is accepted (RFC 7519 §5.2)',
    setup: 'jwe',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.issuedNested()) }),
    expect: { ...ok, encrypted: true, claims: claims() },
  },
  {
    name: 'nested JWE labelled cty "at+jwt": cty is not relied on',
    setup: 'jwe',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.nested({}, { cty: 'at+jwt' })),
    }),
    expect: { ...ok, encrypted: true, claims: claims() },
  },
  {
    name: 'nested JWE in the cookie, and through a guard',
    setup: 'jwe',
    request: async (f) => ({
      path: '/admin',
      headers: { cookie: cookie(await f.nested({ roles: ['admin'] })) },
    }),
    expect: { ...ok, encrypted: true, source: 'cookie' },
  },
  {
    name: 'a plain JWS is still accepted when encryption is not required',
    setup: 'jwe',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token()) }),
    expect: { ...ok, encrypted: false },
  },
  {
    name: 'JWE encrypted to another key: decryption_failed',
    setup: 'jwe',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.nested({}, { key: f.otherEnc })),
    }),
    expect: invalidToken('decryption_failed'),
  },
  {
    name: 'JWE whose inner JWS is forged: signature_invalid',
    setup: 'jwe',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await forgedNested(f)),
    }),
    expect: invalidToken('signature_invalid'),
  },
  {
    name: 'JWE with bare JSON claims (no inner signature): signature_required',
    setup: 'jwe',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.encryptedClaims()) }),
    expect: invalidToken('signature_required'),
  },
  {
    name: 'encryption required: a plain JWS is refused, encryption_required',
    setup: 'jweRequired',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token()) }),
    expect: invalidToken('encryption_required'),
  },
  {
    name: 'encryption required: a nested JWE passes',
    setup: 'jweRequired',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.nested()) }),
    expect: { ...ok, encrypted: true },
  },

  // ── cookie helpers ──────────────────────────────────────────────────────────────────────────
  {
    name: 'setAuthCookie appends (HttpOnly, Secure, SameSite=Lax, Max-Age) after the app’s own cookie',
    setup: 'jws',
    request: () => ({ method: 'POST', path: '/session', body: 'header.payload.signature' }),
    expect: {
      ...ok,
      body: { ok: true },
      setCookie: [
        /^other=1; Path=\/$/,
        /^tg=header\.payload\.signature;(?=.*; HttpOnly)(?=.*; Secure)(?=.*; SameSite=Lax)(?=.*Max-Age=3600)/i,
      ],
    },
  },
  {
    name: 'clearAuthCookie appends an expiring cookie after the app’s own cookie',
    setup: 'jws',
    request: () => ({ method: 'POST', path: '/logout' }),
    expect: {
      ...ok,
      body: { ok: true },
      setCookie: [/^other=;/, /^tg=;(?=.*(Max-Age=0|Expires=Thu, 01 Jan 1970))/i],
    },
  },

  // ── onError: 'delegate' (the framework's own error handler renders, byte-identical) ─────────────
  {
    name: 'delegate: no token is rendered by the app error handler, same 401 and bare challenge',
    setup: 'delegate',
    request: () => ({ path: '/protected' }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'delegate: expired token, same 401 invalid_token',
    setup: 'delegate',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { exp: past(3600) })),
    }),
    expect: invalidToken('token_expired'),
  },
  {
    name: 'delegate: multiple tokens, same 400 invalid_request',
    setup: 'delegate',
    request: async (f) => {
      const token = await f.token()
      return { path: '/protected', headers: { ...bearer(token), cookie: cookie(token) } }
    },
    expect: { status: 400, code: 'multiple_tokens', challenge: 'error' },
  },
  {
    name: 'delegate: cross-site cookie POST, same 403 csrf_rejected',
    setup: 'delegate',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()), origin: 'https://evil.example.test' },
    }),
    expect: { status: 403, code: 'csrf_rejected', challenge: 'error' },
  },
  {
    name: 'delegate: a guard failure goes the same way, 403 insufficient_scope with scope',
    setup: 'delegate',
    request: async (f) => ({ path: '/reports', headers: bearer(await f.token()) }),
    expect: { status: 403, code: 'insufficient_scope', challenge: 'error', scope: 'reports:read' },
  },
  {
    name: 'delegate: role guard failure, 403 insufficient_role',
    setup: 'delegate',
    request: async (f) => ({ path: '/admin', headers: bearer(await f.token()) }),
    expect: { status: 403, code: 'insufficient_role', challenge: 'error' },
  },
  {
    name: 'delegate: a valid token is untouched',
    setup: 'delegate',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token()) }),
    expect: { ...ok, source: 'header', claims: claims() },
  },
  {
    name: 'delegate + optional: a guard with no context delegates 401 token_missing',
    setup: 'optionalDelegate',
    request: () => ({ path: '/admin' }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },

  // Round 2/3 hardening: adapters and request reading (issues 12 and 21).
  // Stacked middleware (issue 12 item 2): the route sees exactly what the last tokengate() found.
  {
    name: 'stacked: a later optional tokengate() that finds no token leaves no context (not the first one)',
    setup: 'stacked',
    request: async (f) => ({
      path: '/stacked',
      headers: bearer(await f.token({ roles: ['admin'] })),
    }),
    expect: { ...ok, payload: null, source: null, roles: [] },
  },
  {
    name: "stacked: a guard behind them gets 401 token_missing, not the first issuer's admin",
    setup: 'stacked',
    request: async (f) => ({
      path: '/stacked-admin',
      headers: bearer(await f.token({ roles: ['admin'] })),
    }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'stacked: when the later one finds its token, its context replaces the first',
    setup: 'stacked',
    request: async (f) => ({
      path: '/stacked',
      headers: bearer(await f.token({ roles: ['admin'] }), {
        cookie: `${OTHER_COOKIE}=${await f.token(
          { iss: OTHER_ISSUER, aud: OTHER_AUDIENCE, sub: 'bob' },
          { key: f.forger },
        )}`,
      }),
    }),
    expect: {
      ...ok,
      source: 'cookie',
      roles: [],
      claims: { iss: OTHER_ISSUER, aud: OTHER_AUDIENCE, sub: 'bob' },
    },
  },
  {
    name: 'stacked: the later one refuses a token of the first issuer, whatever the first found',
    setup: 'stacked',
    request: async (f) => ({
      path: '/stacked',
      headers: bearer(await f.token({ roles: ['admin'] }), {
        cookie: `${OTHER_COOKIE}=${await f.token({ roles: ['admin'] })}`,
      }),
    }),
    expect: invalidToken('signature_invalid'),
  },
  {
    name: 'stacked, delegated: the guard behind them delegates 401 token_missing',
    setup: 'stackedDelegate',
    request: async (f) => ({
      path: '/stacked-admin',
      headers: bearer(await f.token({ roles: ['admin'] })),
    }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'stacked, delegated: no token for the later one, no context',
    setup: 'stackedDelegate',
    request: async (f) => ({
      path: '/stacked',
      headers: bearer(await f.token({ roles: ['admin'] })),
    }),
    expect: { ...ok, payload: null, source: null },
  },
  // Several credentials in one Authorization value, as a Fetch Headers joins repeated lines with ", "
  // (RFC 9110 §5.3): the repeated-Authorization rule, 400, whatever the spelling of the scheme.
  ...(
    [
      ['Basic, then Bearer', (t: string) => `Basic YWxpY2U6c2VjcmV0, Bearer ${t}`],
      ['Basic, then Bearer and a tab', (t: string) => `Basic YWxpY2U6c2VjcmV0, Bearer\t${t}`],
      [
        'Basic, then "bEaReR" with no space after the comma',
        (t: string) => `Basic YWxpY2U6c2VjcmV0,bEaReR ${t}`,
      ],
      ['Basic, then "BEARER" and a tab', (t: string) => `Basic YWxpY2U6c2VjcmV0, BEARER\t${t}`],
      ['two Bearer credentials', (t: string) => `Bearer ${t}, Bearer ${t}`],
      ['"bearer" twice, lower case', (t: string) => `bearer ${t}, bearer ${t}`],
      ['Bearer, then Basic', (t: string) => `Bearer ${t}, Basic YWxpY2U6c2VjcmV0`],
    ] as const
  ).map(([what, value]): Scenario => ({
    name: `joined Authorization (${what}): 400 invalid_request (RFC 6750 §2, RFC 9110 §5.3)`,
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { authorization: value(await f.token()) },
    }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  })),
  {
    name: 'Basic and Bearer as two Authorization lines: 400 invalid_request (RFC 9110 §5.3)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { authorization: ['Basic YWxpY2U6c2VjcmV0', `Bearer\t${await f.token()}`] },
    }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  },
  // Cookie pairs split on ";" only (RFC 6265 §4.2.1, §5.4; issue 21 item 9): a "," is part of a value.
  {
    name: "a sibling subdomain's cookie `pref=a,tg=x` after ours does not deny the session (RFC 6265 §5.4)",
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { cookie: `${cookie(await f.token())}; pref=a,${COOKIE}=x` },
    }),
    expect: { ...ok, source: 'cookie', claims: claims() },
  },
  {
    name: "a sibling subdomain's cookie `pref=a,tg=x` before ours does not deny the session",
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { cookie: `pref=a,${COOKIE}=x; ${cookie(await f.token())}` },
    }),
    expect: { ...ok, source: 'cookie', claims: claims() },
  },
  {
    name: 'a cookie value `a, tg=x` (with a space) is one cookie too',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { cookie: `pref=a, ${COOKIE}=x;${cookie(await f.token())}` },
    }),
    expect: { ...ok, source: 'cookie', claims: claims() },
  },
  {
    name: 'the auth cookie repeated in one Cookie header is still 400 (RFC 6265 §5.4)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: {
        cookie: `${cookie(await f.token())}; other=1; ${cookie(await f.token({ sub: 'bob' }))}`,
      },
    }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  },
  {
    name: 'the auth cookie in two Cookie lines is still 400, however the runtime joins them (RFC 9113 §8.2.3)',
    setup: 'jws',
    request: async (f) => ({
      path: '/protected',
      headers: { cookie: [cookie(await f.token()), cookie(await f.token({ sub: 'bob' }))] },
    }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  },
  // ── protected resource metadata (RFC 9728) and step-up (RFC 9470) ──────────────────────────────
  {
    name: 'RFC 9728 §3.1: the metadata is served at the well-known path with the resource path appended',
    setup: 'resource',
    request: () => ({ path: '/.well-known/oauth-protected-resource/mcp' }),
    expect: { ...ok, body: RESOURCE_DOCUMENT },
  },
  {
    name: 'RFC 9728 §3.1: and at the bare well-known path, which clients try next',
    setup: 'resource',
    request: () => ({ path: '/.well-known/oauth-protected-resource' }),
    expect: { ...ok, body: RESOURCE_DOCUMENT },
  },
  {
    name: 'RFC 9728 §3: the metadata is public: a bad token beside it changes nothing',
    setup: 'resource',
    request: () => ({
      path: '/.well-known/oauth-protected-resource/mcp?x=1',
      headers: bearer('not.a.token'),
    }),
    expect: { ...ok, body: RESOURCE_DOCUMENT },
  },
  {
    name: 'RFC 9728 §3.1: a POST to the metadata path is not the metadata request, and needs a token',
    setup: 'resource',
    request: () => ({ method: 'POST', path: '/.well-known/oauth-protected-resource/mcp' }),
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: 'bare',
      resourceMetadata: RESOURCE_METADATA,
    },
  },
  {
    name: 'without protectedResource nothing is served at the well-known path (401 like any other)',
    setup: 'jws',
    request: () => ({ path: '/.well-known/oauth-protected-resource' }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'RFC 9728 §5.1: the 401 without a token names the metadata in its challenge',
    setup: 'resource',
    request: () => ({ path: '/protected' }),
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: 'bare',
      resourceMetadata: RESOURCE_METADATA,
    },
  },
  {
    name: 'RFC 9728 §5.1: an invalid token gets the metadata too',
    setup: 'resource',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(tamper(await f.token({ aud: RESOURCE }), 2)),
    }),
    expect: { ...invalidToken('signature_invalid'), resourceMetadata: RESOURCE_METADATA },
  },
  {
    name: 'RFC 9728 §5.1: with the framework rendering the error, the challenge is the same',
    setup: 'resourceDelegate',
    request: () => ({ path: '/protected' }),
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: 'bare',
      resourceMetadata: RESOURCE_METADATA,
    },
  },
  {
    name: 'RFC 8707 §2: a token for the resource (aud = the resource identifier) is accepted',
    setup: 'resource',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ aud: RESOURCE })),
    }),
    expect: { ...ok, claims: { aud: RESOURCE } },
  },
  {
    name: 'RFC 9728 §7.3: a token for another resource is refused, with the metadata',
    setup: 'resource',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ aud: 'https://api.example.test/other' })),
    }),
    expect: { ...invalidToken('claim_invalid'), resourceMetadata: RESOURCE_METADATA },
  },
  {
    name: 'RFC 6750 §3.1 + RFC 9728 §5.1: insufficient_scope from a guard carries scope and the metadata',
    setup: 'resource',
    request: async (f) => ({ path: '/reports', headers: bearer(await f.token({ aud: RESOURCE })) }),
    expect: {
      status: 403,
      code: 'insufficient_scope',
      scope: 'reports:read',
      resourceMetadata: RESOURCE_METADATA,
    },
  },
  {
    name: 'RFC 9470 §3: a token without acr is asked to step up (401 with acr_values and max_age)',
    setup: 'jws',
    request: async (f) => ({ path: '/step-up', headers: bearer(await f.token()) }),
    expect: {
      status: 401,
      code: 'insufficient_user_authentication',
      stepUp: 'acr_values="mfa", max_age="300"',
    },
  },
  {
    name: 'RFC 9470 §3: the right acr but an authentication older than max_age is asked to step up',
    setup: 'jws',
    request: async (f) => ({
      path: '/step-up',
      headers: bearer(await f.token({ acr: 'mfa', auth_time: past(600) })),
    }),
    expect: {
      status: 401,
      code: 'insufficient_user_authentication',
      stepUp: 'acr_values="mfa", max_age="300"',
    },
  },
  {
    name: 'RFC 9470 §3: a recent mfa authentication passes the step-up guard',
    setup: 'jws',
    request: async (f) => ({
      path: '/step-up',
      headers: bearer(await f.token({ acr: 'mfa', auth_time: past(60) })),
    }),
    expect: { ...ok, claims: { acr: 'mfa' } },
  },
  {
    name: 'RFC 9470 §3 + RFC 9728 §5.1: the step-up challenge of a protected resource names its metadata',
    setup: 'resource',
    request: async (f) => ({
      path: '/step-up',
      headers: bearer(await f.token({ aud: RESOURCE, acr: 'pwd', auth_time: past(10) })),
    }),
    expect: {
      status: 401,
      code: 'insufficient_user_authentication',
      stepUp: 'acr_values="mfa", max_age="300"',
      resourceMetadata: RESOURCE_METADATA,
    },
  },

  // ── idioms (issue 15): preflight, skip, passthrough, property, per-request tenants ──────────────
  {
    name: 'preflight: OPTIONS with Access-Control-Request-Method passes unauthenticated (Fetch standard §4.8: no credentials)',
    setup: 'jws',
    request: () => ({ method: 'OPTIONS', path: '/protected', headers: preflight }),
    expect: { ...ok, payload: null, source: null, authError: null },
  },
  {
    name: 'preflight: a token sent along (even a forged one) is not read',
    setup: 'jws',
    request: async (f) => ({
      method: 'OPTIONS',
      path: '/protected',
      headers: { ...preflight, ...bearer(await f.token({}, { key: f.forger })) },
    }),
    expect: { ...ok, payload: null, source: null },
  },
  {
    name: 'preflight: a plain OPTIONS request (no Access-Control-Request-Method) is authenticated',
    setup: 'jws',
    request: () => ({ method: 'OPTIONS', path: '/protected', headers: { origin: TRUSTED_ORIGIN } }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'preflight: false: a preflight is authenticated like any request',
    setup: 'noPreflight',
    request: () => ({ method: 'OPTIONS', path: '/protected', headers: preflight }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'skip { path, method }: GET /protected is not authenticated, the route sees no context',
    setup: 'skip',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { key: f.forger })),
    }),
    expect: { ...ok, payload: null, source: null },
  },
  {
    name: 'skip: the query string is not part of the path',
    setup: 'skip',
    request: () => ({ path: '/protected?next=/admin' }),
    expect: { ...ok, payload: null },
  },
  {
    name: 'skip: POST /protected (method not listed: path AND method must match) is authenticated',
    setup: 'skip',
    request: () => ({ method: 'POST', path: '/protected' }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'skip: another path (/admin) is authenticated',
    setup: 'skip',
    request: () => ({ path: '/admin' }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'skip as a function of the request: true skips',
    setup: 'skipFunction',
    request: () => ({ path: '/protected', headers: { 'x-skip': 'yes' } }),
    expect: { ...ok, payload: null },
  },
  {
    name: 'skip as a function of the request: false authenticates',
    setup: 'skipFunction',
    request: () => ({ path: '/protected', headers: { 'x-skip': 'no' } }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'passthrough: a forged token leaves the request anonymous, its refusal in authError',
    setup: 'passthrough',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { key: f.forger })),
    }),
    expect: { ...ok, payload: null, source: null, authError: 'signature_invalid' },
  },
  {
    name: 'passthrough: an expired token: anonymous, authError token_expired',
    setup: 'passthrough',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ iat: past(7200), exp: past(3600) })),
    }),
    expect: { ...ok, payload: null, authError: 'token_expired' },
  },
  {
    name: 'passthrough: no token: anonymous, no authError',
    setup: 'passthrough',
    request: () => ({ path: '/protected' }),
    expect: { ...ok, payload: null, authError: null },
  },
  {
    name: 'passthrough: a valid token is accepted as usual',
    setup: 'passthrough',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token()) }),
    expect: { ...ok, source: 'header', claims: claims(), authError: null },
  },
  {
    name: 'passthrough: a malformed request still fails, 400 multiple_tokens (RFC 6750 §2)',
    setup: 'passthrough',
    request: async (f) => {
      const token = await f.token()
      return { path: '/protected', headers: { ...bearer(token), cookie: cookie(token) } }
    },
    expect: { status: 400, code: 'multiple_tokens', challenge: 'error' },
  },
  {
    name: 'passthrough: a cross-site cookie POST still fails, 403 csrf_rejected',
    setup: 'passthrough',
    request: async (f) => ({
      method: 'POST',
      path: '/protected',
      headers: { cookie: cookie(await f.token()), origin: 'https://evil.example.test' },
    }),
    expect: { status: 403, code: 'csrf_rejected', challenge: 'error' },
  },
  {
    name: 'passthrough: a guard behind it refuses the anonymous request (401 token_missing)',
    setup: 'passthrough',
    request: async (f) => ({
      path: '/admin',
      headers: bearer(await f.token({ roles: ['admin'] }, { key: f.forger })),
    }),
    expect: { status: 401, code: 'token_missing', challenge: 'bare' },
  },
  {
    name: 'passthrough with onError delegate: the refusal is not an error, nothing is delegated',
    setup: 'passthroughDelegate',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { key: f.forger })),
    }),
    expect: { ...ok, payload: null, authError: 'signature_invalid' },
  },
  {
    name: 'passthrough with onError delegate: a 400 is delegated as usual',
    setup: 'passthroughDelegate',
    request: () => ({ path: '/protected', headers: { authorization: 'Bearer a b' } }),
    expect: { status: 400, code: 'invalid_request', challenge: 'error' },
  },
  {
    name: "property 'user': the context lives at req.user / ctx.state.user / c.get('user')",
    setup: 'property',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ roles: ['viewer'] })),
    }),
    expect: { ...ok, source: 'header', claims: claims(), roles: ['viewer'] },
  },
  {
    name: "property 'user': guards read the context there (admin passes)",
    setup: 'property',
    request: async (f) => ({
      path: '/admin',
      headers: bearer(await f.token({ roles: ['admin'] })),
    }),
    expect: { ...ok, roles: ['admin'] },
  },
  {
    name: "property 'user': guards read the context there (a viewer is 403 insufficient_role)",
    setup: 'property',
    request: async (f) => ({
      path: '/admin',
      headers: bearer(await f.token({ roles: ['viewer'] })),
    }),
    expect: { status: 403, code: 'insufficient_role', challenge: 'error' },
  },
  {
    name: 'tenants: issuers as a function: a known tenant is verified with its keys',
    setup: 'tenants',
    request: async (f) => ({ path: '/protected', headers: bearer(await f.token()) }),
    expect: { ...ok, claims: claims() },
  },
  {
    name: 'tenants: another tenant, its own key and audience',
    setup: 'tenants',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ iss: OTHER_ISSUER, aud: OTHER_AUDIENCE }, { key: f.forger })),
    }),
    expect: { ...ok, claims: { iss: OTHER_ISSUER, aud: OTHER_AUDIENCE } },
  },
  {
    name: "tenants: the unverified iss only picks keys: a tenant's iss signed with another tenant's key is signature_invalid",
    setup: 'tenants',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({}, { key: f.forger })),
    }),
    expect: invalidToken('signature_invalid'),
  },
  {
    name: 'tenants: the function answers undefined: issuer_unknown 401, as an unlisted issuer',
    setup: 'tenants',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ iss: 'https://nobody.example.test' })),
    }),
    expect: invalidToken('issuer_unknown'),
  },
  {
    name: 'tenants: the function throws: keys_unavailable 503 with Retry-After, never 500',
    setup: 'tenants',
    request: async (f) => ({
      path: '/protected',
      headers: bearer(await f.token({ iss: BROKEN_TENANT })),
    }),
    expect: { status: 503, code: 'keys_unavailable', challenge: 'none' },
  },
]

// A nested token whose inner JWS was signed by the forger (same kid) and encrypted to the right key.
async function forgedNested(f: Fixtures): Promise<string> {
  return nestedToken(
    claims(),
    { alg: 'ES256', key: f.forger },
    { alg: 'ECDH-ES+A256KW', key: f.enc },
  )
}
