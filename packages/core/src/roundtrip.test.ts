// Issue, then authenticate: every JWS alg, every JWE alg x enc (nested and encrypted-only), node-jose interop, tampering, rotation.
import {
  b64url,
  decodeHeader,
  encryptToken,
  foreignEncrypt,
  foreignSign,
  keysFor,
  nestedToken,
  signToken,
  tamper,
  type TestKeys,
} from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { createAuthenticatorWith } from './authenticate.js'
import type { AuthenticatorOptions } from './types.js'
import { joseSignatureCheck } from './token/signature-check.js'
import { nodeSignatureCheck } from './token/signature-check.node.js'
import { AuthError, type AuthErrorCode } from './errors.js'
import { createTokenIssuer } from './issuing/issue.js'
import type { DecryptOptions } from './types.js'
import type { JweKeyManagementAlgorithm, JwsAlgorithm } from './types.js'

// Both signature paths side by side, whichever one `#signature-check` picks for this run.
const webCreate = (options: AuthenticatorOptions) =>
  createAuthenticatorWith(options, joseSignatureCheck)
const nodeCreate = (options: AuthenticatorOptions) =>
  createAuthenticatorWith(options, nodeSignatureCheck)

const ISSUER = 'https://auth.example.com'
const AUDIENCE = 'https://api.example.com'
const IMPLEMENTATIONS = [
  ['web crypto', webCreate],
  ['node:crypto', nodeCreate],
] as const
const request = (token: string) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
})

/** The form a verifier or decryptor is given: PEM for pairs (the common deployment), bytes for secrets. */
const privateOf = (k: TestKeys) => k.privatePem ?? k.secret!
const publicOf = (k: TestKeys) => k.publicPem ?? k.secret!

function authenticator(
  sig: TestKeys,
  decrypt?: DecryptOptions,
  create = webCreate,
  extra: { typ?: string } = {},
) {
  return create({
    algorithms: [sig.alg as JwsAlgorithm],
    key: publicOf(sig),
    issuer: ISSUER,
    audience: AUDIENCE,
    cache: false,
    ...(decrypt && { decrypt }),
    ...extra,
  })
}

async function expectCode(promise: Promise<unknown>, code: AuthErrorCode, status = 401) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  expect(err).toMatchObject({ code, status })
  const response = (err as AuthError).toResponse()
  expect(response.status).toBe(status)
  expect(response.body.code).toBe(code)
}

describe.each(IMPLEMENTATIONS)('JWS round trip (%s)', (_impl, create) => {
  it.each(['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'])(
    '%s',
    async (alg) => {
      const sig = await keysFor(alg)
      const issuer = createTokenIssuer({
        signingKey: privateOf(sig),
        alg,
        kid: sig.kid,
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: '5m',
        typ: 'at+jwt',
      })
      const token = await issuer.issue({ sub: 'alice', scope: 'read write' })
      const ctx = await authenticator(sig, undefined, create, { typ: 'at+jwt' }).authenticate(
        request(token),
      )
      expect(ctx?.payload).toMatchObject({ sub: 'alice', iss: ISSUER, aud: AUDIENCE })
      const { exp = 0, iat = 0 } = ctx?.payload ?? {}
      expect(exp - iat).toBe(300)
      expect(ctx?.payload.jti).toMatch(/^[0-9a-f-]{36}$/)
      expect(ctx?.protectedHeader).toEqual({ alg, kid: sig.kid, typ: 'at+jwt' })
      expect(ctx?.encryption).toBeUndefined()
      expect(ctx?.scopes).toEqual(['read', 'write'])
    },
  )
})

// Key management algorithms of the matrix, and for each the key the API decrypts with.
const KEY_MANAGEMENT = [
  'dir',
  'A128KW',
  'A256KW',
  'RSA-OAEP',
  'RSA-OAEP-256',
  'ECDH-ES',
  'ECDH-ES+A128KW',
  'ECDH-ES+A256KW',
] as const
const ENCS = ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'] as const
const SYMMETRIC = new Set(['dir', 'A128KW', 'A256KW'])
const encKeys = (alg: string, enc: string) => keysFor(alg, alg === 'dir' ? { enc } : {})
const matrix = KEY_MANAGEMENT.flatMap((alg) => ENCS.map((enc) => [alg, enc] as const))

