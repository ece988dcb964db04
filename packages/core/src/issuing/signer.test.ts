// createTokenIssuer({ signer }): start-up checks of the public key, the first signature verified, failures that issue nothing.
import { createPublicKey, sign as nodeSign } from 'node:crypto'
import { compactDecrypt, decodeProtectedHeader, jwtVerify } from 'jose'
import { keysFor, type TestKeys } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { createTokenIssuer } from './issue.js'
import { derToJoseSignature, SignerError, type TokenSigner } from './signer.js'

// A software stand-in for an HSM: signs with a Web Crypto private key the issuer never sees.
const subtleSigner = (keys: TestKeys, alg: string) => async (input: Uint8Array) => {
  const params = alg.startsWith('ES')
    ? { name: 'ECDSA', hash: `SHA-${alg.slice(2)}` }
    : alg.startsWith('PS')
      ? { name: 'RSA-PSS', saltLength: Number(alg.slice(2)) / 8 }
      : alg === 'EdDSA'
        ? { name: 'Ed25519' }
        : { name: 'RSASSA-PKCS1-v1_5' }
  return new Uint8Array(
    await crypto.subtle.sign(params, keys.privateKey as CryptoKey, input as BufferSource),
  )
}

const withSigner = (signer: Partial<TokenSigner>, alg = 'ES256', extra = {}) =>
  createTokenIssuer({ alg, expiresIn: '5m', signer: signer as TokenSigner, ...extra })

