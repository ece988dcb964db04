// resolveDecryptOptions and interpretPlaintext: start-up refusals, every per-token failure with its code and status.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import {
  b64url,
  decodeHeader,
  encryptToken,
  fromB64url,
  keysFor,
  makeKeys,
  randomSecret,
  signToken,
  tamper,
} from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { interpretPlaintext, resolveDecryptOptions, type Decryptor } from './jwe.js'
import { AuthError, type AuthErrorCode } from '../errors.js'
import type { DecryptOptions } from '../types.js'
import type { JweKeyManagementAlgorithm } from '../types.js'

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

async function expectAuthError(promise: Promise<unknown>, code: AuthErrorCode, status = 401) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  expect(err).toMatchObject({ code, status })
  return err as AuthError
}

describe('resolveDecryptOptions: start-up refusals', () => {
  it.each<[string, () => Promise<DecryptOptions>, RegExp]>([
    [
      'keyManagementAlgorithms is required',
      async () => ({ keys: randomSecret('A256KW') }) as unknown as DecryptOptions,
      /keyManagementAlgorithms is required/,
    ],
    [
      'keyManagementAlgorithms must not be empty',
      async () => ({ keys: randomSecret('A256KW'), keyManagementAlgorithms: [] }),
      /keyManagementAlgorithms is required/,
    ],
    [
      'RSA1_5 refused (Bleichenbacher, RFC 8725 §3.2)',
      async () => ({
        keys: (await keysFor('RSA-OAEP')).privatePem!,
        keyManagementAlgorithms: ['RSA1_5'] as never,
      }),
      /Bleichenbacher/,
    ],
    [
      'unknown alg refused',
      async () => ({
        keys: randomSecret('A256KW'),
        keyManagementAlgorithms: ['A256KW', 'none'] as never,
      }),
      /unsupported value "none"/,
    ],
    [
      'unknown enc refused',
      async () => ({
        keys: randomSecret('A256KW'),
        keyManagementAlgorithms: ['A256KW'],
        contentEncryptionAlgorithms: ['A256CTR'] as never,
      }),
      /contentEncryptionAlgorithms contains an unsupported value/,
    ],
    [
      'empty enc list refused',
      async () => ({
        keys: randomSecret('A256KW'),
        keyManagementAlgorithms: ['A256KW'],
        contentEncryptionAlgorithms: [],
      }),
      /non-empty list/,
    ],
    [
      'allowUnsignedPayload with RSA-OAEP: public key holders could mint tokens',
      async () => ({
        keys: (await keysFor('RSA-OAEP-256')).privatePem!,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
        allowUnsignedPayload: true,
      }),
      /anyone holding the public key/,
    ],
    [
      'allowUnsignedPayload with ECDH-ES refused',
      async () => ({
        keys: (await keysFor('ECDH-ES')).privateJwk,
        keyManagementAlgorithms: ['ECDH-ES'],
        allowUnsignedPayload: true,
      }),
      /allowUnsignedPayload cannot be combined with ECDH-ES/,
    ],
    [
      'allowUnsignedPayload with PBES2 refused (offline password guessing)',
      async () => ({
        keys: 'a password',
        keyManagementAlgorithms: ['PBES2-HS256+A128KW'],
        allowUnsignedPayload: true,
      }),
      /guessing the password/,
    ],
    [
      'maxPbes2Count must be a positive integer',
      async () => ({
        keys: 'pw',
        keyManagementAlgorithms: ['PBES2-HS256+A128KW'],
        maxPbes2Count: 0,
      }),
      /maxPbes2Count must be a positive integer/,
    ],
    [
      'keys required',
      async () => ({ keys: [], keyManagementAlgorithms: ['A256KW'] }),
      /keys is required/,
    ],
    [
      'EC key does not fit RSA-OAEP-256',
      async () => ({
        keys: (await keysFor('ECDH-ES')).privatePem!,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
      }),
      /does not fit any of RSA-OAEP-256/,
    ],
    [
      '16-byte secret does not fit A256KW',
      async () => ({ keys: randomSecret('A128KW'), keyManagementAlgorithms: ['A256KW'] }),
      /does not fit/,
    ],
    [
      'dir key must match an allowed enc size',
      async () => ({
        keys: randomSecret('A128KW'),
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      }),
      /does not fit/,
    ],
    [
      'listed alg without a fitting key',
      async () => ({
        keys: randomSecret('A256KW'),
        keyManagementAlgorithms: ['A256KW', 'RSA-OAEP-256'],
      }),
      /lists 'RSA-OAEP-256' but no key/,
    ],
    [
      'public PEM is not a decryption key',
      async () => ({
        keys: (await keysFor('RSA-OAEP-256')).publicPem!,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
      }),
      /PKCS#8 private key/,
    ],
    [
      'PKCS#1 PEM: convert to PKCS#8',
      async () => ({
        keys: createPrivateKey((await keysFor('RSA-OAEP-256')).privatePem!).export({
          type: 'pkcs1',
          format: 'pem',
        }) as string,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
      }),
      /openssl pkcs8 -topk8/,
    ],
    [
      'public JWK is not a decryption key',
      async () => ({
        keys: (await keysFor('RSA-OAEP-256')).publicJwk,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
      }),
      /public JWK/,
    ],
    [
      'JWK with use "sig" refused (RFC 7517 §4.2)',
      async () => ({
        keys: { ...(await keysFor('ECDH-ES')).privateJwk, use: 'sig' },
        keyManagementAlgorithms: ['ECDH-ES'],
      }),
      /use "sig"/,
    ],
    [
      'JWK alg outside the allowlist',
      async () => ({
        keys: (await keysFor('RSA-OAEP')).privateJwk,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
      }),
      /JWK for alg "RSA-OAEP"/,
    ],
    [
      'duplicate kid refused',
      async () => ({
        keys: [
          { key: randomSecret('A256KW'), kid: 'k' },
          { key: randomSecret('A256KW'), kid: 'k' },
        ],
        keyManagementAlgorithms: ['A256KW'],
      }),
      /repeats kid/,
    ],
    [
      'public CryptoKey refused',
      async () => ({
        keys: (await keysFor('RSA-OAEP-256')).publicKey as CryptoKey,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
      }),
      /public CryptoKey/,
    ],
  ])('%s', async (_name, build, message) => {
    const options = await build()
    expect(() => resolveDecryptOptions(options)).toThrow(message)
  })

  it.each([
    ['KeyObject (JWK n)', (k: KeyObject) => k],
    [
      'PKCS#8 PEM (modulus read from the DER)',
      (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }) as string,
    ],
  ])('RSA keys under 2048 bits are refused: %s', (_name, form) => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    expect(() =>
      resolveDecryptOptions({ keys: form(privateKey), keyManagementAlgorithms: ['RSA-OAEP-256'] }),
    ).toThrow(/does not fit/)
  })

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a misspelt option is not ignored (require: true would silently accept plain JWS)',
      { require: true },
      /unknown option options\.decrypt\.require/,
    ],
    ['required must be a boolean', { required: 'yes' }, /required must be true or false/],
    [
      'allowUnsignedPayload must be a boolean',
      { allowUnsignedPayload: 1 },
      /allowUnsignedPayload must be true or false/,
    ],
  ])('%s', (_name, extra, message) => {
    const options = { keys: randomSecret('A256KW'), keyManagementAlgorithms: ['A256KW'], ...extra }
    expect(() => resolveDecryptOptions(options as DecryptOptions)).toThrow(message)
  })

  it('configuration errors name the option', () => {
    expect(() =>
      resolveDecryptOptions({ keys: randomSecret('A128KW'), keyManagementAlgorithms: ['A256KW'] }),
    ).toThrow(/^tokengate: options\.decrypt\.keys\[0\]/)
  })
})

