// Start-up reading of PEM keys and certificates: the key type, curve and RSA size (RFC 5280, RFC 8017).
import { generateKeyPairSync } from 'node:crypto'
import { attackerKeys } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { looksLikePem, readPem } from './der.js'

type KeyType = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'x25519'
const spki = (type: KeyType, options: object): string =>
  (generateKeyPairSync as (t: string, o: object) => { publicKey: { export(o: object): unknown } })(
    type,
    options,
  ).publicKey.export({ type: 'spki', format: 'pem' }) as string

describe('readPem', () => {
  it.each<[string, () => string, unknown]>([
    [
      'RSA 2048',
      () => spki('rsa', { modulusLength: 2048 }),
      { format: 'spki', key: { kty: 'RSA', bits: 2048, pssOnly: false } },
    ],
    [
      'RSA 1024',
      () => spki('rsa', { modulusLength: 1024 }),
      { format: 'spki', key: { kty: 'RSA', bits: 1024, pssOnly: false } },
    ],
    [
      'RSASSA-PSS key',
      () => spki('rsa-pss', { modulusLength: 2048 }),
      { format: 'spki', key: { kty: 'RSA', bits: 2048, pssOnly: true } },
    ],
    [
      'EC P-256',
      () => spki('ec', { namedCurve: 'P-256' }),
      { format: 'spki', key: { kty: 'EC', crv: 'P-256' } },
    ],
    [
      'EC P-384',
      () => spki('ec', { namedCurve: 'P-384' }),
      { format: 'spki', key: { kty: 'EC', crv: 'P-384' } },
    ],
    [
      'EC P-521',
      () => spki('ec', { namedCurve: 'P-521' }),
      { format: 'spki', key: { kty: 'EC', crv: 'P-521' } },
    ],
    [
      'EC secp256k1 (not a JWS curve)',
      () => spki('ec', { namedCurve: 'secp256k1' }),
      { format: 'spki', key: { kty: 'EC', crv: 'unknown curve' } },
    ],
    ['Ed25519', () => spki('ed25519', {}), { format: 'spki', key: { kty: 'OKP', crv: 'Ed25519' } }],
    ['Ed448', () => spki('ed448', {}), { format: 'spki', key: { kty: 'OKP', crv: 'Ed448' } }],
    [
      'X25519 (a key-agreement key)',
      () => spki('x25519', {}),
      { format: 'spki', key: { kty: 'OKP', crv: 'X25519' } },
    ],
    [
      'an X.509 certificate of a P-256 key',
      () =>
        `-----BEGIN CERTIFICATE-----\n${Buffer.from(attackerKeys().certificate).toString('base64')}\n-----END CERTIFICATE-----\n`,
      { format: 'x509', key: { kty: 'EC', crv: 'P-256' } },
    ],
    [
      'CRLF line endings and surrounding whitespace',
      () => `  ${spki('ec', { namedCurve: 'P-256' }).replace(/\n/g, '\r\n')}  `,
      { format: 'spki', key: { kty: 'EC', crv: 'P-256' } },
    ],
  ])('%s', (_name, pem, expected) => {
    expect(readPem(pem(), 'options.key')).toEqual(expected)
  })

  it.each<[string, string, string]>([
    [
      'a private key',
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
      'is a private key',
    ],
    [
      'an EC private key',
      '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----',
      'is a private key',
    ],
    [
      'PKCS#1',
      '-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----',
      "is a 'RSA PUBLIC KEY' PEM",
    ],
    [
      'mismatched armour',
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END CERTIFICATE-----',
      'is not valid PEM text',
    ],
    [
      'truncated DER',
      '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----',
      'does not hold a readable SPKI public key',
    ],
    [
      'a certificate of garbage',
      '-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----',
      'does not hold a readable X.509 certificate',
    ],
  ])('refuses %s', (_name, pem, message) => {
    expect(() => readPem(pem, 'options.key')).toThrow(message)
  })

  it('looksLikePem', () => {
    expect(looksLikePem('\n-----BEGIN PUBLIC KEY-----')).toBe(true)
    expect(looksLikePem('a-secret-that-is-long-enough-0123456789')).toBe(false)
  })
})
