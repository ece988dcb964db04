// createTokenIssuer: start-up refusals with fix-it messages, registered claims, key forms, nested output.
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { compactDecrypt, decodeProtectedHeader, jwtVerify } from 'jose'
import { fromB64url, keysFor, randomSecret, type TestKeys } from '@tokengate/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTokenIssuer, type TokenIssuerOptions } from './issue.js'

const NOW = 1_750_000_000
const base = async (): Promise<TokenIssuerOptions> => ({
  signingKey: (await keysFor('ES256')).privatePem!,
  alg: 'ES256',
  expiresIn: '15m',
})

afterEach(() => {
  vi.useRealTimers()
})

describe('createTokenIssuer: start-up refusals', () => {
  it.each<[string, (o: TokenIssuerOptions) => Promise<unknown>, RegExp]>([
    [
      'expiresIn is required (a token must expire)',
      async (o) => ({ ...o, expiresIn: undefined }),
      /options\.expiresIn is required/,
    ],
    [
      'expiresIn must parse',
      async (o) => ({ ...o, expiresIn: 'soon' }),
      /options\.expiresIn must be a non-negative number/,
    ],
    [
      'expiresIn under a second',
      async (o) => ({ ...o, expiresIn: '400ms' }),
      /at least one second/,
    ],
    [
      'signingKey is required',
      async (o) => ({ ...o, signingKey: undefined }),
      /options\.signingKey is required/,
    ],
    [
      'alg none is refused (RFC 8725 §3.2)',
      async (o) => ({ ...o, alg: 'none' }),
      /must not be 'none'/,
    ],
    ['unknown alg', async (o) => ({ ...o, alg: 'HS1' }), /'HS1' is not supported/],
    [
      'unknown option (typo)',
      async (o) => ({ ...o, expiresin: '1h' }),
      /unknown option options\.expiresin: check the spelling/,
    ],
    [
      'HS256 secret under 32 bytes (RFC 7518 §3.2)',
      async (o) => ({ ...o, alg: 'HS256', signingKey: 'short secret' }),
      /12-byte secret; HS256 needs at least 32/,
    ],
    [
      'HS512 secret of 32 bytes',
      async (o) => ({ ...o, alg: 'HS512', signingKey: randomSecret('HS256') }),
      /HS512 needs at least 64/,
    ],
    [
      'RSA key for ES256',
      async (o) => ({ ...o, signingKey: (await keysFor('RS256')).privatePem! }),
      /does not fit options\.alg 'ES256'/,
    ],
    [
      'P-384 PEM for ES256 (curve must match, RFC 7518 §3.4)',
      async (o) => ({ ...o, signingKey: (await keysFor('ES384')).privatePem! }),
      /does not fit options\.alg 'ES256'/,
    ],
    [
      'P-384 key for ES256',
      async (o) => ({ ...o, signingKey: (await keysFor('ES384')).privateJwk }),
      /JWK for alg "ES384"/,
    ],
    [
      'public PEM as signing key',
      async (o) => ({ ...o, signingKey: (await keysFor('ES256')).publicPem! }),
      /PKCS#8 private key/,
    ],
    [
      'public JWK as signing key',
      async (o) => ({ ...o, signingKey: (await keysFor('ES256')).publicJwk }),
      /public JWK/,
    ],
    [
      'encryption JWK as signing key',
      async (o) => ({ ...o, signingKey: { ...(await keysFor('ES256')).privateJwk, use: 'enc' } }),
      /use "enc"/,
    ],
    [
      'encryptTo RSA1_5 (Bleichenbacher)',
      async (o) => ({
        ...o,
        encryptTo: { key: (await keysFor('RSA-OAEP')).publicPem!, alg: 'RSA1_5' },
      }),
      /Bleichenbacher/,
    ],
    [
      'encryptTo unknown alg',
      async (o) => ({
        ...o,
        encryptTo: { key: randomSecret('A256KW'), alg: 'PBES2-HS256+A128KW' },
      }),
      /is not supported/,
    ],
    [
      'encryptTo unknown enc',
      async (o) => ({
        ...o,
        encryptTo: { key: randomSecret('A256KW'), alg: 'A256KW', enc: 'A256CTR' },
      }),
      /enc 'A256CTR' is not supported/,
    ],
    [
      'encryptTo key of the wrong type',
      async (o) => ({
        ...o,
        encryptTo: { key: (await keysFor('ECDH-ES')).publicPem!, alg: 'RSA-OAEP-256' },
      }),
      /does not fit alg 'RSA-OAEP-256'/,
    ],
    [
      'encryptTo dir key of the wrong size',
      async (o) => ({
        ...o,
        encryptTo: { key: randomSecret('dir', 'A128GCM'), alg: 'dir', enc: 'A256GCM' },
      }),
      /does not fit alg 'dir'/,
    ],
    [
      'encryptTo private CryptoKey',
      async (o) => ({
        ...o,
        encryptTo: { key: (await keysFor('RSA-OAEP-256')).privateKey, alg: 'RSA-OAEP-256' },
      }),
      /private CryptoKey/,
    ],
    [
      'encryptTo without alg',
      async (o) => ({ ...o, encryptTo: { key: randomSecret('A256KW') } }),
      /options\.encryptTo\.alg is required/,
    ],
  ])('%s', async (_name, patch, message) => {
    const options = (await patch(await base())) as TokenIssuerOptions
    expect(() => createTokenIssuer(options)).toThrow(message)
    expect(() => createTokenIssuer(options)).toThrow(/^tokengate: /)
  })
})