describe('accepted key forms', () => {
  it.each<[string, (alg: string) => Promise<DecryptOptions['keys']>, string]>([
    ['PKCS#8 PEM', async (alg) => (await keysFor(alg)).privatePem!, 'RSA-OAEP-256'],
    ['private JWK', async (alg) => (await keysFor(alg)).privateJwk, 'ECDH-ES+A256KW'],
    ['CryptoKey', async (alg) => (await keysFor(alg)).privateKey, 'RSA-OAEP'],
    [
      'Node KeyObject',
      async (alg) => createPrivateKey((await keysFor(alg)).privatePem!),
      'ECDH-ES',
    ],
    ['X25519 PEM', async (alg) => (await keysFor(alg, { crv: 'X25519' })).privatePem!, 'ECDH-ES'],
    ['secret bytes', async (alg) => (await keysFor(alg)).secret!, 'A256KW'],
    ['oct JWK', async (alg) => (await keysFor(alg)).privateJwk, 'A128GCMKW'],
    ['JWKS', async (alg) => ({ keys: [(await keysFor(alg)).privateJwk] }), 'RSA-OAEP-256'],
    [
      '{ key, kid } entries',
      async (alg) => [{ key: (await keysFor(alg)).privatePem!, kid: (await keysFor(alg)).kid }],
      'RSA-OAEP-384',
    ],
  ])('%s', async (_name, keysOf, alg) => {
    const crv = _name.startsWith('X25519') ? { crv: 'X25519' } : {}
    const keys = await keysFor(alg, crv)
    const decryptor = resolveDecryptOptions({
      keys: await keysOf(alg),
      keyManagementAlgorithms: [alg as JweKeyManagementAlgorithm],
    })
    const jwe = await encryptToken('hello', { alg, key: keys })
    const { plaintext, protectedHeader } = await decryptor.decrypt(jwe)
    expect(text(plaintext)).toBe('hello')
    expect(protectedHeader).toMatchObject({ alg, enc: 'A256GCM' })
  })

  it('a string secret is its UTF-8 bytes (dir with A128GCM)', async () => {
    const secret = 'sixteen byte key'
    const decryptor = resolveDecryptOptions({ keys: secret, keyManagementAlgorithms: ['dir'] })
    const jwe = await encryptToken('x', {
      alg: 'dir',
      enc: 'A128GCM',
      key: new TextEncoder().encode(secret),
    })
    expect(text((await decryptor.decrypt(jwe)).plaintext)).toBe('x')
  })

  it('PBES2 works when listed, with p2c within the bound', async () => {
    const decryptor = resolveDecryptOptions({
      keys: 'correct horse',
      keyManagementAlgorithms: ['PBES2-HS256+A128KW'],
      maxPbes2Count: 5000,
    })
    const jwe = await encryptToken('p', {
      alg: 'PBES2-HS256+A128KW',
      key: new TextEncoder().encode('correct horse'),
      p2c: 2000,
    })
    expect(text((await decryptor.decrypt(jwe)).plaintext)).toBe('p')
  })
})

