// The node:crypto check verifies RSA and ECDSA through a Verify object (createVerify) rather than the
// one-shot verify() (perf, issue 17). These tests pin the signature forms each algorithm accepts,
// against jose on the same token and key: RSASSA-PSS only with a salt as long as the hash (RFC 7518
// §3.5), PKCS#1 v1.5 and PSS never for each other, ECDSA only as r||s (RFC 7518 §3.4), never DER.
import { constants, createPrivateKey, sign, type KeyObject } from 'node:crypto'
import { b64url, keysFor } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { joseSignatureCheck } from './signature-check.js'
import { nodeSignatureCheck } from './signature-check.node.js'

const encode = (value: object) => b64url(new TextEncoder().encode(JSON.stringify(value)))

/** header.payload signed by `signer` over its exact bytes. */
function token(alg: string, signer: (input: Buffer) => Buffer): string {
  const input = `${encode({ alg })}.${encode({ sub: 'alice' })}`
  return `${input}.${b64url(new Uint8Array(signer(Buffer.from(input))))}`
}

async function verdict(check: () => Uint8Array | Promise<Uint8Array>): Promise<string> {
  try {
    await check()
    return 'ok'
  } catch (err) {
    return (err as Error).constructor.name
  }
}

/** The node:crypto verdict, after checking that jose gives the same one. */
async function both(jws: string, key: CryptoKey, alg: string): Promise<string> {
  const node = await verdict(() => nodeSignatureCheck(jws, key, alg))
  expect(await verdict(() => joseSignatureCheck(jws, key, alg))).toBe(node)
  return node
}

async function pair(alg: string): Promise<{ key: CryptoKey; privateKey: KeyObject }> {
  const keys = await keysFor(alg)
  return { key: keys.publicKey as CryptoKey, privateKey: createPrivateKey(keys.privatePem!) }
}

const FAILED = 'JWSSignatureVerificationFailed'

describe('RSASSA-PSS: the salt is as long as the hash (RFC 7518 §3.5)', () => {
  it.each<[string, string, number]>([
    ['PS256', 'sha256', 32],
    ['PS384', 'sha384', 48],
    ['PS512', 'sha512', 64],
  ])('%s: salt %i accepted; salt 0, 20 and the maximum refused', async (alg, digest, salt) => {
    const { key, privateKey } = await pair(alg)
    const pss = (saltLength: number) =>
      token(alg, (input) =>
        sign(digest, input, {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength,
        }),
      )
    expect(await both(pss(salt), key, alg)).toBe('ok')
    for (const other of [0, 20, constants.RSA_PSS_SALTLEN_MAX_SIGN])
      expect(await both(pss(other), key, alg)).toBe(FAILED)
  })
})

describe('PKCS#1 v1.5 and PSS are never taken for each other (RFC 7518 §3.3, §3.5)', () => {
  it('a PSS signature under RS256 and a v1.5 signature under PS256 are refused', async () => {
    const { key: rsKey, privateKey: rsPrivate } = await pair('RS256')
    const pssUnderRs = token('RS256', (input) =>
      sign('sha256', input, {
        key: rsPrivate,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      }),
    )
    expect(await both(pssUnderRs, rsKey, 'RS256')).toBe(FAILED)
    const { key: psKey, privateKey: psPrivate } = await pair('PS256')
    const v15UnderPs = token('PS256', (input) =>
      sign('sha256', input, { key: psPrivate, padding: constants.RSA_PKCS1_PADDING }),
    )
    expect(await both(v15UnderPs, psKey, 'PS256')).toBe(FAILED)
    const v15 = token('RS256', (input) => sign('sha256', input, rsPrivate))
    expect(await both(v15, rsKey, 'RS256')).toBe('ok')
  })
})

describe('ECDSA signatures are r||s, never DER (RFC 7518 §3.4)', () => {
  it.each<[string, string]>([
    ['ES256', 'sha256'],
    ['ES384', 'sha384'],
    ['ES512', 'sha512'],
  ])('%s: the r||s form accepted, the same signature in DER refused', async (alg, digest) => {
    const { key, privateKey } = await pair(alg)
    const p1363 = token(alg, (input) =>
      sign(digest, input, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
    )
    const der = token(alg, (input) => sign(digest, input, { key: privateKey, dsaEncoding: 'der' }))
    expect(await both(p1363, key, alg)).toBe('ok')
    expect(await both(der, key, alg)).toBe(FAILED)
  })
})
