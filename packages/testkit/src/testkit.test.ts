// The fixtures themselves: every builder yields what it claims (checked with jose, an independent path).
import { compactDecrypt, compactVerify, importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  decodeHeader,
  encryptToken,
  foreignEncrypt,
  foreignSign,
  fromB64url,
  hmacSign,
  keysFor,
  makeKeys,
  nestedToken,
  randomSecret,
  rawToken,
  signToken,
  SIGNING_ALGS,
  tamper,
} from './index.js'

describe('keys', () => {
  it.each([
    ['HS256', 32],
    ['HS384', 48],
    ['HS512', 64],
    ['A128KW', 16],
    ['A256GCMKW', 32],
  ])('%s secret is %i bytes', (alg, bytes) => {
    expect(randomSecret(alg)).toHaveLength(bytes)
  })

  it('dir secret size follows enc', () => {
    expect(randomSecret('dir', 'A128CBC-HS256')).toHaveLength(32)
    expect(randomSecret('dir', 'A256CBC-HS512')).toHaveLength(64)
  })

  it('keysFor memoises by label', async () => {
    expect(await keysFor('ES256')).toBe(await keysFor('ES256'))
    expect(await keysFor('ES256', { label: 'b' })).not.toBe(await keysFor('ES256'))
  })

  it('pairs carry PEM and public JWKs without private members', async () => {
    const keys = await makeKeys('RSA-OAEP-256')
    expect(keys.privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
    expect(keys.publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    expect(keys.publicJwk).not.toHaveProperty('d')
    expect(keys.publicJwk).toMatchObject({ use: 'enc', alg: 'RSA-OAEP-256', kid: keys.kid })
  })
})

describe('signToken', () => {
  it.each(SIGNING_ALGS)('%s verifies with jose', async (alg) => {
    const keys = await keysFor(alg)
    const token = await signToken({ sub: 'alice' }, { alg, key: keys, typ: 'at+jwt' })
    const { payload, protectedHeader } = await jwtVerify(token, keys.publicKey)
    expect(payload.sub).toBe('alice')
    expect(payload.exp! - payload.iat!).toBe(3600)
    expect(protectedHeader).toMatchObject({ alg, kid: keys.kid, typ: 'at+jwt' })
  })

  it('kid null and exp false omit them', async () => {
    const keys = await keysFor('HS256')
    const token = await signToken({}, { alg: 'HS256', key: keys, kid: null, exp: false })
    expect(decodeHeader(token)).toEqual({ alg: 'HS256' })
    expect(JSON.parse(fromB64url(token.split('.')[1]!))).not.toHaveProperty('exp')
  })
})

describe('raw builders', () => {
  it('rawToken encodes parts verbatim', () => {
    const token = rawToken({ alg: 'none' }, { sub: 'x' })
    expect(token.endsWith('.')).toBe(true)
    expect(decodeHeader(token)).toEqual({ alg: 'none' })
  })

  it('hmacSign produces a valid HS256 signature over any secret', async () => {
    const secret = new TextEncoder().encode('-----BEGIN PUBLIC KEY-----\nnot really\n')
    const token = hmacSign({ alg: 'HS256' }, { sub: 'x' }, secret)
    await expect(compactVerify(token, secret)).resolves.toBeTruthy()
  })

  it('tamper changes exactly one segment', () => {
    const token = 'aaa.bbb.ccc'
    expect(tamper(token, 1)).toBe('aaa.Abb.ccc')
    expect(tamper(token, 2, '')).toBe('aaa.bbb.')
  })
})

describe('encryptToken', () => {
  it('builds nested tokens and honours header overrides', async () => {
    const sig = await keysFor('ES256')
    const enc = await keysFor('ECDH-ES+A256KW')
    const jwe = await nestedToken(
      { sub: 'n' },
      { alg: 'ES256', key: sig },
      { alg: 'ECDH-ES+A256KW', key: enc, enc: 'A128CBC-HS256' },
    )
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, enc.privateKey)
    expect(protectedHeader).toMatchObject({ cty: 'JWT', enc: 'A128CBC-HS256', kid: enc.kid })
    const { payload } = await jwtVerify(new TextDecoder().decode(plaintext), sig.publicKey)
    expect(payload.sub).toBe('n')
  })

  it('can set zip and p2c', async () => {
    const secret = randomSecret('dir', 'A256GCM')
    const zipped = await encryptToken({ sub: 'z' }, { alg: 'dir', key: secret, zip: 'DEF' })
    expect(decodeHeader(zipped).zip).toBe('DEF')
    const pbes = await encryptToken('x', {
      alg: 'PBES2-HS256+A128KW',
      key: new TextEncoder().encode('pw'),
      p2c: 1000,
    })
    expect(decodeHeader(pbes).p2c).toBe(1000)
  })
})

describe('node-jose builders', () => {
  it('foreignSign verifies with jose', async () => {
    const keys = await keysFor('RS256')
    const token = await foreignSign(
      { sub: 'f' },
      { alg: 'RS256', jwk: keys.privateJwk, typ: 'at+jwt' },
    )
    const { payload, protectedHeader } = await jwtVerify(token, keys.publicKey)
    expect(payload.sub).toBe('f')
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: keys.kid, typ: 'at+jwt' })
  })

  it.each([
    ['RSA-OAEP-256', 'A256GCM'],
    ['ECDH-ES', 'A128CBC-HS256'],
    ['A256KW', 'A256GCM'],
    ['dir', 'A256GCM'],
  ])('foreignEncrypt %s/%s decrypts with jose', async (alg, enc) => {
    const keys = await keysFor(alg, { enc })
    const jwe = await foreignEncrypt('hello', { alg, enc, jwk: keys.publicJwk, cty: 'at+jwt' })
    const { plaintext, protectedHeader } = await compactDecrypt(
      jwe,
      await importJWK(keys.privateJwk, alg),
    )
    expect(new TextDecoder().decode(plaintext)).toBe('hello')
    expect(protectedHeader).toMatchObject({ alg, enc, cty: 'at+jwt', kid: keys.kid })
  })

  it('foreignEncrypt with kid null has no kid', async () => {
    const keys = await keysFor('A128KW')
    const jwe = await foreignEncrypt('x', {
      alg: 'A128KW',
      enc: 'A128GCM',
      jwk: keys.publicJwk,
      kid: null,
    })
    expect(decodeHeader(jwe)).not.toHaveProperty('kid')
  })
})