describe('key rotation by kid', () => {
  it('old and new kid both decrypt while both keys are configured; no kid tries each key', async () => {
    const oldKey = await keysFor('RSA-OAEP-256', { label: 'old', kid: 'enc-2024' })
    const newKey = await keysFor('RSA-OAEP-256', { label: 'new', kid: 'enc-2025' })
    const decryptor = resolveDecryptOptions({
      keys: [
        { key: oldKey.privatePem!, kid: 'enc-2024' },
        { key: newKey.privatePem!, kid: 'enc-2025' },
      ],
      keyManagementAlgorithms: ['RSA-OAEP-256'],
    })
    for (const keys of [oldKey, newKey]) {
      expect(
        text(
          (await decryptor.decrypt(await encryptToken('k', { alg: 'RSA-OAEP-256', key: keys })))
            .plaintext,
        ),
      ).toBe('k')
      expect(
        text(
          (
            await decryptor.decrypt(
              await encryptToken('n', { alg: 'RSA-OAEP-256', key: keys, kid: null }),
            )
          ).plaintext,
        ),
      ).toBe('n')
    }
    const other = await keysFor('RSA-OAEP-256', { label: 'other' })
    await expectAuthError(
      decryptor.decrypt(
        await encryptToken('x', { alg: 'RSA-OAEP-256', key: other, kid: 'enc-2026' }),
      ),
      'key_not_found',
    )
    await expectAuthError(
      decryptor.decrypt(await encryptToken('x', { alg: 'RSA-OAEP-256', key: other, kid: null })),
      'decryption_failed',
    )
  })

  it('a token kid the app never configured falls back to the kid-less key', async () => {
    const keys = await keysFor('A256KW')
    const decryptor = resolveDecryptOptions({
      keys: keys.secret!,
      keyManagementAlgorithms: ['A256KW'],
    })
    const jwe = await encryptToken('k', { alg: 'A256KW', key: keys, kid: 'idp-key-7' })
    expect(text((await decryptor.decrypt(jwe)).plaintext)).toBe('k')
  })
})

