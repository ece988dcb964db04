// Unsafe configurations fail at start-up, naming the option, never echoing key material.
import { createAuthenticator } from '@tokengate/core'
import { keysFor, type TestKeys } from '@tokengate/testkit'
import { generateKeyPairSync } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { keySecrets } from './support/leaks.js'

let rsa: TestKeys
let ec: TestKeys
let encRsa: TestKeys
const shortSecret = new Uint8Array(16).fill(7)
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })

beforeAll(async () => {
  ;[rsa, ec, encRsa] = await Promise.all([
    keysFor('RS256', { kid: 'rsa-1' }),
    keysFor('ES256', { kid: 'ec-1' }),
    keysFor('RSA-OAEP-256', { kid: 'enc-rsa-1' }),
  ])
})

interface StartupCase {
  name: string
  ref: string
  options: () => unknown
  /** A word the message must contain: the option to fix. */
  names: string
}

const cases: StartupCase[] = [
  ...['none', 'None', 'NONE', 'nOnE'].map((alg): StartupCase => ({
    name: `algorithms contains "${alg}"`,
    ref: 'RFC 8725 §3.1',
    options: () => ({ algorithms: ['RS256', alg], key: rsa.publicPem }),
    names: 'algorithms',
  })),
  {
    name: 'algorithms is empty',
    ref: 'RFC 8725 §3.1 (the verifier chooses)',
    options: () => ({ algorithms: [], key: rsa.publicPem }),
    names: 'algorithms',
  },
  {
    name: 'HS256 next to RS256 with an RSA public key (algorithm confusion)',
    ref: 'CVE-2022-23541, RFC 8725 §3.1',
    options: () => ({ algorithms: ['HS256', 'RS256'], key: rsa.publicPem }),
    names: 'HS256',
  },
  {
    name: 'HS256 with an RSA public key PEM',
    ref: 'CVE-2015-9235',
    options: () => ({ algorithms: ['HS256'], key: rsa.publicPem }),
    names: 'HS256',
  },
  {
    name: 'HS384 with an EC public JWK',
    ref: 'CVE-2023-48223',
    options: () => ({ algorithms: ['HS384'], key: ec.publicJwk }),
    names: 'HS384',
  },
  {
    name: 'RS256 with an EC key',
    ref: 'RFC 7518 §3.1',
    options: () => ({ algorithms: ['RS256'], key: ec.publicJwk }),
    names: 'RS256',
  },
  {
    name: 'HS256 with a 16-byte secret',
    ref: 'RFC 7518 §3.2 (at least the hash size)',
    options: () => ({ algorithms: ['HS256'], key: shortSecret }),
    names: 'HS256',
  },
  {
    name: 'RS256 with a 1024-bit RSA key',
    ref: 'RFC 7518 §3.3 (2048 bits or larger)',
    options: () => ({
      algorithms: ['RS256'],
      key: weakRsa.publicKey.export({ type: 'spki', format: 'pem' }),
    }),
    names: '2048',
  },
  {
    name: 'a private KeyObject as the verification key',
    ref: 'least privilege',
    options: () => ({ algorithms: ['RS256'], key: weakRsa.privateKey }),
    names: 'private',
  },
  {
    name: 'a remote JWKS over plain http to another host',
    ref: 'RFC 8725 §3.10, RFC 7517 §8',
    options: () => ({
      algorithms: ['RS256'],
      key: { jwksUri: 'http://keys.example.com/jwks.json' },
    }),
    names: 'https',
  },
  {
    name: 'a remote JWKS with HMAC algorithms (secrets never come from a URL)',
    ref: 'RFC 8725 §3.10',
    options: () => ({
      algorithms: ['HS256'],
      key: { jwksUri: 'https://keys.example.com/jwks.json' },
    }),
    names: 'jwksUri',
  },
  {
    name: 'decrypt with RSA1_5',
    ref: 'RFC 8725 §3.2 (Bleichenbacher)',
    options: () => ({
      algorithms: ['RS256'],
      key: rsa.publicPem,
      decrypt: { keys: encRsa.privateKey, keyManagementAlgorithms: ['RSA1_5'] },
    }),
    names: 'RSA1_5',
  },
  {
    name: 'allowUnsignedPayload with public-key key management',
    ref: 'RFC 7519 §5.2 (anyone can encrypt to a public key)',
    options: () => ({
      algorithms: ['RS256'],
      key: rsa.publicPem,
      decrypt: {
        keys: encRsa.privateKey,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
        allowUnsignedPayload: true,
      },
    }),
    names: 'allowUnsignedPayload',
  },
  {
    name: 'decrypt.required misspelt as a string',
    ref: 'a typo must not weaken the policy',
    options: () => ({
      algorithms: ['RS256'],
      key: rsa.publicPem,
      decrypt: {
        keys: encRsa.privateKey,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
        required: 'yes',
      },
    }),
    names: 'required',
  },
  {
    name: 'maxTokenLength of 0',
    ref: 'maxTokenLength',
    options: () => ({ algorithms: ['RS256'], key: rsa.publicPem, maxTokenLength: 0 }),
    names: 'maxTokenLength',
  },
]

describe('start-up refuses unsafe configuration', () => {
  it.each(cases)('$name ($ref)', (c) => {
    let error: unknown
    try {
      createAuthenticator(c.options() as Parameters<typeof createAuthenticator>[0])
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(Error)
    const message = (error as Error).message
    expect(message).toMatch(/^tokengate: /)
    expect(message).toContain(c.names)
    const pemLine = (weakRsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).split(
      '\n',
    )[1] as string
    const leaked = [...keySecrets([rsa, ec, encRsa], [shortSecret]), pemLine].filter((s) =>
      message.includes(s),
    )
    expect(leaked).toEqual([])
  })
})
