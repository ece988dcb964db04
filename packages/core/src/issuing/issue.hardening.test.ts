// createTokenIssuer, round 3 hardening (issue 21): short HMAC keys in every form, recipient key use, per-token overrides, typ and the lifetime cap.
import { createSecretKey } from 'node:crypto'
import { decodeProtectedHeader } from 'jose'
import { fromB64url, keysFor, randomSecret } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { createTokenIssuer, type IssueOverrides, type TokenIssuerOptions } from './issue.js'
import type { KeyMaterial } from '../types.js'

const hmacKey = (bytes: number, hash = 'SHA-256') =>
  crypto.subtle.importKey(
    'raw',
    crypto.getRandomValues(new Uint8Array(bytes)),
    { name: 'HMAC', hash },
    false,
    ['sign', 'verify'],
  )
const base = async (): Promise<TokenIssuerOptions> => ({
  signingKey: (await keysFor('ES256')).privateJwk,
  alg: 'ES256',
  expiresIn: '15m',
})

describe('createTokenIssuer: an HMAC key shorter than the hash, in every form (RFC 7518 §3.2)', () => {
  it.each<[string, string, () => Promise<TokenIssuerOptions['signingKey']>, RegExp]>([
    [
      'an 8-byte HMAC CryptoKey for HS256',
      'HS256',
      () => hmacKey(8),
      /8-byte HMAC CryptoKey; HS256 needs at least 32/,
    ],
    [
      'a 32-byte HMAC CryptoKey for HS512',
      'HS512',
      () => hmacKey(32, 'SHA-512'),
      /32-byte HMAC CryptoKey; HS512 needs at least 64/,
    ],
    [
      'an 8-byte secret KeyObject for HS256',
      'HS256',
      async () => createSecretKey(crypto.getRandomValues(new Uint8Array(8))),
      /8-byte secret; HS256 needs at least 32/,
    ],
  ])('refuses %s at start-up', async (_name, alg, key, message) => {
    const signingKey = await key()
    expect(() => createTokenIssuer({ signingKey, alg, expiresIn: 60 })).toThrow(message)
  })

  it.each<[string, string, () => Promise<TokenIssuerOptions['signingKey']>]>([
    ['a 32-byte HMAC CryptoKey for HS256', 'HS256', () => hmacKey(32)],
    ['a 64-byte HMAC CryptoKey for HS512', 'HS512', () => hmacKey(64, 'SHA-512')],
    [
      'a 48-byte secret KeyObject for HS384',
      'HS384',
      async () => createSecretKey(randomSecret('HS384')),
    ],
  ])('accepts %s', async (_name, alg, key) => {
    const issuer = createTokenIssuer({ signingKey: await key(), alg, expiresIn: 60 })
    expect((await issuer.issue({ sub: 's' })).split('.')).toHaveLength(3)
  })
})

describe('createTokenIssuer: encryptTo refuses a key meant for signatures (RFC 7517 §4.2, §4.3)', () => {
  it.each<[string, (jwk: Record<string, unknown>) => Record<string, unknown>, RegExp]>([
    ['use "sig"', (jwk) => ({ ...jwk, use: 'sig' }), /use "sig"; a key tokens are encrypted to/],
    ['key_ops ["verify"]', (jwk) => ({ ...jwk, key_ops: ['verify'] }), /key_ops allow none of/],
    ['key_ops that is not a list', (jwk) => ({ ...jwk, key_ops: 'encrypt' }), /key_ops/],
  ])('refuses a recipient JWK with %s', async (_name, change, message) => {
    const recipient = await keysFor('RSA-OAEP-256')
    const key = change(recipient.publicJwk as Record<string, unknown>)
    const options = await base()
    expect(() =>
      createTokenIssuer({
        ...options,
        encryptTo: { key: key as KeyMaterial, alg: 'RSA-OAEP-256' },
      }),
    ).toThrow(message)
  })

  it.each([
    ['use "enc"', { use: 'enc' }],
    ['key_ops ["wrapKey"]', { key_ops: ['wrapKey'] }],
    ['neither', { use: undefined, key_ops: undefined }],
  ])('accepts a recipient JWK with %s', async (_name, extra) => {
    const recipient = await keysFor('RSA-OAEP-256')
    const issuer = createTokenIssuer({
      ...(await base()),
      encryptTo: { key: { ...recipient.publicJwk, ...extra }, alg: 'RSA-OAEP-256' },
    })
    expect((await issuer.issue({ sub: 's' })).split('.')).toHaveLength(5)
  })
})

