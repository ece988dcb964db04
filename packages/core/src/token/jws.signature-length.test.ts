// One accepted spelling per signature (issue 12 item 8): RS*/PS* exactly the modulus length
// (RFC 8017 §8.1.2, §8.2.2), ES* exactly twice the curve size (RFC 7518 §3.4), EdDSA exactly 64
// octets (RFC 8032 §5.1.7), on both entries: jose (Web Crypto) and node:crypto.
import {
  b64url,
  b64urlBytes,
  keysFor,
  signToken,
  withSegment,
  type TestKeys,
} from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { createAuthenticatorWith } from '../authenticate.js'
import type { AuthenticatorOptions } from '../types.js'
import { joseSignatureCheck } from './signature-check.js'
import { nodeSignatureCheck } from './signature-check.node.js'
import { isAuthError } from '../errors.js'
import type { JwsAlgorithm } from '../types.js'

// Both signature paths side by side, whichever one `#signature-check` picks for this run.
const portableAuthenticator = (options: AuthenticatorOptions) =>
  createAuthenticatorWith(options, joseSignatureCheck)
const nodeAuthenticator = (options: AuthenticatorOptions) =>
  createAuthenticatorWith(options, nodeSignatureCheck)

const ISSUER = 'https://issuer.example'
const AUDIENCE = 'https://api.example'

async function both(alg: string, keys: TestKeys, token: string): Promise<string[]> {
  const options = {
    algorithms: [alg as JwsAlgorithm],
    key: keys.publicJwk,
    issuer: ISSUER,
    audience: AUDIENCE,
    cache: false as const,
  }
  const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } }
  const out: string[] = []
  for (const create of [portableAuthenticator, nodeAuthenticator]) {
    try {
      await create(options).authenticate(request)
      out.push('ok')
    } catch (err) {
      if (!isAuthError(err)) throw err
      out.push(`${err.code} ${err.status}`)
    }
  }
  return out
}

const signatureOf = (token: string) => b64urlBytes(token.split('.')[2]!)
const withSignature = (token: string, bytes: Uint8Array) => withSegment(token, 2, b64url(bytes))

/** A genuine token whose signature starts with a zero octet (about one in 256 for RSA). */
async function withLeadingZero(alg: string, keys: TestKeys): Promise<string> {
  for (let i = 0; i < 20_000; i++) {
    const token = await signToken(
      { sub: `alice-${i}`, iss: ISSUER, aud: AUDIENCE },
      { alg, key: keys },
    )
    if (signatureOf(token)[0] === 0) return token
  }
  throw new Error(`no ${alg} signature with a leading zero octet`)
}

/** DER (RFC 3279 §2.2.3 Ecdsa-Sig-Value) of a raw r||s signature: what a non-JOSE signer emits. */
function der(raw: Uint8Array): Uint8Array {
  const int = (bytes: Uint8Array) => {
    let i = 0
    while (i < bytes.length - 1 && bytes[i] === 0) i++
    const v = bytes.subarray(i)
    return (v[0]! & 0x80) !== 0 ? [0x02, v.length + 1, 0, ...v] : [0x02, v.length, ...v]
  }
  const body = [...int(raw.subarray(0, raw.length / 2)), ...int(raw.subarray(raw.length / 2))]
  return new Uint8Array([0x30, body.length, ...body])
}

const REFUSED = ['signature_invalid 401', 'signature_invalid 401']

describe('a signature of any other length than the key’s is refused on both entries', () => {
  it.each(['RS256', 'PS256', 'ES512'])(
    '%s: a genuine signature with its leading zero octet dropped (RFC 8017 §8.2.2 step 1)',
    async (alg) => {
      const keys = await keysFor(alg)
      const token = await withLeadingZero(alg, keys)
      expect(await both(alg, keys, token)).toEqual(['ok', 'ok'])
      const forged = withSignature(token, signatureOf(token).subarray(1))
      expect(await both(alg, keys, forged)).toEqual(REFUSED)
    },
    60_000,
  )

  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'])(
    '%s: a genuine signature with an extra leading zero octet, and truncated by one octet',
    async (alg) => {
      const keys = await keysFor(alg)
      const token = await signToken(
        { sub: 'alice', iss: ISSUER, aud: AUDIENCE },
        { alg, key: keys },
      )
      expect(await both(alg, keys, token)).toEqual(['ok', 'ok'])
      const sig = signatureOf(token)
      expect(await both(alg, keys, withSignature(token, new Uint8Array([0, ...sig])))).toEqual(
        REFUSED,
      )
      expect(await both(alg, keys, withSignature(token, sig.subarray(0, -1)))).toEqual(REFUSED)
    },
  )

  it.each(['ES256', 'ES384'])(
    '%s: the genuine signature in DER form (RFC 7518 §3.4)',
    async (alg) => {
      const keys = await keysFor(alg)
      const token = await signToken(
        { sub: 'alice', iss: ISSUER, aud: AUDIENCE },
        { alg, key: keys },
      )
      expect(await both(alg, keys, withSignature(token, der(signatureOf(token))))).toEqual(REFUSED)
    },
  )
})