describe('issue()', () => {
  it('sets iss, aud, iat, nbf, exp, jti and the header from the options (clock frozen)', async () => {
    vi.useFakeTimers({ now: NOW * 1000 })
    const keys = await keysFor('ES256')
    const issuer = createTokenIssuer({
      signingKey: keys.privateJwk,
      alg: 'ES256',
      issuer: 'https://as',
      audience: ['api', 'admin'],
      expiresIn: '15m',
      notBefore: 0,
      typ: 'at+jwt',
    })
    const token = await issuer.issue({ sub: 'u1', scope: 'read' })
    const { payload, protectedHeader } = await jwtVerify(token, keys.publicKey, {
      currentDate: new Date(NOW * 1000),
    })
    expect(payload).toEqual({
      sub: 'u1',
      scope: 'read',
      iss: 'https://as',
      aud: ['api', 'admin'],
      iat: NOW,
      nbf: NOW,
      exp: NOW + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
    // The kid defaults to the signing JWK's kid.
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys.kid })
  })

  it('a fresh random jti per token', async () => {
    const issuer = createTokenIssuer(await base())
    const jtis = new Set<unknown>()
    for (let i = 0; i < 5; i++) jtis.add(decodePayload(await issuer.issue()).jti)
    expect(jtis.size).toBe(5)
  })

  it('overrides change exp, nbf, aud and jti for one token', async () => {
    vi.useFakeTimers({ now: NOW * 1000 })
    const issuer = createTokenIssuer({ ...(await base()), audience: 'api' })
    const payload = decodePayload(
      await issuer.issue(
        { sub: 'u' },
        { expiresIn: 60, notBefore: '10s', audience: 'other', jti: 'fixed' },
      ),
    )
    expect(payload).toMatchObject({ exp: NOW + 60, nbf: NOW + 10, aud: 'other', jti: 'fixed' })
  })

  it.each(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti'])(
    'claims may not set "%s" (it comes from options or overrides)',
    async (name) => {
      const issuer = createTokenIssuer(await base())
      await expect(issuer.issue({ [name]: 1 })).rejects.toThrow(
        new RegExp(`must not set "${name}"`),
      )
    },
  )

  it('claims must be an object', async () => {
    const issuer = createTokenIssuer(await base())
    await expect(issuer.issue([] as never)).rejects.toThrow(/claims must be an object/)
  })
})

describe('signing key forms', () => {
  it.each<[string, string, (k: TestKeys) => TokenIssuerOptions['signingKey']]>([
    ['PKCS#8 PEM', 'RS256', (k) => k.privatePem!],
    ['private JWK', 'PS256', (k) => k.privateJwk],
    ['CryptoKey', 'ES384', (k) => k.privateKey],
    ['Node KeyObject', 'EdDSA', (k) => createPrivateKey(k.privatePem!)],
    ['secret bytes', 'HS384', (k) => k.secret!],
    ['string secret (UTF-8)', 'HS256', () => 'a string secret of more than thirty-two bytes'],
  ])('%s (%s)', async (_name, alg, form) => {
    const keys = await keysFor(alg)
    const token = await createTokenIssuer({ signingKey: form(keys), alg, expiresIn: 60 }).issue({
      sub: 's',
    })
    const verifyKey = _name.startsWith('string')
      ? new TextEncoder().encode('a string secret of more than thirty-two bytes')
      : keys.publicKey
    expect((await jwtVerify(token, verifyKey)).payload.sub).toBe('s')
  })
})

describe('encryptTo: a nested JWT (RFC 7519 §5.2)', () => {
  it.each<[string, string, (k: TestKeys) => NonNullable<TokenIssuerOptions['encryptTo']>['key']]>([
    ['SPKI PEM', 'RSA-OAEP-256', (k) => k.publicPem!],
    ['public JWK', 'ECDH-ES+A128KW', (k) => k.publicJwk],
    ['private JWK (only public members are used)', 'ECDH-ES', (k) => k.privateJwk],
    ['public CryptoKey', 'RSA-OAEP', (k) => k.publicKey],
    ['public KeyObject', 'RSA-OAEP-384', (k) => createPublicKey(k.publicPem!)],
    ['shared secret', 'A192KW', (k) => k.secret!],
    ['oct JWK', 'A256GCMKW', (k) => k.privateJwk],
  ])('%s (%s)', async (_name, alg, form) => {
    const sig = await keysFor('ES256')
    const recipient = await keysFor(alg)
    const issuer = createTokenIssuer({
      ...(await base()),
      encryptTo: { key: form(recipient), alg, kid: 'api-enc' },
    })
    const token = await issuer.issue({ sub: 'n' })
    expect(decodeProtectedHeader(token)).toEqual({
      alg,
      enc: 'A256GCM',
      cty: 'JWT',
      kid: 'api-enc',
      ...(alg.startsWith('ECDH') && { epk: expect.any(Object) }),
      ...(alg.endsWith('GCMKW') && { iv: expect.any(String), tag: expect.any(String) }),
    })
    const { plaintext } = await compactDecrypt(token, recipient.privateKey)
    const { payload } = await jwtVerify(new TextDecoder().decode(plaintext), sig.publicKey)
    expect(payload.sub).toBe('n')
  })
})

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(fromB64url(token.split('.')[1]!)) as Record<string, unknown>
}