describe('issue(): per-token overrides and claims are validated like options', () => {
  it.each<[string, unknown, unknown, RegExp]>([
    ['an empty jti (revocation keys on it)', {}, { jti: '' }, /overrides\.jti must be a non-empty/],
    ['a numeric jti', {}, { jti: 7 }, /overrides\.jti/],
    ['an empty audience', {}, { audience: '' }, /overrides\.audience must be a non-empty/],
    ['an empty audience list', {}, { audience: [] }, /overrides\.audience must be a non-empty/],
    ['an audience list with an empty entry', {}, { audience: ['api', ''] }, /overrides\.audience/],
    ['a NaN lifetime', {}, { expiresIn: Number.NaN }, /overrides\.expiresIn/],
    ['an infinite lifetime', {}, { expiresIn: Infinity }, /overrides\.expiresIn/],
    ['an infinite notBefore', {}, { notBefore: -Infinity }, /overrides\.notBefore/],
    ['an unknown override (typo)', {}, { expiresin: 60 }, /unknown override\(s\) expiresin/],
    ['overrides that are not an object', {}, 'jti', /overrides must be an object/],
    ['a numeric sub (RFC 7519 §4.1.2)', { sub: 42 }, {}, /claims\.sub must be a non-empty string/],
    ['an empty sub', { sub: '' }, {}, /claims\.sub must be a non-empty string/],
  ])('refuses %s', async (_name, claims, overrides, message) => {
    const issuer = createTokenIssuer(await base())
    await expect(
      issuer.issue(claims as Record<string, unknown>, overrides as IssueOverrides),
    ).rejects.toThrow(message)
  })
})

describe('typ: access tokens are typed at+jwt by default (RFC 9068 §2.1)', () => {
  it('sets typ at+jwt when none is configured, and an authenticator requiring it accepts the token', async () => {
    const keys = await keysFor('ES256')
    const token = await createTokenIssuer({
      signingKey: keys.privateJwk,
      alg: 'ES256',
      expiresIn: 60,
    }).issue({ sub: 's' })
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt')
    const authenticator = createAuthenticator({
      algorithms: ['ES256'],
      key: keys.publicJwk,
      typ: 'application/at+jwt',
    })
    const ctx = await authenticator.authenticate({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ctx?.payload.sub).toBe('s')
  })

  it('takes another typ, or none with typ: false', async () => {
    const options = await base()
    const jwt = await createTokenIssuer({ ...options, typ: 'JWT' }).issue()
    expect(decodeProtectedHeader(jwt).typ).toBe('JWT')
    const bare = await createTokenIssuer({ ...options, typ: false }).issue()
    expect(decodeProtectedHeader(bare)).not.toHaveProperty('typ')
  })
})

describe('lifetime cap: 24 hours unless raised on purpose', () => {
  it('refuses at start-up an expiresIn over the default 24 h, saying how to fix it', async () => {
    const options = await base()
    expect(() => createTokenIssuer({ ...options, expiresIn: '25h' })).toThrow(
      /options\.expiresIn is 90000 s, over the 86400 s maximum lifetime.*raise options\.maxLifetime/,
    )
    expect(() => createTokenIssuer({ ...options, expiresIn: '24h' })).not.toThrow()
  })

  it('refuses a per-token expiresIn over the cap', async () => {
    const issuer = createTokenIssuer({ ...(await base()), maxLifetime: '1h' })
    await expect(issuer.issue({}, { expiresIn: '2h' })).rejects.toThrow(
      /overrides\.expiresIn is 7200 s, over the 3600 s maximum/,
    )
    await expect(issuer.issue({}, { expiresIn: '1h' })).resolves.toEqual(expect.any(String))
  })

  it('maxLifetime raises the cap explicitly', async () => {
    const issuer = createTokenIssuer({ ...(await base()), expiresIn: '7d', maxLifetime: '30d' })
    const payload = JSON.parse(fromB64url((await issuer.issue()).split('.')[1]!)) as {
      exp: number
      iat: number
    }
    expect(payload.exp - payload.iat).toBe(7 * 86400)
  })
})