describe('createTokenIssuer({ signer }): tokens tokengate verifies', () => {
  it.each(['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'])(
    '%s: signed by the signer, verified with its published JWKS',
    async (alg) => {
      const keys = await keysFor(alg)
      let calls = 0
      const issuer = withSigner(
        {
          publicKey: keys.publicJwk,
          sign: async (input) => {
            calls++
            return subtleSigner(keys, alg)(input)
          },
        },
        alg,
        { issuer: 'https://gw', audience: 'api' },
      )
      const token = await issuer.issue({ sub: 'u1', scope: 'read' })
      expect(calls).toBe(1)
      expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt', kid: keys.kid })
      const jwks = await issuer.publicJwks()
      expect(jwks.keys).toHaveLength(1)
      expect(jwks.keys[0]).toMatchObject({ kid: keys.kid, alg, use: 'sig' })
      expect(jwks.keys[0]).not.toHaveProperty('d')
      const auth = createAuthenticator({
        algorithms: [alg as 'ES256'],
        key: { jwks },
        issuer: 'https://gw',
        audience: 'api',
      })
      const ctx = await auth.authenticate({
        headers: { authorization: `Bearer ${token}` },
        method: 'GET',
        url: 'http://api/x',
      })
      expect(ctx?.payload.sub).toBe('u1')
    },
  )

  it('takes the public key as SPKI PEM, CryptoKey or KeyObject; kid is then the RFC 7638 thumbprint', async () => {
    const keys = await keysFor('ES256')
    for (const publicKey of [keys.publicPem!, keys.publicKey, createPublicKey(keys.publicPem!)]) {
      const issuer = withSigner({ publicKey, sign: subtleSigner(keys, 'ES256') })
      const token = await issuer.issue({ sub: 'u1' })
      const { keys: published } = await issuer.publicJwks()
      expect(decodeProtectedHeader(token).kid).toBe(published[0]!.kid)
      expect(published[0]!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
      await expect(jwtVerify(token, keys.publicKey as CryptoKey)).resolves.toBeDefined()
    }
  })

  it('picks the key of a JWK Set by options.kid', async () => {
    const a = await keysFor('ES256', { label: 'signer-a' })
    const b = await keysFor('ES256', { label: 'signer-b' })
    const issuer = withSigner(
      { publicKey: { keys: [a.publicJwk, b.publicJwk] }, sign: subtleSigner(b, 'ES256') },
      'ES256',
      { kid: b.kid },
    )
    expect(decodeProtectedHeader(await issuer.issue()).kid).toBe(b.kid)
    expect((await issuer.publicJwks()).keys.map((k) => k.kid)).toEqual([b.kid])
  })

  it('issues a nested JWT (RFC 7519 §5.2) whose inner JWS the signer signed', async () => {
    const keys = await keysFor('ES256')
    const recipient = await keysFor('RSA-OAEP-256')
    const issuer = withSigner(
      { publicKey: keys.publicJwk, sign: subtleSigner(keys, 'ES256') },
      'ES256',
      {
        encryptTo: { key: recipient.publicJwk, alg: 'RSA-OAEP-256' },
      },
    )
    const jwe = await issuer.issue({ sub: 'u1' })
    expect(jwe.split('.')).toHaveLength(5)
    const { plaintext } = await compactDecrypt(jwe, recipient.privateKey as CryptoKey)
    const { payload } = await jwtVerify(
      new TextDecoder().decode(plaintext),
      keys.publicKey as CryptoKey,
    )
    expect(payload.sub).toBe('u1')
  })

  it('ready() signs and verifies a probe that is not a JWS of any token', async () => {
    const keys = await keysFor('ES256')
    const inputs: string[] = []
    const issuer = withSigner({
      publicKey: keys.publicJwk,
      sign: (input) => {
        inputs.push(new TextDecoder().decode(input))
        return subtleSigner(keys, 'ES256')(input)
      },
    })
    await issuer.ready()
    expect(inputs).toHaveLength(1)
    const payload = new TextDecoder().decode(
      Uint8Array.from(atob(inputs[0]!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
        c.charCodeAt(0),
      ),
    )
    expect(payload).toMatch(/^tokengate-signer-probe\./)
    // Trusted after the probe: the next token is not verified again (verify: 'first').
    await issuer.issue({ sub: 'u1' })
    expect(inputs).toHaveLength(2)
  })
})

describe('createTokenIssuer({ signer }): start-up refusals', () => {
  it.each<[string, () => Promise<Record<string, unknown>>, string, RegExp]>([
    [
      'HS256: an HMAC key has nothing to publish or check against',
      async () => ({ publicKey: (await keysFor('ES256')).publicJwk, sign: () => new Uint8Array() }),
      'HS256',
      /cannot sign HS256: an HMAC key has no public half/,
    ],
    [
      'a public key of another curve (RFC 7518 §3.4)',
      async () => ({ publicKey: (await keysFor('ES384')).publicPem, sign: () => new Uint8Array() }),
      'ES256',
      /options\.signer\.publicKey does not fit options\.alg 'ES256'/,
    ],
    [
      'an RSA key for ES256',
      async () => ({ publicKey: (await keysFor('RS256')).publicJwk, sign: () => new Uint8Array() }),
      'ES256',
      /does not fit options\.alg 'ES256'/,
    ],
    [
      'a JWK stating another alg',
      async () => ({
        publicKey: { ...(await keysFor('PS256')).publicJwk, alg: 'PS256' },
        sign: () => new Uint8Array(),
      }),
      'RS256',
      /a JWK for alg "PS256"/,
    ],
    [
      'the private JWK (the key must stay in the HSM)',
      async () => ({
        publicKey: (await keysFor('ES256')).privateJwk,
        sign: () => new Uint8Array(),
      }),
      'ES256',
      /holds private key material \("d"\)/,
    ],
    [
      'a private CryptoKey',
      async () => ({
        publicKey: (await keysFor('ES256')).privateKey,
        sign: () => new Uint8Array(),
      }),
      'ES256',
      /private CryptoKey: give the public key/,
    ],
    [
      'no sign function',
      async () => ({ publicKey: (await keysFor('ES256')).publicJwk }),
      'ES256',
      /options\.signer\.sign must be a function/,
    ],
    [
      'no public key',
      async () => ({ sign: () => new Uint8Array() }),
      'ES256',
      /options\.signer\.publicKey is required/,
    ],
    [
      'an unknown member (typo)',
      async () => ({
        publicKey: (await keysFor('ES256')).publicJwk,
        sign: () => new Uint8Array(),
        verfy: 'every',
      }),
      'ES256',
      /unknown member\(s\) verfy/,
    ],
    [
      'a JWK Set with no key for the alg',
      async () => ({
        publicKey: { keys: [(await keysFor('RS256')).publicJwk] },
        sign: () => new Uint8Array(),
      }),
      'ES256',
      /JWK Set with no signature key for ES256/,
    ],
    [
      'a JWK Set with two keys and no kid',
      async () => ({
        publicKey: {
          keys: [
            (await keysFor('ES256', { label: 'signer-a' })).publicJwk,
            (await keysFor('ES256', { label: 'signer-b' })).publicJwk,
          ].map(({ alg: _alg, ...k }) => k),
        },
        sign: () => new Uint8Array(),
      }),
      'ES256',
      /JWK Set with 2 keys for ES256; set options\.kid/,
    ],
  ])('%s', async (_name, make, alg, message) => {
    const signer = await make()
    expect(() => withSigner(signer, alg)).toThrow(message)
  })

  it('refuses signingKey and signer together, and neither', async () => {
    const keys = await keysFor('ES256')
    const signer = { publicKey: keys.publicJwk, sign: subtleSigner(keys, 'ES256') }
    expect(() =>
      createTokenIssuer({ alg: 'ES256', expiresIn: '5m', signer, signingKey: keys.privatePem! }),
    ).toThrow(/signingKey and options\.signer are both set/)
    expect(() => createTokenIssuer({ alg: 'ES256', expiresIn: '5m' })).toThrow(
      /options\.signingKey is required.*or give options\.signer/,
    )
  })
})

describe('createTokenIssuer({ signer }): a failing signer issues nothing', () => {
  const other = () => keysFor('ES256', { label: 'signer-wrong' })

  it.each<[string, (keys: TestKeys) => Promise<TokenSigner['sign']>, SignerError['code'], RegExp]>([
    [
      'it throws',
      async () => () => {
        throw new Error('HSM session closed')
      },
      'signer_failed',
      /options\.signer\.sign threw; no token was issued/,
    ],
    [
      'it rejects',
      async () => () => Promise.reject(new Error('KMS throttled')),
      'signer_failed',
      /sign threw/,
    ],
    [
      'it returns a string',
      async () => (() => 'c2ln') as unknown as TokenSigner['sign'],
      'signature_malformed',
      /returned string, not a Uint8Array/,
    ],
    [
      'it returns too few bytes',
      async () => () => new Uint8Array(10),
      'signature_malformed',
      /returned 10 bytes; ES256 signatures are 64 bytes/,
    ],
    [
      'it returns DER (RFC 7518 §3.4 wants R || S)',
      async (keys) => async (input) =>
        new Uint8Array(
          nodeSign('sha256', input, {
            key: (await import('node:crypto')).createPrivateKey(keys.privatePem!),
            dsaEncoding: 'der',
          }),
        ),
      'signature_malformed',
      /looks like a DER ECDSA signature; convert it with derToJoseSignature/,
    ],
    [
      'it signs with another key',
      async () => subtleSigner(await other(), 'ES256'),
      'signature_invalid',
      /publicKey does not verify/,
    ],
    [
      'it returns 64 zero bytes',
      async () => () => new Uint8Array(64),
      'signature_invalid',
      /does not verify/,
    ],
  ])('%s', async (_name, make, code, message) => {
    const keys = await keysFor('ES256')
    const issuer = withSigner({ publicKey: keys.publicJwk, sign: await make(keys) })
    const failure = await issuer.issue({ sub: 'u1' }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(failure).toBeInstanceOf(SignerError)
    expect(failure).toMatchObject({ code })
    expect((failure as Error).message).toMatch(message)
    await expect(issuer.ready()).rejects.toMatchObject({ code })
  })

  it("verify: 'every' catches a signer that goes wrong after the first token", async () => {
    const keys = await keysFor('ES256')
    const wrong = await other()
    let n = 0
    const sign = (input: Uint8Array) => subtleSigner(n++ === 0 ? keys : wrong, 'ES256')(input)
    const every = withSigner({ publicKey: keys.publicJwk, sign, verify: 'every' })
    await every.issue({ sub: 'u1' })
    await expect(every.issue({ sub: 'u1' })).rejects.toMatchObject({ code: 'signature_invalid' })
  })

  it('a verification failure does not make the signer trusted', async () => {
    const keys = await keysFor('ES256')
    const wrong = await other()
    let n = 0
    const sign = (input: Uint8Array) => subtleSigner(n++ === 0 ? wrong : keys, 'ES256')(input)
    const issuer = withSigner({ publicKey: keys.publicJwk, sign })
    await expect(issuer.issue()).rejects.toMatchObject({ code: 'signature_invalid' })
    await expect(issuer.issue()).resolves.toMatch(/^ey/)
  })
})

describe('derToJoseSignature (RFC 3279 §2.2.3 to RFC 7518 §3.4)', () => {
  it.each(['ES256', 'ES384', 'ES512'])(
    '%s: a DER signature from node:crypto verifies after conversion',
    async (alg) => {
      const keys = await keysFor(alg)
      const { createPrivateKey } = await import('node:crypto')
      const key = createPrivateKey(keys.privatePem!)
      const hash = `sha${alg.slice(2)}`
      // Many signatures, so that r or s with a high bit (a leading 0x00 in DER) and short ones occur.
      for (let i = 0; i < 40; i++) {
        const input = new TextEncoder().encode(`input-${i}`)
        const der = nodeSign(hash, input, { key, dsaEncoding: 'der' })
        const jose = derToJoseSignature(new Uint8Array(der), alg)
        const raw = nodeSign(hash, input, { key, dsaEncoding: 'ieee-p1363' })
        expect(jose.length).toBe(raw.length)
        const ok = await crypto.subtle.verify(
          { name: 'ECDSA', hash: `SHA-${alg.slice(2)}` },
          keys.publicKey as CryptoKey,
          jose as BufferSource,
          input as BufferSource,
        )
        expect(ok).toBe(true)
      }
    },
  )

  it.each<[string, Uint8Array, string, RegExp]>([
    ['not an ECDSA alg', new Uint8Array([0x30, 0]), 'RS256', /'RS256' is not an ECDSA alg/],
    ['not DER', new Uint8Array(64), 'ES256', /not a DER ECDSA signature for ES256/],
    ['trailing bytes', new Uint8Array([0x30, 6, 2, 1, 1, 2, 1, 1, 0]), 'ES256', /not a DER/],
    [
      'an integer too long',
      new Uint8Array([0x30, 38, 2, 33, 1, ...new Uint8Array(32), 2, 1, 1]),
      'ES256',
      /not a DER/,
    ],
  ])('refuses %s', (_name, der, alg, message) => {
    expect(() => derToJoseSignature(der, alg)).toThrow(message)
  })
})