describe('nested JWT round trip: issue (sign + encrypt), then authenticate', () => {
  it.each(matrix)('%s / %s', async (alg, enc) => {
    const sig = await keysFor('ES256')
    const recipient = await encKeys(alg, enc)
    const issuer = createTokenIssuer({
      signingKey: sig.privateJwk,
      alg: 'ES256',
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: 600,
      encryptTo: {
        key: recipient.kind === 'pair' ? recipient.publicJwk : recipient.secret!,
        alg,
        enc,
        kid: recipient.kid,
      },
    })
    const token = await issuer.issue({ sub: 'bob', roles: ['admin'] })
    expect(token.split('.')).toHaveLength(5)
    const auth = authenticator(sig, {
      keys: [{ key: privateOf(recipient), kid: recipient.kid }],
      keyManagementAlgorithms: [alg],
      required: true,
    })
    const ctx = await auth.authenticate(request(token))
    expect(ctx?.payload).toMatchObject({ sub: 'bob', roles: ['admin'] })
    expect(ctx?.roles).toEqual(['admin'])
    expect(ctx?.protectedHeader).toMatchObject({ alg: 'ES256', kid: sig.kid })
    expect(ctx?.encryption?.protectedHeader).toMatchObject({
      alg,
      enc,
      cty: 'JWT',
      kid: recipient.kid,
    })
  })
})

describe('encrypted-only JWT (allowUnsignedPayload, symmetric key management only)', () => {
  const symmetric = matrix.filter(([alg]) => SYMMETRIC.has(alg))
  it.each(symmetric)('%s / %s', async (alg, enc) => {
    const sig = await keysFor('ES256')
    const recipient = await encKeys(alg, enc)
    const now = Math.floor(Date.now() / 1000)
    const token = await encryptToken(
      { sub: 'carol', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 60 },
      { alg, enc, key: recipient },
    )
    const decrypt = { keys: recipient.secret!, keyManagementAlgorithms: [alg] }
    const ctx = await authenticator(sig, { ...decrypt, allowUnsignedPayload: true }).authenticate(
      request(token),
    )
    expect(ctx?.payload.sub).toBe('carol')
    expect(ctx?.protectedHeader).toMatchObject({ alg, enc })
    expect(ctx?.encryption?.protectedHeader).toMatchObject({ alg, enc })
    // Without allowUnsignedPayload the same token is refused: a signature is required by default.
    await expectCode(authenticator(sig, decrypt).authenticate(request(token)), 'signature_required')
  })
})

describe('tokens from node-jose (another JOSE implementation)', () => {
  it.each<[string, string, string, string | undefined]>([
    ['RSA-OAEP-256 + RS256, cty at+jwt (oidc-provider)', 'RSA-OAEP-256', 'RS256', 'at+jwt'],
    ['RSA-OAEP + ES256, cty JWT', 'RSA-OAEP', 'ES256', 'JWT'],
    ['ECDH-ES+A256KW + PS256, no cty', 'ECDH-ES+A256KW', 'PS256', undefined],
    ['ECDH-ES + HS256, cty at+jwt', 'ECDH-ES', 'HS256', 'at+jwt'],
    ['A256KW + ES384, cty JWT', 'A256KW', 'ES384', 'JWT'],
    ['dir + RS256, no cty', 'dir', 'RS256', undefined],
  ])('%s', async (_name, alg, sigAlg, cty) => {
    const sig = await keysFor(sigAlg)
    const recipient = await keysFor(alg)
    const jws = await foreignSign(
      { sub: 'dave', iss: ISSUER, aud: AUDIENCE },
      { alg: sigAlg, jwk: sig.privateJwk, typ: 'at+jwt' },
    )
    const token = await foreignEncrypt(jws, {
      alg,
      enc: 'A256GCM',
      jwk: recipient.publicJwk,
      ...(cty !== undefined && { cty }),
    })
    const ctx = await authenticator(sig, {
      keys: recipient.privateJwk,
      keyManagementAlgorithms: [alg as JweKeyManagementAlgorithm],
    }).authenticate(request(token))
    expect(ctx?.payload.sub).toBe('dave')
    expect(ctx?.protectedHeader).toMatchObject({ alg: sigAlg, typ: 'at+jwt' })
    expect(ctx?.encryption?.protectedHeader.cty).toBe(cty)
  })

  it('a jose-signed token encrypted by node-jose with A128CBC-HS256, and a node-jose encrypted-only token', async () => {
    const sig = await keysFor('EdDSA')
    const recipient = await keysFor('A128KW')
    const jws = await signToken(
      { sub: 'erin', iss: ISSUER, aud: AUDIENCE },
      { alg: 'EdDSA', key: sig },
    )
    const nested = await foreignEncrypt(jws, {
      alg: 'A128KW',
      enc: 'A128CBC-HS256',
      jwk: recipient.publicJwk,
      cty: 'JWT',
    })
    const decrypt = { keys: recipient.privateJwk, keyManagementAlgorithms: ['A128KW'] as const }
    expect((await authenticator(sig, decrypt).authenticate(request(nested)))?.payload.sub).toBe(
      'erin',
    )
    const now = Math.floor(Date.now() / 1000)
    const claimsOnly = await foreignEncrypt(
      { sub: 'frank', iss: ISSUER, aud: AUDIENCE, exp: now + 60 },
      { alg: 'A128KW', enc: 'A128GCM', jwk: recipient.publicJwk },
    )
    const ctx = await authenticator(sig, { ...decrypt, allowUnsignedPayload: true }).authenticate(
      request(claimsOnly),
    )
    expect(ctx?.payload.sub).toBe('frank')
  })
})

