// Issue 12 item 1 and "Also", issue 21 item 2 and "Also": PBES2 work per token, bounded key tries,
// header size and depth, no plaintext in errors, a broken decryption key is 503.
import { b64url, encryptToken, keysFor, randomSecret } from '@tokengate/testkit'
import { compactDecrypt } from 'jose'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_PBES2_COUNT, interpretPlaintext, resolveDecryptOptions } from './jwe.js'
import { AuthError, type AuthErrorCode } from '../errors.js'
import { parsePayload } from './claims.js'
import { decodeHeader, MAX_HEADER_DEPTH, MAX_HEADER_LENGTH } from './compact.js'

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const enc = (s: string) => new TextEncoder().encode(s)
const PBES2 = 'PBES2-HS256+A128KW'

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<AuthError> {
  let err: unknown
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(AuthError)
  return err as AuthError
}

/** Every string an error carries: message, description, its cause chain's messages and fields. */
function everything(err: AuthError): string {
  const parts: string[] = [err.message, err.description, JSON.stringify(err.toResponse())]
  let cause: unknown = err.cause
  for (let i = 0; cause !== undefined && i < 5; i++) {
    parts.push(String(cause))
    if (cause instanceof Error) parts.push(cause.message, JSON.stringify(cause))
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return parts.join('\n')
}

describe('PBES2: bounded work per token (issue 12 item 1, RFC 7518 §4.8.1.2)', () => {
  it('the default p2c bound is jose’s own, 10,000', () => {
    expect(DEFAULT_MAX_PBES2_COUNT).toBe(10_000)
  })

  it.each<[string, number, AuthErrorCode | 'ok']>([
    ['p2c at the default bound decrypts', 10_000, 'ok'],
    [
      'p2c one above the default bound is refused before any PBKDF2 work',
      10_001,
      'alg_not_allowed',
    ],
    ['p2c 100,000 (the old default) is refused', 100_000, 'alg_not_allowed'],
  ])('%s', async (_name, p2c, expected) => {
    const decryptor = resolveDecryptOptions({ keys: 'pw', keyManagementAlgorithms: [PBES2] })
    const jwe = await encryptToken('p', { alg: PBES2, key: enc('pw'), p2c })
    if (expected === 'ok') expect(text((await decryptor.decrypt(jwe)).plaintext)).toBe('p')
    else expect((await failure(decryptor.decrypt(jwe))).code).toBe(expected)
  })

  it('several PBES2 passwords without kid: a token without kid is kid_required, before any PBKDF2', async () => {
    const decryptor = resolveDecryptOptions({
      keys: ['one', 'two'],
      keyManagementAlgorithms: [PBES2],
    })
    const jwe = await encryptToken('p', { alg: PBES2, key: enc('one'), p2c: 1000 })
    expect((await failure(decryptor.decrypt(jwe))).code).toBe('kid_required')
  })

  it('with several passwords a PBES2 token must name one (kid_required), and then tries only it', async () => {
    const decryptor = resolveDecryptOptions({
      keys: [
        { key: 'one', kid: 'a' },
        { key: 'two', kid: 'b' },
      ],
      keyManagementAlgorithms: [PBES2],
    })
    const noKid = await encryptToken('p', { alg: PBES2, key: enc('two'), p2c: 1000 })
    const err = await failure(decryptor.decrypt(noKid))
    expect({ code: err.code, status: err.status }).toEqual({ code: 'kid_required', status: 401 })
    const named = await encryptToken('p', { alg: PBES2, key: enc('two'), kid: 'b', p2c: 1000 })
    expect(text((await decryptor.decrypt(named)).plaintext)).toBe('p')
    // Named 'a' but made with 'b': one PBKDF2 run against 'a' only, then refused.
    const wrong = await encryptToken('p', { alg: PBES2, key: enc('two'), kid: 'a', p2c: 1000 })
    expect((await failure(decryptor.decrypt(wrong))).code).toBe('decryption_failed')
    const unknown = await encryptToken('p', { alg: PBES2, key: enc('two'), kid: 'z', p2c: 1000 })
    expect((await failure(decryptor.decrypt(unknown))).code).toBe('key_not_found')
  })

  it('one password: a PBES2 token without kid is tried against it alone', async () => {
    const decryptor = resolveDecryptOptions({
      keys: [
        { key: 'one', kid: 'a' },
        { kty: 'oct', k: b64url(randomSecret('A128KW')), alg: 'A128KW' },
      ],
      keyManagementAlgorithms: [PBES2, 'A128KW'],
    })
    const jwe = await encryptToken('p', { alg: PBES2, key: enc('one'), p2c: 1000 })
    expect(text((await decryptor.decrypt(jwe)).plaintext)).toBe('p')
  })
})

describe('a JWE without kid tries a bounded number of keys (as a JWS, keys/public-key.ts MAX_CANDIDATES)', () => {
  it('the sixth of six fitting keys is never tried for a token without kid', async () => {
    const secrets = Array.from({ length: 6 }, () => randomSecret('A256KW'))
    const decryptor = resolveDecryptOptions({ keys: secrets, keyManagementAlgorithms: ['A256KW'] })
    const first = await encryptToken('p', { alg: 'A256KW', key: secrets[0]!, kid: null })
    expect(text((await decryptor.decrypt(first)).plaintext)).toBe('p')
    const fifth = await encryptToken('p', { alg: 'A256KW', key: secrets[4]!, kid: null })
    expect(text((await decryptor.decrypt(fifth)).plaintext)).toBe('p')
    const sixth = await encryptToken('p', { alg: 'A256KW', key: secrets[5]!, kid: null })
    expect((await failure(decryptor.decrypt(sixth))).code).toBe('decryption_failed')
  })
})

describe('protected header size and depth (issue 21 item 2, RFC 8259 §9)', () => {
  const deep = (n: number) => b64url(`{"alg":"RS256","x":${'['.repeat(n)}${']'.repeat(n)}}`)
  it.each<[string, string, 'ok' | AuthErrorCode]>([
    [`nested ${MAX_HEADER_DEPTH} levels in all`, deep(MAX_HEADER_DEPTH - 1), 'ok'],
    [`nested ${MAX_HEADER_DEPTH + 1} levels`, deep(MAX_HEADER_DEPTH), 'token_malformed'],
    [
      'nested 100,000 levels (a RangeError for a recursive walker)',
      deep(100_000),
      'token_malformed',
    ],
    [
      'brackets inside strings do not count',
      b64url(`{"alg":"RS256","x":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`),
      'ok',
    ],
    [
      `longer than ${MAX_HEADER_LENGTH} characters`,
      b64url(`{"alg":"RS256","x":"${'a'.repeat(MAX_HEADER_LENGTH)}"}`),
      'token_malformed',
    ],
  ])('%s', async (_name, segment, expected) => {
    if (expected === 'ok') return expect(decodeHeader(segment).alg).toBe('RS256')
    expect((await failure(() => decodeHeader(segment))).code).toBe(expected)
  })

  it('a JWE whose protected header is nested 100,000 levels is token_malformed, not a RangeError', async () => {
    const decryptor = resolveDecryptOptions({
      keys: randomSecret('A256KW'),
      keyManagementAlgorithms: ['dir'],
    })
    const header = `{"alg":"dir","enc":"A256GCM","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    const jwe = [
      b64url(header),
      '',
      b64url('iv-iv-iv-iv!'),
      b64url('ct'),
      b64url('tag-tag-tag-tag!'),
    ].join('.')
    expect((await failure(decryptor.decrypt(jwe))).code).toBe('token_malformed')
  })
})

describe('no decrypted plaintext in an error or its cause (issue 12 "Also")', () => {
  const MARKER = 'zq7MARKERplaintextx9'
  it.each([
    ['not JSON', `${MARKER}{`],
    ['JSON with a syntax error after the marker', `{"a":"${MARKER}",}`],
    ['a truncated object', `{"${MARKER}":`],
  ])('unsigned claims: %s', async (_name, plaintext) => {
    const err = await failure(() => interpretPlaintext(enc(plaintext), true))
    expect(err.code).toBe('token_malformed')
    expect(everything(err)).not.toContain('MARKER')
  })

  it('the payload of a nested token (decrypted plaintext) is not quoted by the JSON parser error', async () => {
    const err = await failure(() => parsePayload(enc(`${MARKER}x`)))
    expect(err.code).toBe('token_malformed')
    expect(everything(err)).not.toContain('MARKER')
  })

  it('an inner header that is not JSON is not quoted either', async () => {
    const err = await failure(() => decodeHeader(b64url(`${MARKER}{`)))
    expect(everything(err)).not.toContain('MARKER')
  })

  it('a JWE whose plaintext is not a token: the refusal carries no plaintext', async () => {
    const secret = randomSecret('A256KW')
    const decryptor = resolveDecryptOptions({
      keys: secret,
      keyManagementAlgorithms: ['dir'],
      allowUnsignedPayload: true,
    })
    const jwe = await encryptToken(`${MARKER} not json`, {
      alg: 'dir',
      enc: 'A256GCM',
      key: secret,
    })
    const { plaintext } = await decryptor.decrypt(jwe)
    const err = await failure(() => interpretPlaintext(plaintext, decryptor.allowUnsignedPayload))
    expect(everything(err)).not.toContain('MARKER')
  })
})

describe('a decryption key that fails at first use is 503 keys_unavailable (issue 21 "Also")', () => {
  it('an RSA-OAEP CryptoKey that may not decrypt (usages ["unwrapKey"]): 503, not 401', async () => {
    const keys = await keysFor('RSA-OAEP-256')
    const key = await crypto.subtle.importKey(
      'jwk',
      { ...keys.privateJwk, alg: 'RSA-OAEP-256', key_ops: undefined },
      { name: 'RSA-OAEP', hash: 'SHA-256' },
      false,
      ['unwrapKey'],
    )
    // jose itself refuses this key for the operation (a TypeError about the key, not the token).
    const jwe = await encryptToken('p', { alg: 'RSA-OAEP-256', key: keys })
    await expect(compactDecrypt(jwe, key)).rejects.toThrow(TypeError)
    const decryptor = resolveDecryptOptions({
      keys: key,
      keyManagementAlgorithms: ['RSA-OAEP-256'],
    })
    const err = await failure(decryptor.decrypt(jwe))
    expect({ code: err.code, status: err.status }).toEqual({
      code: 'keys_unavailable',
      status: 503,
    })
  })

  it('a garbage token against a good key stays 401 decryption_failed', async () => {
    const keys = await keysFor('RSA-OAEP-256')
    const decryptor = resolveDecryptOptions({
      keys: keys.privateJwk,
      keyManagementAlgorithms: ['RSA-OAEP-256'],
    })
    const jwe = await encryptToken('p', { alg: 'RSA-OAEP-256', key: keys })
    const parts = jwe.split('.')
    parts[1] = b64url(new Uint8Array(256).fill(7))
    expect((await failure(decryptor.decrypt(parts.join('.')))).code).toBe('decryption_failed')
  })
})

describe('base64url header members read by key management are canonical (issue 17, RFC 4648 §3.5)', () => {
  // node:crypto's decoder skips characters jose's refuses: one spelling per value keeps both paths
  // reading the same bytes, as the segments themselves (compact.ts).
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const oddEnd = (s: string) => s.slice(0, -1) + B64[B64.indexOf(s.at(-1)!) | 1]

  it.each([
    ['A128GCMKW', 'iv'],
    ['A128GCMKW', 'tag'],
    [PBES2, 'p2s'],
  ] as const)('%s with a non-canonical %s is token_malformed', async (alg, member) => {
    const key = alg === PBES2 ? enc('a shared password') : randomSecret(alg)
    const jwe = await encryptToken('p', {
      alg,
      key,
      kid: null,
      ...(alg === PBES2 && { p2c: 1000 }),
    })
    const header = decodeHeader(jwe.slice(0, jwe.indexOf('.'))) as Record<string, string>
    const value = header[member]!
    // 4n characters have no spare bits: one more makes a length base64url never has (4n+1).
    const spelled = value.length % 4 === 0 ? `${value}A` : oddEnd(value)
    const forged = [b64url({ ...header, [member]: spelled }), ...jwe.split('.').slice(1)].join('.')
    const decryptor = resolveDecryptOptions({ keys: key, keyManagementAlgorithms: [alg] })
    expect(await decryptor.decrypt(jwe)).toHaveProperty('plaintext')
    expect((await failure(decryptor.decrypt(forged))).code).toBe('token_malformed')
  })
})
