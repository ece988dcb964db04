// The node:crypto JWE path against jose's: the same verdict, code and status for every key
// management and content encryption algorithm, on valid, tampered and misfit input (RFC 7516 §5.2,
// RFC 7518 §4-5), whichever one `#jwe-decrypt` picks for this run.
import {
  b64url,
  decodeHeader,
  encryptToken,
  keysFor,
  tamper,
  type TestKeys,
} from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { isAuthError } from '../errors.js'
import {
  DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS,
  JWE_KEY_MANAGEMENT_NAMES,
  jweKeyManagement,
} from '../keys/algorithms.js'
import type { DecryptOptions, JweContentEncryptionAlgorithm } from '../types.js'
import { resolveDecryptOptions } from './jwe.js'
import { joseJweDecrypt } from './jwe-decrypt.js'
import { nodeJweDecrypt } from './jwe-decrypt.node.js'

type Outcome = { ok: true; text: string } | { ok: false; code: string; status: number }

async function outcome(promise: Promise<{ plaintext: Uint8Array }>): Promise<Outcome> {
  try {
    return { ok: true, text: new TextDecoder().decode((await promise).plaintext) }
  } catch (err) {
    if (!isAuthError(err)) throw err
    return { ok: false, code: err.code, status: err.status }
  }
}

/** Both decryptors on one token: their outcomes, which must be equal. */
async function both(options: DecryptOptions, token: string): Promise<[Outcome, Outcome]> {
  const jose = resolveDecryptOptions(options, 'options.decrypt', joseJweDecrypt)
  const node = resolveDecryptOptions(options, 'options.decrypt', nodeJweDecrypt)
  return [await outcome(jose.decrypt(token)), await outcome(node.decrypt(token))]
}

const header = (token: string, patch: Record<string, unknown>) =>
  tamper(token, 0, b64url({ ...decodeHeader(token), ...patch }))

// PBES2 takes its password as a plain secret; every other alg as the generated keys.
const keyFor = (alg: string, keys: TestKeys): DecryptOptions['keys'] =>
  keys.kind === 'secret' ? (keys.secret as Uint8Array) : (keys.privatePem ?? keys.privateJwk)

const CASES = JWE_KEY_MANAGEMENT_NAMES.flatMap((alg) =>
  (alg === 'dir' ? DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS : ['A128GCM', 'A256CBC-HS512']).map(
    (enc) => [alg, enc] as const,
  ),
)

// Bun and Deno never load the node:crypto JWE file: package.json `imports` sends them to jose under
// their own `bun`/`deno` condition (Deno's node:crypto has no AES key wrap,
// test/runtimes/evidence/node-crypto.mjs), so there the table is replaced by that check.
const nodeJweRuntime = !('Deno' in globalThis) && !('Bun' in globalThis)
if (!nodeJweRuntime) {
  it('this runtime decrypts with jose (its own bun/deno condition)', async () => {
    const chosen = await import('#jwe-decrypt')
    expect(chosen.jwePath).toBe('jose')
  })
}

describe.each(nodeJweRuntime ? CASES : [])('%s + %s: node:crypto and jose agree', (alg, enc) => {
  const family = jweKeyManagement(alg)!.family
  const ready = (async () => {
    const keys =
      family === 'pbes2'
        ? ({
            kind: 'secret',
            secret: new TextEncoder().encode('a long shared password'),
          } as TestKeys)
        : await keysFor(alg, { label: 'agree', enc })
    const options: DecryptOptions = {
      keys: keyFor(alg, keys),
      keyManagementAlgorithms: [alg],
      contentEncryptionAlgorithms: [enc as JweContentEncryptionAlgorithm],
    }
    const good = await encryptToken('the plaintext', {
      alg,
      enc,
      key: family === 'pbes2' ? keys.secret! : keys,
      kid: null,
      ...(family === 'pbes2' && { p2c: 1000 }),
    })
    return { options, good }
  })()

  it('a valid token: the same plaintext', async () => {
    const { options, good } = await ready
    const [jose, node] = await both(options, good)
    expect(jose).toEqual({ ok: true, text: 'the plaintext' })
    expect(node).toEqual(jose)
  })

  it.each([
    // A direct mode gets an encrypted key where it must have none (RFC 7516 §5.2 step 10).
    ['the encrypted key', (t: string) => tamper(t, 1, (s) => (s === '' ? 'AAAA' : tamper(s, 0)))],
    ['the iv', (t: string) => tamper(t, 2)],
    ['the ciphertext', (t: string) => tamper(t, 3)],
    ['the tag', (t: string) => tamper(t, 4)],
    ['a truncated tag', (t: string) => tamper(t, 4, (s) => s.slice(0, 16))],
    ['a truncated iv', (t: string) => tamper(t, 2, (s) => s.slice(0, 8))],
    ['the protected header (AAD)', (t: string) => header(t, { typ: 'x' })],
    [
      'a header member of the key management (epk x, iv, p2s)',
      (t: string) => {
        const h = decodeHeader(t) as Record<string, unknown>
        if (family === 'ecdh-es') {
          const epk = h.epk as Record<string, string | undefined>
          return header(t, { epk: { ...epk, x: epk.y ?? epk.x!.replace(/^./, 'A') } })
        }
        if (family === 'aesgcmkw') return header(t, { iv: b64url(new Uint8Array(12)) })
        if (family === 'pbes2') return header(t, { p2s: b64url(new Uint8Array(16)) })
        return header(t, { x: 1 })
      },
    ],
  ])('tampered: %s, the same refusal', async (_what, mutate) => {
    const { options, good } = await ready
    const [jose, node] = await both(options, mutate(good))
    expect(jose.ok).toBe(false)
    expect(node).toEqual(jose)
  })
})
