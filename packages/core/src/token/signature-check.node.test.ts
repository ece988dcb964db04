// The node:crypto signature path against jose's: the same verdict, code and status for every JWS
// algorithm on valid, tampered and misfit input (RFC 7515 §5.2, RFC 7518 §3, RFC 8037 §3.1).
import {
  SIGNING_ALGS,
  b64url,
  b64urlBytes,
  flipBit,
  keysFor,
  makeKeys,
  signToken,
  withHeader,
  withSegment,
  type TestKeys,
} from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { createAuthenticatorWith } from '../authenticate.js'
import { joseSignatureCheck } from './signature-check.js'
import { nodeSignatureCheck } from './signature-check.node.js'
import { isAuthError } from '../errors.js'
import type { KeySource } from '../keys/public-key.js'
import type { AuthenticatorOptions } from '../types.js'
import { verifyJws } from './jws.js'
import type { JwsAlgorithm } from '../types.js'

// Both signature paths side by side, whichever one `#signature-check` picks for this run.
const portableVerifyJws: typeof verifyJws = (token, keys, algorithms) =>
  verifyJws(token, keys, algorithms, joseSignatureCheck)
const nodeVerifyJws: typeof verifyJws = (token, keys, algorithms) =>
  verifyJws(token, keys, algorithms, nodeSignatureCheck)
const portableAuthenticator = (options: AuthenticatorOptions) =>
  createAuthenticatorWith(options, joseSignatureCheck)
const nodeAuthenticator = (options: AuthenticatorOptions) =>
  createAuthenticatorWith(options, nodeSignatureCheck)

const ISSUER = 'https://issuer.example'
const AUDIENCE = 'https://api.example'

type Outcome = { ok: true; sub: unknown } | { ok: false; code: string; status: number }

async function outcome(promise: Promise<{ payload: unknown } | null>): Promise<Outcome> {
  try {
    const ctx = await promise
    return { ok: true, sub: (ctx?.payload as { sub?: unknown } | undefined)?.sub }
  } catch (err) {
    if (!isAuthError(err)) throw err
    return { ok: false, code: err.code, status: err.status }
  }
}

/** Both authenticators on one token: their outcomes, which must be equal. */
async function both(alg: string, keys: TestKeys, token: string): Promise<[Outcome, Outcome]> {
  const options: AuthenticatorOptions = {
    algorithms: [alg as JwsAlgorithm],
    key: keys.kind === 'secret' ? (keys.secret as Uint8Array) : keys.publicJwk,
    issuer: ISSUER,
    audience: AUDIENCE,
    cache: false,
  }
  const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } }
  return [
    await outcome(portableAuthenticator(options).authenticate(request)),
    await outcome(nodeAuthenticator(options).authenticate(request)),
  ]
}

const sign = (alg: string, keys: TestKeys, sub = 'alice') =>
  signToken({ sub, iss: ISSUER, aud: AUDIENCE }, { alg, key: keys })

/** Replaces the signature with `bytes` (canonical base64url, so the shape check passes). */
const withSignature = (token: string, bytes: Uint8Array) => withSegment(token, 2, b64url(bytes))

const INVALID = { ok: false, code: 'signature_invalid', status: 401 } as const