describe('refusals through authenticate (code and status)', () => {
  const setup = (async () => {
    const sig = await keysFor('ES256')
    const rsa = await keysFor('RSA-OAEP-256')
    const issuer = createTokenIssuer({
      signingKey: sig.privatePem!,
      alg: 'ES256',
      kid: sig.kid,
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: '10m',
      encryptTo: { key: rsa.publicPem!, alg: 'RSA-OAEP-256', kid: rsa.kid },
    })
    const decrypt: DecryptOptions = {
      keys: [{ key: rsa.privatePem!, kid: rsa.kid }],
      keyManagementAlgorithms: ['RSA-OAEP-256'],
      contentEncryptionAlgorithms: ['A256GCM'],
    }
    return {
      sig,
      rsa,
      issuer,
      auth: authenticator(sig, decrypt),
      strict: authenticator(sig, { ...decrypt, required: true }),
      good: await issuer.issue({ sub: 'x' }),
    }
  })()
  type Setup = Awaited<typeof setup>
  const signed = (s: Setup, claims = {}) =>
    signToken({ iss: ISSUER, aud: AUDIENCE, sub: 'x', ...claims }, { alg: 'ES256', key: s.sig })
  const header = (token: string, patch: Record<string, unknown>) =>
    tamper(token, 0, b64url({ ...decodeHeader(token), ...patch }))

  it.each<[string, (s: Setup) => Promise<string>, AuthErrorCode, 'auth' | 'strict']>([
    [
      'tampered protected header (RFC 7516 §5.2: it is the AAD)',
      async (s) => header(s.good, { kid: s.rsa.kid, x: 1 }),
      'decryption_failed',
      'auth',
    ],
    ['tampered encrypted key', async (s) => tamper(s.good, 1), 'decryption_failed', 'auth'],
    ['tampered iv', async (s) => tamper(s.good, 2), 'decryption_failed', 'auth'],
    ['tampered ciphertext', async (s) => tamper(s.good, 3), 'decryption_failed', 'auth'],
    ['tampered tag', async (s) => tamper(s.good, 4), 'decryption_failed', 'auth'],
    [
      'encrypted to another key',
      async (s) =>
        encryptToken(await signed(s), {
          alg: 'RSA-OAEP-256',
          key: await keysFor('RSA-OAEP-256', { label: 'other' }),
          kid: null,
          cty: 'JWT',
        }),
      'decryption_failed',
      'auth',
    ],
    [
      'unknown kid',
      async (s) =>
        encryptToken(await signed(s), { alg: 'RSA-OAEP-256', key: s.rsa, kid: 'retired' }),
      'key_not_found',
      'auth',
    ],
    [
      'key management alg not allowed',
      async (s) =>
        nestedToken(
          { sub: 'x' },
          { alg: 'ES256', key: s.sig },
          { alg: 'A256KW', key: await keysFor('A256KW') },
        ),
      'alg_not_allowed',
      'auth',
    ],
    [
      'content encryption alg not allowed',
      async (s) =>
        encryptToken(await signed(s), { alg: 'RSA-OAEP-256', enc: 'A192GCM', key: s.rsa }),
      'alg_not_allowed',
      'auth',
    ],
    [
      'zip (compressed plaintext) refused',
      async (s) => encryptToken(await signed(s), { alg: 'RSA-OAEP-256', key: s.rsa, zip: 'DEF' }),
      'alg_not_allowed',
      'auth',
    ],
    [
      'RSA1_5 refused (Bleichenbacher)',
      async (s) => header(s.good, { alg: 'RSA1_5' }),
      'alg_not_allowed',
      'auth',
    ],
    [
      'PBES2 with a huge p2c refused before any work',
      async (s) =>
        header(s.good, { alg: 'PBES2-HS256+A128KW', p2c: 2_000_000_000, p2s: 'AAAAAAAAAAA' }),
      'alg_not_allowed',
      'auth',
    ],
    [
      'unsigned claims where a signature is required',
      async (s) =>
        encryptToken({ sub: 'x', iss: ISSUER, aud: AUDIENCE }, { alg: 'RSA-OAEP-256', key: s.rsa }),
      'signature_required',
      'auth',
    ],
    [
      'inner token with alg none',
      async (s) =>
        encryptToken(`${b64url({ alg: 'none' })}.${b64url({ sub: 'x' })}.`, {
          alg: 'RSA-OAEP-256',
          key: s.rsa,
          cty: 'JWT',
        }),
      'signature_required',
      'auth',
    ],
    [
      'inner JWS signed by another key',
      async (s) =>
        encryptToken(
          await signToken(
            { iss: ISSUER, aud: AUDIENCE },
            { alg: 'ES256', key: await keysFor('ES256', { label: 'attacker' }), kid: null },
          ),
          { alg: 'RSA-OAEP-256', key: s.rsa },
        ),
      'signature_invalid',
      'auth',
    ],
    [
      'inner JWS alg outside the allowlist',
      async (s) =>
        encryptToken(
          await signToken(
            { iss: ISSUER, aud: AUDIENCE },
            { alg: 'HS256', key: await keysFor('HS256') },
          ),
          { alg: 'RSA-OAEP-256', key: s.rsa },
        ),
      'alg_not_allowed',
      'auth',
    ],
    [
      'inner JWS expired',
      async (s) =>
        encryptToken(await signed(s, { exp: Math.floor(Date.now() / 1000) - 3600 }), {
          alg: 'RSA-OAEP-256',
          key: s.rsa,
        }),
      'token_expired',
      'auth',
    ],
    [
      'inner JWS for another audience',
      async (s) =>
        encryptToken(await signed(s, { aud: 'other' }), { alg: 'RSA-OAEP-256', key: s.rsa }),
      'claim_invalid',
      'auth',
    ],
    ['plain JWS when decrypt.required', async (s) => signed(s), 'encryption_required', 'strict'],
  ])('%s', async (_name, build, code, which) => {
    const s = await setup
    await expectCode(s[which].authenticate(request(await build(s))), code)
  })

  it('the nested token itself authenticates (the table starts from a good token)', async () => {
    const s = await setup
    expect((await s.strict.authenticate(request(s.good)))?.payload.sub).toBe('x')
  })

  it('a JWE is refused when no decrypt option is configured', async () => {
    const s = await setup
    await expectCode(authenticator(s.sig).authenticate(request(s.good)), 'token_malformed')
  })
})