describe('per-token refusals', () => {
  let rsa: Decryptor
  let sym: Decryptor
  let ecdh: Decryptor
  let pbes: Decryptor
  const ready = (async () => {
    rsa = resolveDecryptOptions({
      keys: (await keysFor('RSA-OAEP-256')).privatePem!,
      keyManagementAlgorithms: ['RSA-OAEP-256'],
      contentEncryptionAlgorithms: ['A256GCM', 'A128CBC-HS256'],
    })
    sym = resolveDecryptOptions({
      keys: [
        (await keysFor('A256KW')).privateJwk,
        { key: randomSecret('dir', 'A256CBC-HS512'), kid: 'dir-key' },
      ],
      keyManagementAlgorithms: ['A256KW', 'dir'],
    })
    ecdh = resolveDecryptOptions({
      keys: (await keysFor('ECDH-ES')).privatePem!,
      keyManagementAlgorithms: ['ECDH-ES', 'ECDH-ES+A128KW'],
    })
    pbes = resolveDecryptOptions({ keys: 'pw', keyManagementAlgorithms: ['PBES2-HS256+A128KW'] })
  })()
  const good = async () =>
    encryptToken('secret plaintext', { alg: 'RSA-OAEP-256', key: await keysFor('RSA-OAEP-256') })
  const header = (token: string, patch: Record<string, unknown>) =>
    tamper(token, 0, b64url({ ...decodeHeader(token), ...patch }))

  it.each<[string, () => Promise<[Decryptor, string]>, AuthErrorCode]>([
    ['three segments is not a JWE (RFC 7516 §7.1)', async () => [rsa, 'a.b.c'], 'token_malformed'],
    ['six segments', async () => [rsa, `${await good()}.x`], 'token_malformed'],
    [
      'padding is not base64url (RFC 7515 §2)',
      async () => [rsa, tamper(await good(), 2, (s) => `${s}==`)],
      'token_malformed',
    ],
    [
      'a character outside base64url',
      async () => [rsa, tamper(await good(), 3, (s) => `${s.slice(1)}+`)],
      'token_malformed',
    ],
    [
      'non-canonical trailing bits (RFC 4648 §3.5)',
      async () => [
        rsa,
        tamper(await good(), 4, (s) => s.slice(0, -1) + B64[B64.indexOf(s.at(-1)!) | 1]),
      ],
      'token_malformed',
    ],
    ['empty iv', async () => [rsa, tamper(await good(), 2, '')], 'token_malformed'],
    ['empty tag', async () => [rsa, tamper(await good(), 4, '')], 'token_malformed'],
    ['empty ciphertext', async () => [rsa, tamper(await good(), 3, '')], 'token_malformed'],
    [
      'header not JSON',
      async () => [rsa, tamper(await good(), 0, b64url('{"alg":'))],
      'token_malformed',
    ],
    [
      'header a JSON array',
      async () => [rsa, tamper(await good(), 0, b64url('["RSA-OAEP-256"]'))],
      'token_malformed',
    ],
    [
      'header with a BOM',
      async () => [rsa, tamper(await good(), 0, (s) => b64url(`\uFEFF${fromB64url(s)}`))],
      'token_malformed',
    ],
    [
      'header without enc',
      async () => [rsa, tamper(await good(), 0, b64url({ alg: 'RSA-OAEP-256' }))],
      'token_malformed',
    ],
    ['kid not a string', async () => [rsa, header(await good(), { kid: 7 })], 'token_malformed'],
    [
      'alg outside the allowlist',
      async () => [rsa, await encryptToken('x', { alg: 'A256KW', key: await keysFor('A256KW') })],
      'alg_not_allowed',
    ],
    ['alg "none"', async () => [rsa, header(await good(), { alg: 'none' })], 'alg_not_allowed'],
    [
      'RSA1_5 token (Bleichenbacher)',
      async () => [rsa, header(await good(), { alg: 'RSA1_5' })],
      'alg_not_allowed',
    ],
    [
      'enc outside the allowlist',
      async () => [
        rsa,
        await encryptToken('x', {
          alg: 'RSA-OAEP-256',
          enc: 'A128GCM',
          key: await keysFor('RSA-OAEP-256'),
        }),
      ],
      'alg_not_allowed',
    ],
    [
      'zip is refused (decompression bomb)',
      async () => [
        rsa,
        await encryptToken('x', {
          alg: 'RSA-OAEP-256',
          key: await keysFor('RSA-OAEP-256'),
          zip: 'DEF',
        }),
      ],
      'alg_not_allowed',
    ],
    [
      'crit with an unknown extension (RFC 7516 §4.1.13)',
      async () => [
        rsa,
        // jose will not produce it, so the header of a good token is rewritten (crit is checked first)
        header(await good(), { crit: ['exp'], exp: 1 }),
      ],
      'token_malformed',
    ],
    [
      'PBES2 not listed',
      async () => [
        rsa,
        await encryptToken('x', {
          alg: 'PBES2-HS256+A128KW',
          key: new TextEncoder().encode('pw'),
          p2c: 1000,
        }),
      ],
      'alg_not_allowed',
    ],
    [
      'PBES2 p2c above the bound is refused before any work',
      async () => [
        pbes,
        header(
          await encryptToken('x', {
            alg: 'PBES2-HS256+A128KW',
            key: new TextEncoder().encode('pw'),
            p2c: 1000,
          }),
          { p2c: 2_000_000_000 },
        ),
      ],
      'alg_not_allowed',
    ],
    [
      'PBES2 p2c not an integer',
      async () => [
        pbes,
        header(
          await encryptToken('x', {
            alg: 'PBES2-HS256+A128KW',
            key: new TextEncoder().encode('pw'),
            p2c: 1000,
          }),
          { p2c: 1.5 },
        ),
      ],
      'token_malformed',
    ],
    [
      'dir with an encrypted key (RFC 7516 §5.2 step 10)',
      async () => [
        sym,
        tamper(await encryptToken('x', { alg: 'dir', key: randomSecret('dir') }), 1, 'AAAA'),
      ],
      'token_malformed',
    ],
    [
      'A256KW without an encrypted key',
      async () => [
        sym,
        tamper(await encryptToken('x', { alg: 'A256KW', key: await keysFor('A256KW') }), 1, ''),
      ],
      'token_malformed',
    ],
    [
      'unknown kid',
      async () => [
        sym,
        await encryptToken('x', {
          alg: 'dir',
          enc: 'A256CBC-HS512',
          key: randomSecret('dir', 'A256CBC-HS512'),
          kid: 'nobody',
        }),
      ],
      'key_not_found',
    ],
    [
      'kid of a key for another alg',
      async () => [
        sym,
        await encryptToken('x', { alg: 'A256KW', key: randomSecret('A256KW'), kid: 'dir-key' }),
      ],
      'key_not_found',
    ],
    [
      'no key fits dir with this enc',
      async () => [
        sym,
        await encryptToken('x', {
          alg: 'dir',
          enc: 'A128GCM',
          key: randomSecret('dir', 'A128GCM'),
          kid: null,
        }),
      ],
      'key_not_found',
    ],
    [
      'tampered protected header (AAD)',
      async () => [rsa, header(await good(), { typ: 'x' })],
      'decryption_failed',
    ],
    ['tampered encrypted key', async () => [rsa, tamper(await good(), 1)], 'decryption_failed'],
    ['tampered iv', async () => [rsa, tamper(await good(), 2)], 'decryption_failed'],
    ['tampered ciphertext', async () => [rsa, tamper(await good(), 3)], 'decryption_failed'],
    ['tampered tag', async () => [rsa, tamper(await good(), 4)], 'decryption_failed'],
    [
      'truncated iv',
      async () => [rsa, tamper(await good(), 2, (s) => s.slice(4))],
      'decryption_failed',
    ],
    [
      'CBC-HMAC tag tampered',
      async () => [
        rsa,
        tamper(
          await encryptToken('x', {
            alg: 'RSA-OAEP-256',
            enc: 'A128CBC-HS256',
            key: await keysFor('RSA-OAEP-256'),
          }),
          4,
        ),
      ],
      'decryption_failed',
    ],
    [
      'wrong RSA key',
      async () => [
        rsa,
        await encryptToken('x', {
          alg: 'RSA-OAEP-256',
          key: await keysFor('RSA-OAEP-256', { label: 'other' }),
          kid: null,
        }),
      ],
      'decryption_failed',
    ],
    [
      'wrong dir secret',
      async () => [
        sym,
        await encryptToken('x', {
          alg: 'dir',
          enc: 'A256CBC-HS512',
          key: randomSecret('dir', 'A256CBC-HS512'),
          kid: 'dir-key',
        }),
      ],
      'decryption_failed',
    ],
    [
      'ECDH-ES without epk',
      async () => [
        ecdh,
        header(await encryptToken('x', { alg: 'ECDH-ES', key: await keysFor('ECDH-ES') }), {
          epk: undefined,
        }),
      ],
      'token_malformed',
    ],
    [
      'ECDH-ES epk point not on the curve (invalid-curve attack)',
      async () => {
        const jwe = await encryptToken('x', { alg: 'ECDH-ES', key: await keysFor('ECDH-ES') })
        const epk = decodeHeader(jwe).epk as Record<string, string>
        return [ecdh, header(jwe, { epk: { ...epk, y: epk.x } })]
      },
      'decryption_failed',
    ],
    [
      'ECDH-ES epk on another curve',
      async () => {
        const other = await makeKeys('ECDH-ES', { crv: 'P-384' })
        const jwe = await encryptToken('x', { alg: 'ECDH-ES+A128KW', key: other, kid: null })
        return [ecdh, jwe]
      },
      'decryption_failed',
    ],
    [
      'ECDH-ES epk of the wrong key type',
      async () => [
        ecdh,
        header(await encryptToken('x', { alg: 'ECDH-ES', key: await keysFor('ECDH-ES') }), {
          epk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
        }),
      ],
      'decryption_failed',
    ],
  ])('%s', async (_name, build, code) => {
    await ready
    const [decryptor, token] = await build()
    const err = await expectAuthError(decryptor.decrypt(token), code)
    expect(err.message).not.toContain('secret plaintext')
    expect(err.toResponse().body.code).toBe(code)
  })

  it('a non-string token is malformed, not a TypeError', async () => {
    await ready
    await expectAuthError(rsa.decrypt(42 as unknown as string), 'token_malformed')
  })

  it('an import failure is keys_unavailable (503), not a crash', async () => {
    // Well-formed at start-up (a private EC JWK) but rejected by Web Crypto on import.
    const bad = { ...(await keysFor('ECDH-ES')).privateJwk, d: 'AAAA' }
    const decryptor = resolveDecryptOptions({ keys: bad, keyManagementAlgorithms: ['ECDH-ES'] })
    const jwe = await encryptToken('x', { alg: 'ECDH-ES', key: await keysFor('ECDH-ES') })
    await expectAuthError(decryptor.decrypt(jwe), 'keys_unavailable', 503)
  })
})