describe('node:crypto and jose agree on every JWS algorithm (RFC 7515 §5.2)', () => {
  const cases: Array<[string, (token: string, alg: string) => Promise<string>, Outcome]> = [
    ['a valid token is accepted', async (t) => t, { ok: true, sub: 'alice' }],
    ['one flipped bit in the signature', async (t) => flipBit(t, 2), INVALID],
    ['one flipped bit in the payload', async (t) => flipBit(t, 1), INVALID],
    ['a header member added after signing', async (t) => withHeader(t, { x: 1 }), INVALID],
    [
      'a signature one byte short',
      async (t) => withSignature(t, b64urlBytes(t.split('.')[2]!).slice(0, -1)),
      INVALID,
    ],
    [
      'a signature one byte long',
      async (t) => {
        const sig = b64urlBytes(t.split('.')[2]!)
        return withSignature(t, Uint8Array.from([...sig, 0]))
      },
      INVALID,
    ],
    ['a one-byte signature', async (t) => withSignature(t, new Uint8Array(1)), INVALID],
    [
      'an all-zero signature of the right length',
      async (t) => withSignature(t, new Uint8Array(b64urlBytes(t.split('.')[2]!).length)),
      INVALID,
    ],
    [
      'the signature of another token (same key)',
      async (t, alg) =>
        withSegment(t, 2, (await sign(alg, await keysFor(alg), 'mallory')).split('.')[2]!),
      INVALID,
    ],
    [
      'a token signed by another key of the same type',
      async (_t, alg) => sign(alg, await keysFor(alg, { label: 'other' })),
      INVALID,
    ],
  ]

  describe.each(SIGNING_ALGS)('%s', (alg) => {
    it.each(cases)('%s', async (_name, build, expected) => {
      const keys = await keysFor(alg)
      const token = await build(await sign(alg, keys), alg)
      const [portable, node] = await both(alg, keys, token)
      expect(node).toEqual(portable)
      expect(node).toEqual(expected)
    })
  })

  it.each(['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'])(
    '%s: a flipped bit at every byte of the signature is refused by both',
    async (alg) => {
      const keys = await keysFor(alg)
      const token = await sign(alg, keys)
      const sig = b64urlBytes(token.split('.')[2]!)
      for (let i = 0; i < sig.length; i++) {
        const tampered = Uint8Array.from(sig)
        tampered[i] = tampered[i]! ^ 0x80
        const [portable, node] = await both(alg, keys, withSignature(token, tampered))
        expect(node).toEqual(portable)
        expect(node).toEqual(INVALID)
      }
    },
  )
})

describe('a CryptoKey that does not fit the algorithm is refused by both, never used', () => {
  const subtle = globalThis.crypto.subtle
  const source = (key: CryptoKey): KeySource => ({ select: () => [key] })
  const cases: Array<[string, string, () => Promise<CryptoKey>]> = [
    [
      'an HMAC SHA-384 key for HS256',
      'HS256',
      () =>
        subtle.importKey('raw', new Uint8Array(48), { name: 'HMAC', hash: 'SHA-384' }, false, [
          'verify',
        ]),
    ],
    [
      'an HMAC key without the verify usage',
      'HS256',
      () =>
        subtle.importKey('raw', new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, [
          'sign',
        ]),
    ],
    [
      'an RSA-PSS key for RS256',
      'RS256',
      async () => (await makeKeys('PS256')).publicKey as CryptoKey,
    ],
    [
      'an RSASSA-PKCS1-v1_5 SHA-384 key for RS256',
      'RS256',
      async () => (await makeKeys('RS384')).publicKey as CryptoKey,
    ],
    [
      'a 1024-bit RSA key (RFC 7518 §3.3 requires 2048)',
      'RS256',
      async () =>
        (
          await subtle.generateKey(
            {
              name: 'RSASSA-PKCS1-v1_5',
              hash: 'SHA-256',
              modulusLength: 1024,
              publicExponent: new Uint8Array([1, 0, 1]),
            },
            false,
            ['sign', 'verify'],
          )
        ).publicKey,
    ],
    [
      'a P-384 key for ES256',
      'ES256',
      async () => (await makeKeys('ES384')).publicKey as CryptoKey,
    ],
    [
      'an ECDSA key for EdDSA',
      'EdDSA',
      async () => (await makeKeys('ES256')).publicKey as CryptoKey,
    ],
    [
      'a private key where a public one belongs',
      'ES256',
      async () => (await makeKeys('ES256')).privateKey as CryptoKey,
    ],
  ]

  it.each(cases)('%s: token_malformed 401', async (_name, alg, makeKey) => {
    const key = await makeKey()
    const token = await sign(alg, await keysFor(alg))
    const algorithms = new Set([alg])
    const results = await Promise.all(
      [portableVerifyJws, nodeVerifyJws].map((verify) =>
        verify(token, source(key), algorithms).then(
          () => 'accepted',
          (err: unknown) => (isAuthError(err) ? `${err.code} ${err.status}` : String(err)),
        ),
      ),
    )
    expect(results).toEqual(['token_malformed 401', 'token_malformed 401'])
  })
})

