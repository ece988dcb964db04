// The node:crypto check writes an asymmetric token's signing input and signature into one reused
// buffer (perf, issue 17). These tests pin that the buffer carries nothing from one check to the
// next and that a token too long for it gets the same verdict through buffers of its own: every
// answer is jose's (signature-check.ts) on the same token and key.
import { flipBit, keysFor, signToken } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { joseSignatureCheck } from './signature-check.js'
import { nodeSignatureCheck } from './signature-check.node.js'

const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const

/** 'ok' and the payload text, or the name of the error the check threw. */
async function verdict(check: () => Uint8Array | Promise<Uint8Array>): Promise<string> {
  try {
    return `ok ${new TextDecoder().decode(await check())}`
  } catch (err) {
    return (err as Error).constructor.name
  }
}

async function bothVerdicts(token: string, key: CryptoKey, alg: string): Promise<string> {
  const node = await verdict(() => nodeSignatureCheck(token, key, alg))
  expect(await verdict(() => joseSignatureCheck(token, key, alg))).toBe(node)
  return node
}

describe('the reused signature buffer carries nothing from one token to the next', () => {
  it.each(ASYMMETRIC)(
    '%s: valid, tampered, other key, valid again: each its own verdict',
    async (alg) => {
      const keys = await keysFor(alg)
      const other = await keysFor(alg, { label: 'other' })
      const key = keys.publicKey as CryptoKey
      const good = await signToken({ sub: 'alice' }, { alg, key: keys })
      const goodToo = await signToken({ sub: 'bob' }, { alg, key: keys })
      const forged = await signToken({ sub: 'alice' }, { alg, key: other })
      const tampered = flipBit(good, 2)
      expect(await bothVerdicts(good, key, alg)).toMatch(/^ok .*"sub":"alice"/)
      expect(await bothVerdicts(tampered, key, alg)).toBe('JWSSignatureVerificationFailed')
      expect(await bothVerdicts(forged, key, alg)).toBe('JWSSignatureVerificationFailed')
      // A shorter signing input after a longer one: stale bytes past its end are never read.
      expect(await bothVerdicts(goodToo, key, alg)).toMatch(/^ok .*"sub":"bob"/)
      expect(await bothVerdicts(good, key, alg)).toMatch(/^ok .*"sub":"alice"/)
    },
  )

  it('two algorithms and keys interleaved keep their own verdicts', async () => {
    const rs = await keysFor('RS256')
    const es = await keysFor('ES256')
    const rsToken = await signToken({ sub: 'rs' }, { alg: 'RS256', key: rs })
    const esToken = await signToken({ sub: 'es' }, { alg: 'ES256', key: es })
    const forged = await signToken(
      { sub: 'rs' },
      { alg: 'RS256', key: await keysFor('RS256', { label: 'other' }) },
    )
    for (let i = 0; i < 3; i++) {
      expect(await bothVerdicts(rsToken, rs.publicKey as CryptoKey, 'RS256')).toMatch(/"sub":"rs"/)
      expect(await bothVerdicts(esToken, es.publicKey as CryptoKey, 'ES256')).toMatch(/"sub":"es"/)
      expect(await bothVerdicts(forged, rs.publicKey as CryptoKey, 'RS256')).toBe(
        'JWSSignatureVerificationFailed',
      )
    }
  })
})

describe('a token longer than the reused buffer (8192 characters) gets the same verdict', () => {
  it.each(ASYMMETRIC)('%s: valid accepted, tampered refused, as jose', async (alg) => {
    const keys = await keysFor(alg)
    const key = keys.publicKey as CryptoKey
    const token = await signToken({ sub: 'alice', pad: 'x'.repeat(9000) }, { alg, key: keys })
    expect(token.length).toBeGreaterThan(8192)
    expect(await bothVerdicts(token, key, alg)).toMatch(/^ok .*"sub":"alice"/)
    expect(await bothVerdicts(flipBit(token, 2), key, alg)).toBe('JWSSignatureVerificationFailed')
    expect(await bothVerdicts(flipBit(token, 1), key, alg)).toBe('JWSSignatureVerificationFailed')
  })
})
