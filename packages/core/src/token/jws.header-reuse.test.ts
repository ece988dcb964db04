// The decoded protected header is reused across tokens (jws.ts: the last verified header in front
// of a bounded map, perf issue 17); only its decoding is skipped. These tests pin that every header
// rule, the key selection by kid and the signature are still decided on every token, on both
// signature paths, whichever header was seen last.
import { keysFor, signToken, withSegment } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import { StaticKeySource } from '../keys/source.js'
import { prepareKey } from '../keys/public-key.js'
import { checkJws } from './jws.js'
import { joseSignatureCheck } from './signature-check.js'
import { nodeSignatureCheck } from './signature-check.node.js'
import type { SignatureCheck } from './signature-check.js'

const PATHS: Array<[string, SignatureCheck]> = [
  ['node:crypto', nodeSignatureCheck],
  ['jose', joseSignatureCheck],
]

/** 'ok <sub>' or the AuthError code, as the pipeline would answer. */
async function verdict(
  token: string,
  keys: StaticKeySource,
  algorithms: string[],
  check: SignatureCheck,
): Promise<string> {
  try {
    const verified = await checkJws(token, keys, new Set(algorithms), check)
    const payload = JSON.parse(new TextDecoder().decode(verified.payload)) as { sub: string }
    expect(Object.isFrozen(verified.protectedHeader)).toBe(true)
    return `ok ${payload.sub}`
  } catch (err) {
    if (err instanceof AuthError) return err.code
    throw err
  }
}

/** A local JWKS of two ES256 keys, selected by kid. */
async function twoKeys() {
  const a = await keysFor('ES256', { label: 'reuse-a' })
  const b = await keysFor('ES256', { label: 'reuse-b' })
  const entries = [a, b].map((k, i) => ({
    prepared: prepareKey({ ...k.publicJwk, kid: `k${i}` }, `options.key.jwks.${i}`),
    kid: `k${i}`,
    algs: ['ES256'],
  }))
  return { a, b, source: new StaticKeySource(entries, true) }
}

describe.each(PATHS)('%s: a reused header decides nothing by itself', (_path, check) => {
  it('the same header, another token: a bad signature is signature_invalid', async () => {
    const { a, source } = await twoKeys()
    const good = await signToken({ sub: 'alice' }, { alg: 'ES256', key: a, kid: 'k0' })
    const other = await signToken({ sub: 'bob' }, { alg: 'ES256', key: a, kid: 'k0' })
    // bob's payload under alice's signature: same header segment, signature not for this input.
    const spliced = withSegment(other, 2, good.split('.')[2]!)
    expect(await verdict(good, source, ['ES256'], check)).toBe('ok alice')
    expect(await verdict(spliced, source, ['ES256'], check)).toBe('signature_invalid')
    expect(await verdict(other, source, ['ES256'], check)).toBe('ok bob')
  })

  it('two issuers alternating (kid k0, k1): each token is checked with its own key', async () => {
    const { a, b, source } = await twoKeys()
    const t0 = await signToken({ sub: 'zero' }, { alg: 'ES256', key: a, kid: 'k0' })
    const t1 = await signToken({ sub: 'one' }, { alg: 'ES256', key: b, kid: 'k1' })
    // k1's header on a token signed by k0's key: the header was seen (and verified) before.
    const wrongKey = await signToken({ sub: 'mallory' }, { alg: 'ES256', key: a, kid: 'k1' })
    const unknownKid = await signToken({ sub: 'x' }, { alg: 'ES256', key: a, kid: 'k9' })
    for (let i = 0; i < 3; i++) {
      expect(await verdict(t0, source, ['ES256'], check)).toBe('ok zero')
      expect(await verdict(t1, source, ['ES256'], check)).toBe('ok one')
      expect(await verdict(wrongKey, source, ['ES256'], check)).toBe('signature_invalid')
      expect(await verdict(t0, source, ['ES256'], check)).toBe('ok zero')
      expect(await verdict(unknownKid, source, ['ES256'], check)).toBe('key_not_found')
    }
  })

  it('the last verified header under another allowlist: alg_not_allowed', async () => {
    const { a, source } = await twoKeys()
    const token = await signToken({ sub: 'alice' }, { alg: 'ES256', key: a, kid: 'k0' })
    expect(await verdict(token, source, ['ES256'], check)).toBe('ok alice')
    expect(await verdict(token, source, ['ES384'], check)).toBe('alg_not_allowed')
    expect(await verdict(token, source, ['ES256'], check)).toBe('ok alice')
  })

  it('a header whose token failed is decoded and checked again next time', async () => {
    const { a, b, source } = await twoKeys()
    // A fresh header (a member no other test uses) first seen on a forged token.
    const header = { 'x-reuse': 'forged-first' }
    const forged = await signToken({ sub: 'mallory' }, { alg: 'ES256', key: b, kid: 'k0', header })
    const good = await signToken({ sub: 'alice' }, { alg: 'ES256', key: a, kid: 'k0', header })
    expect(await verdict(forged, source, ['ES256'], check)).toBe('signature_invalid')
    expect(await verdict(good, source, ['ES256'], check)).toBe('ok alice')
    expect(await verdict(forged, source, ['ES256'], check)).toBe('signature_invalid')
  })
})