describe('a decoded header reused across tokens is still checked on every token', () => {
  it('the same header segment under another allowlist: alg_not_allowed 401', async () => {
    const keys = await keysFor('HS256')
    const token = await sign('HS256', keys)
    const [portable, node] = await both('HS256', keys, token)
    expect([portable.ok, node.ok]).toEqual([true, true])
    const other = nodeAuthenticator({
      algorithms: ['HS384'],
      key: new Uint8Array(48),
      issuer: ISSUER,
      audience: AUDIENCE,
    })
    const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } }
    expect(await outcome(other.authenticate(request))).toEqual({
      ok: false,
      code: 'alg_not_allowed',
      status: 401,
    })
  })

  it('a shared header is frozen with its members (RFC 7515 §4: any JSON member)', async () => {
    const keys = await keysFor('ES256')
    const token = await signToken(
      { sub: 'alice', iss: ISSUER, aud: AUDIENCE },
      { alg: 'ES256', key: keys, header: { ext: { nested: ['a'] } } },
    )
    for (const create of [portableAuthenticator, nodeAuthenticator]) {
      const authenticator = create({
        algorithms: ['ES256'],
        key: keys.publicJwk,
        issuer: ISSUER,
        audience: AUDIENCE,
      })
      const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } }
      for (let i = 0; i < 2; i++) {
        const ctx = await authenticator.authenticate(request)
        const ext = (ctx?.protectedHeader as { ext?: { nested: string[] } }).ext
        expect(Object.isFrozen(ctx?.protectedHeader)).toBe(true)
        expect(Object.isFrozen(ext) && Object.isFrozen(ext?.nested)).toBe(true)
      }
    }
  })
})

// The pipeline passes `shaped` once tokenShape (compact.ts) has required the strict JWS shape, and the
// node:crypto check then skips its own scan (perf, issue 17). Called without it, the check alone still
// refuses every other shape before any decoding: none reaches Buffer's lenient base64url decoder.
describe('nodeSignatureCheck on its own refuses what is not a compact JWS; shaped changes no verdict', () => {
  const secret = new Uint8Array(32).fill(7)
  const hmacKey = () =>
    globalThis.crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ])
  const verdict = async (check: () => unknown): Promise<string> => {
    try {
      await check()
      return 'ok'
    } catch (err) {
      return (err as Error).constructor.name
    }
  }

  it.each<[string, (token: string) => string]>([
    ['padding after the signature', (t) => `${t}=`],
    ['"+" in the payload', (t) => t.replace('.', '.+')],
    ['a space inside', (t) => t.replace('.', '. ')],
    ['an empty payload segment', (t) => `${t.split('.')[0]}..${t.split('.')[2]}`],
    ['two segments', (t) => t.slice(0, t.lastIndexOf('.'))],
    ['four segments', (t) => `${t}.${t.split('.')[2]}`],
    ['a trailing newline', (t) => `${t}\n`],
    ['a non-ASCII character', (t) => `${t}é`],
  ])('%s: JWSInvalid', async (_name, build) => {
    const key = await hmacKey()
    const token = build(await signToken({ sub: 'alice' }, { alg: 'HS256', key: secret }))
    expect(await verdict(() => nodeSignatureCheck(token, key, 'HS256'))).toBe('JWSInvalid')
  })

  it.each<[string, (token: string) => string, string]>([
    ['a valid token', (t) => t, 'ok'],
    ['a flipped signature bit', (t) => flipBit(t, 2), 'JWSSignatureVerificationFailed'],
    ['a flipped payload bit', (t) => flipBit(t, 1), 'JWSSignatureVerificationFailed'],
  ])(
    '%s: the same verdict with and without shaped, and from jose',
    async (_name, build, expected) => {
      const key = await hmacKey()
      const token = build(await signToken({ sub: 'alice' }, { alg: 'HS256', key: secret }))
      expect(await verdict(() => nodeSignatureCheck(token, key, 'HS256'))).toBe(expected)
      expect(await verdict(() => nodeSignatureCheck(token, key, 'HS256', true))).toBe(expected)
      expect(await verdict(() => joseSignatureCheck(token, key, 'HS256'))).toBe(expected)
    },
  )
})
