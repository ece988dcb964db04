// Key description, algorithm fit (RFC 7518 §3, RFC 8725 §3.1) and key selection for a token.
import { createSecretKey, generateKeyPairSync } from 'node:crypto'
import { keysFor } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import { StaticKeySource } from './source.js'
import { misfit, type KeyShape as KeyDescription } from './algorithms.js'
import { fittingAlgorithms, MAX_CANDIDATES, prepareJwk, prepareKey } from './public-key.js'
import type { KeyMaterial } from '../types.js'

describe('misfit: which key verifies which alg', () => {
  it.each<[string, KeyDescription, string, boolean]>([
    ['32-byte secret, HS256', { kty: 'oct', bytes: 32 }, 'HS256', true],
    ['32-byte secret, HS384', { kty: 'oct', bytes: 32 }, 'HS384', false],
    ['64-byte secret, HS512', { kty: 'oct', bytes: 64 }, 'HS512', true],
    ['secret, RS256', { kty: 'oct', bytes: 64 }, 'RS256', false],
    ['RSA 2048, RS256', { kty: 'RSA', bits: 2048, pssOnly: false }, 'RS256', true],
    ['RSA 2048, PS512', { kty: 'RSA', bits: 2048, pssOnly: false }, 'PS512', true],
    ['RSA 2047, RS256', { kty: 'RSA', bits: 2047, pssOnly: false }, 'RS256', false],
    ['RSASSA-PSS key, RS256', { kty: 'RSA', bits: 2048, pssOnly: true }, 'RS256', false],
    ['RSASSA-PSS key, PS256', { kty: 'RSA', bits: 2048, pssOnly: true }, 'PS256', true],
    ['RSA, ES256', { kty: 'RSA', bits: 2048, pssOnly: false }, 'ES256', false],
    ['P-256, ES256', { kty: 'EC', crv: 'P-256' }, 'ES256', true],
    ['P-384, ES256', { kty: 'EC', crv: 'P-384' }, 'ES256', false],
    ['P-521, ES512', { kty: 'EC', crv: 'P-521' }, 'ES512', true],
    ['Ed25519, EdDSA', { kty: 'OKP', crv: 'Ed25519' }, 'EdDSA', true],
    ['Ed25519, Ed25519', { kty: 'OKP', crv: 'Ed25519' }, 'Ed25519', true],
    ['Ed448, EdDSA', { kty: 'OKP', crv: 'Ed448' }, 'EdDSA', false],
    ['X25519, EdDSA', { kty: 'OKP', crv: 'X25519' }, 'EdDSA', false],
    [
      'CryptoKey bound to ES256, ES256',
      { kty: 'CryptoKey', algs: ['ES256'], label: 'ECDSA/P-256' },
      'ES256',
      true,
    ],
    [
      'CryptoKey bound to ES256, ES384',
      { kty: 'CryptoKey', algs: ['ES256'], label: 'ECDSA/P-256' },
      'ES384',
      false,
    ],
    ['anything, an unknown alg', { kty: 'oct', bytes: 64 }, 'HS1', false],
  ])('%s', (_name, desc, alg, fits) => {
    expect(misfit(desc, alg) === undefined).toBe(fits)
  })
})

describe('prepareKey', () => {
  it('takes a Node KeyObject through its JWK form; refuses a private one', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    expect(prepareKey(publicKey as unknown as KeyMaterial, 'options.key').desc).toEqual({
      kty: 'EC',
      crv: 'P-384',
    })
    expect(
      prepareKey(createSecretKey(new Uint8Array(48)) as unknown as KeyMaterial, 'options.key').desc,
    ).toEqual({ kty: 'oct', bytes: 48 })
    expect(() => prepareKey(privateKey as unknown as KeyMaterial, 'options.key')).toThrow(
      'tokengate: options.key is a private KeyObject: give the public key',
    )
  })

  it('reads the RSA size from a JWK modulus', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = publicKey.export({ format: 'jwk' })
    expect(prepareJwk(jwk as never, 'k').desc).toEqual({ kty: 'RSA', bits: 2048, pssOnly: false })
  })

  it("a JWK's own alg narrows the fitting algorithms", () => {
    const prepared = prepareJwk({ kty: 'RSA', n: 'AQAB'.repeat(86), e: 'AQAB', alg: 'PS256' }, 'k')
    expect(fittingAlgorithms(prepared, ['RS256', 'PS256'])).toEqual(['PS256'])
  })

  it('a string secret counts its UTF-8 bytes', () => {
    expect(prepareKey('ü'.repeat(16), 'k').desc).toEqual({ kty: 'oct', bytes: 32 })
  })
})

describe('StaticKeySource: keys for a token', () => {
  it('one configured key: the kid is irrelevant', async () => {
    const source = new StaticKeySource(
      [{ prepared: prepareKey(new Uint8Array(32), 'k'), kid: undefined, algs: ['HS256'] }],
      false,
    )
    const keys = await source.select('HS256', 'anything')
    expect(keys).toHaveLength(1)
    expect(source.select('HS256', undefined)).toBe(keys) // imported once, then synchronous
  })

  it('a set: by kid; without kid, at most MAX_CANDIDATES fitting keys; no fitting key is key_not_found', async () => {
    const all = await Promise.all(
      Array.from({ length: MAX_CANDIDATES + 2 }, (_, i) => keysFor('ES256', { label: `s${i}` })),
    )
    const source = new StaticKeySource(
      all.map((k) => ({ prepared: prepareJwk(k.publicJwk, 'k'), kid: k.kid, algs: ['ES256'] })),
      true,
    )
    expect(await source.select('ES256', all[3]!.kid)).toHaveLength(1)
    expect(await source.select('ES256', undefined)).toHaveLength(MAX_CANDIDATES)
    for (const [alg, kid] of [
      ['ES256', 'unknown'],
      ['ES384', undefined],
    ] as const) {
      let err: unknown
      try {
        await source.select(alg, kid)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(AuthError)
      expect([(err as AuthError).code, (err as AuthError).status]).toEqual(['key_not_found', 401])
    }
  })
})
