// generateKeys and publicJwks: keys for every alg, and a published set that never carries a private member.
import {
  calculateJwkThumbprint,
  compactDecrypt,
  CompactEncrypt,
  jwtVerify,
  SignJWT,
  type JWK,
} from 'jose'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import {
  generateKeys,
  publicJwks,
  type GeneratedKeyPair,
  type GeneratedKeys,
  type GeneratedSecret,
} from './keygen.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

describe('generateKeys', () => {
  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const)(
    '%s signs; kid is the RFC 7638 thumbprint',
    async (alg) => {
      const keys = await generateKeys(alg)
      expect(keys.kid).toBe(await calculateJwkThumbprint(keys.publicJwk))
      expect(keys.publicJwk).toMatchObject({ kid: keys.kid, alg, use: 'sig' })
      expect(keys.privateJwk).toMatchObject({
        kid: keys.kid,
        alg,
        use: 'sig',
        d: expect.any(String),
      })
      const token = await new SignJWT({ sub: 'g' })
        .setProtectedHeader({ alg })
        .sign(keys.privateKey)
      expect((await jwtVerify(token, keys.publicKey)).payload.sub).toBe('g')
    },
  )

  it.each([
    ['RSA-OAEP-256', {}],
    ['ECDH-ES+A256KW', {}],
    ['ECDH-ES', { crv: 'X25519' }],
  ] as const)('%s encrypts and decrypts (use "enc")', async (alg, options) => {
    const keys = await generateKeys(alg, { kid: 'enc-1', ...options })
    expect(keys.publicJwk).toMatchObject({ kid: 'enc-1', alg, use: 'enc' })
    const jwe = await new CompactEncrypt(new TextEncoder().encode('p'))
      .setProtectedHeader({ alg, enc: 'A256GCM' })
      .encrypt(keys.publicKey)
    expect(new TextDecoder().decode((await compactDecrypt(jwe, keys.privateKey)).plaintext)).toBe(
      'p',
    )
  })

  it.each([
    ['HS256', {}, 32],
    ['HS384', {}, 48],
    ['HS512', {}, 64],
    ['A128KW', {}, 16],
    ['A256GCMKW', {}, 32],
    ['dir', {}, 32],
    ['dir', { enc: 'A256CBC-HS512' }, 64],
  ] as const)('%s %o: a random secret of %i bytes', async (alg, options, bytes) => {
    const keys = await generateKeys(alg, options)
    expect(keys.kind).toBe('secret')
    expect(keys.secret).toBeInstanceOf(Uint8Array)
    expect(keys.secret).toHaveLength(bytes)
    expect(keys.secretJwk).toMatchObject({ kty: 'oct', alg, k: expect.any(String) })
  })

  // Issue 21: a secret returned as `publicJwk` invites publishing it (e.g. in a JWKS route), and
  // then anyone can sign HS* tokens or unwrap A*KW / dir content keys (RFC 7517 §4, RFC 7518 §6.4).
  it.each(['HS256', 'HS512', 'dir', 'A256KW', 'A128GCMKW'] as const)(
    '%s: the secret is never under a public name (no publicJwk, no publicKey)',
    async (alg) => {
      const keys = await generateKeys(alg)
      expect(keys).not.toHaveProperty('publicJwk')
      expect(keys).not.toHaveProperty('publicKey')
      expect(keys).not.toHaveProperty('privateJwk')
      expect(() => publicJwks([keys])).toThrow(/symmetric key/)
      expect((await generateKeys(alg, { extractable: false })).secretJwk).toBeUndefined()
    },
  )

  it('types say which shape an alg gets', async () => {
    expectTypeOf(await generateKeys('HS256')).toEqualTypeOf<GeneratedSecret>()
    expectTypeOf(await generateKeys('ES256')).toEqualTypeOf<GeneratedKeyPair>()
    expectTypeOf(await generateKeys('ES256' as string)).toEqualTypeOf<GeneratedKeys>()
    // @ts-expect-error a secret has no publicJwk
    void (await generateKeys('A256KW')).publicJwk
  })

  it('extractable: false keeps the private key inside Web Crypto', async () => {
    const keys = await generateKeys('ES256', { extractable: false })
    expect(keys.privateJwk).toBeUndefined()
    expect((keys.privateKey as CryptoKey).extractable).toBe(false)
  })

  it('refuses none and unknown enc for dir', async () => {
    await expect(generateKeys('none')).rejects.toThrow(/no key for an unsigned token/)
    await expect(generateKeys('dir', { enc: 'A1GCM' })).rejects.toThrow(/not supported/)
  })
})

describe('publicJwks', () => {
  it('keeps only public members, with kid, alg and use, for every asymmetric key type', async () => {
    const all = await Promise.all(
      (['RS256', 'ES256', 'EdDSA', 'RSA-OAEP-256', 'ECDH-ES'] as const).map((alg) =>
        generateKeys(alg),
      ),
    )
    // Given the private JWKs on purpose: the output must still be public only.
    const jwks = publicJwks(all.map((k) => k.privateJwk!))
    expect(jwks.keys).toHaveLength(5)
    for (const [i, jwk] of jwks.keys.entries()) {
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member)
      expect(jwk).toEqual(all[i]!.publicJwk)
    }
    expect(jwks.keys.map((k) => k.use)).toEqual(['sig', 'sig', 'sig', 'enc', 'enc'])
  })

  it('accepts generateKeys results and drops unknown members', async () => {
    const keys = await generateKeys('ES256', { kid: 'a' })
    const jwk = { ...keys.publicJwk, ext: true, key_ops: ['sign'], x5c: ['MIIB'] } as JWK
    expect(publicJwks([keys])).toEqual({ keys: [keys.publicJwk] })
    expect(publicJwks([jwk]).keys[0]).toEqual({ ...keys.publicJwk, x5c: ['MIIB'] })
  })

  it.each<[string, () => Promise<unknown[]>, RegExp]>([
    [
      'a symmetric key has no public part',
      async () => [await generateKeys('HS256')],
      /symmetric key/,
    ],
    [
      'a key without kid',
      async () => [{ ...(await generateKeys('ES256')).publicJwk, kid: undefined }],
      /no kid/,
    ],
    [
      'a key without alg',
      async () => [{ ...(await generateKeys('ES256')).publicJwk, alg: undefined }],
      /no alg/,
    ],
    [
      'two keys with one kid',
      async () => [
        (await generateKeys('ES256', { kid: 'x' })).publicJwk,
        (await generateKeys('ES256', { kid: 'x' })).publicJwk,
      ],
      /repeats kid/,
    ],
    [
      'an unknown kty',
      async () => [{ kty: 'AKP', kid: 'k', alg: 'ML-DSA-44', pub: 'AA' }],
      /unsupported kty/,
    ],
  ])('refuses %s', async (_name, build, message) => {
    const keys = (await build()) as JWK[]
    expect(() => publicJwks(keys)).toThrow(message)
  })

  it('a published set verifies tokens through createAuthenticator({ key: { jwks } })', async () => {
    const [a, b] = await Promise.all([generateKeys('ES256'), generateKeys('RS256')])
    const authenticator = createAuthenticator({
      algorithms: ['ES256', 'RS256'],
      key: { jwks: publicJwks([a!, b!]) },
    })
    const token = await new SignJWT({ sub: 'j', exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: 'RS256', kid: b!.kid })
      .sign(b!.privateKey)
    const ctx = await authenticator.authenticate({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ctx?.payload.sub).toBe('j')
  })
})