describe('interpretPlaintext (RFC 7519 §5.2: cty is not relied on)', () => {
  const enc = (s: string) => new TextEncoder().encode(s)
  it('a compact JWS is a nested token', async () => {
    const jws = await signToken({ sub: 'a' }, { alg: 'HS256', key: await keysFor('HS256') })
    expect(interpretPlaintext(enc(jws), false)).toEqual({ jws })
  })

  it.each<[string, string, boolean, AuthErrorCode | { sub: string }]>([
    [
      'claims without a signature need allowUnsignedPayload',
      '{"sub":"a"}',
      false,
      'signature_required',
    ],
    ['claims accepted with allowUnsignedPayload', '{"sub":"a"}', true, { sub: 'a' }],
    ['arbitrary text is not signed', 'hello', false, 'signature_required'],
    ['arbitrary text is not claims', 'hello', true, 'token_malformed'],
    [
      'an unsecured JWT (alg none, empty signature) is not signed',
      'eyJhbGciOiJub25lIn0.e30.',
      false,
      'signature_required',
    ],
    ['a JSON array is not claims', '["a"]', true, 'token_malformed'],
    ['JSON null is not claims', 'null', true, 'token_malformed'],
  ])('%s', (_name, plaintext, allow, expected) => {
    if (typeof expected === 'object')
      return expect(interpretPlaintext(enc(plaintext), allow)).toEqual({ claims: expected })
    let err: unknown
    try {
      interpretPlaintext(enc(plaintext), allow)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: expected, status: 401 })
    expect((err as Error).message).not.toContain(plaintext)
  })

  it('invalid UTF-8 is malformed', () => {
    expect(() => interpretPlaintext(new Uint8Array([0xff, 0xfe]), true)).toThrow(AuthError)
  })
})