describe('key rotation', () => {
  it('tokens for the old and the new kid both work while both keys are configured', async () => {
    const sig = await keysFor('ES256')
    const old = await keysFor('ECDH-ES+A256KW', { label: 'old', kid: 'enc-old' })
    const next = await keysFor('ECDH-ES+A256KW', { label: 'new', kid: 'enc-new' })
    const issuerFor = (k: TestKeys) =>
      createTokenIssuer({
        signingKey: sig.privatePem!,
        alg: 'ES256',
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: '1h',
        encryptTo: { key: k.publicPem!, alg: 'ECDH-ES+A256KW', kid: k.kid },
      })
    const both = authenticator(sig, {
      keys: { keys: [old.privateJwk, next.privateJwk] },
      keyManagementAlgorithms: ['ECDH-ES+A256KW'],
    })
    const oldToken = await issuerFor(old).issue({ sub: 'o' })
    const newToken = await issuerFor(next).issue({ sub: 'n' })
    expect((await both.authenticate(request(oldToken)))?.encryption?.protectedHeader.kid).toBe(
      'enc-old',
    )
    expect((await both.authenticate(request(newToken)))?.encryption?.protectedHeader.kid).toBe(
      'enc-new',
    )
    // Once the old key is retired, its tokens are refused by kid.
    const retired = authenticator(sig, {
      keys: { keys: [next.privateJwk] },
      keyManagementAlgorithms: ['ECDH-ES+A256KW'],
    })
    await expectCode(retired.authenticate(request(oldToken)), 'key_not_found')
    expect((await retired.authenticate(request(newToken)))?.payload.sub).toBe('n')
  })
})
