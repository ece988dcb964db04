// Sentinel for the runtime split of JWE decryption and DPoP proofs (issue 17 item 3): each suite run
// is on the path it claims. The default vitest run resolves `#jwe-decrypt` and `#signature-check`
// under the `node` condition (node:crypto); vitest.portable.config.ts resolves them without it
// (jose on Web Crypto) and sets TOKENGATE_SIGNATURE_PATH=jose. Beside the module identity, the
// pipeline itself is watched: Web Crypto's per-token operations are counted (spies that pass every
// call through) while createAuthenticator opens a nested JWE and checks a DPoP proof, so a path
// that silently falls back to jose on Node fails here.
import * as chosen from '#jwe-decrypt'
import { dpopProof, jktOf, keysFor, nestedToken, signToken } from '@tokengate/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { joseJweDecrypt } from './jwe-decrypt.js'
import { nodeJweDecrypt } from './jwe-decrypt.node.js'

// Bun and Deno (vitest.runtime.config.ts) resolve `#jwe-decrypt` under their own condition: jose.
const claimed =
  process.env.TOKENGATE_JWE_PATH ?? process.env.TOKENGATE_SIGNATURE_PATH ?? 'node:crypto'
// DPoP proofs go through `#signature-check`, node:crypto on Bun and Deno too.
const signatureClaimed = process.env.TOKENGATE_SIGNATURE_PATH ?? 'node:crypto'
const ORIGIN = 'https://api.example.com'

/** Counts the Web Crypto calls a token's verification could make, passing each one through. */
function watchSubtle(): () => number {
  const ops = ['decrypt', 'unwrapKey', 'deriveBits', 'verify', 'digest', 'sign'] as const
  const spies = ops.map((op) => vi.spyOn(crypto.subtle, op))
  return () => spies.reduce((n, spy) => n + spy.mock.calls.length, 0)
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe(`#jwe-decrypt in this run (${claimed})`, () => {
  it('is the path this run claims', () => {
    expect(chosen.jwePath).toBe(claimed)
    expect(chosen.jweDecrypt).toBe(claimed === 'jose' ? joseJweDecrypt : nodeJweDecrypt)
  })

  it.each([
    ['RSA-OAEP-256', 'A256GCM'],
    ['ECDH-ES+A256KW', 'A128CBC-HS256'],
    ['A256KW', 'A256GCM'],
    ['dir', 'A256CBC-HS512'],
  ] as const)(
    `a nested %s + %s token is opened ${claimed === 'jose' ? 'with' : 'without'} Web Crypto`,
    async (alg, enc) => {
      const [signer, recipient] = await Promise.all([
        keysFor('ES256', { kid: 'sig' }),
        keysFor(alg, { label: `path-${enc}`, enc }),
      ])
      const recipientKey = recipient.privatePem ?? recipient.privateJwk
      const authenticator = createAuthenticator({
        algorithms: ['ES256'],
        key: signer.publicJwk,
        decrypt: {
          keys: alg === 'dir' ? recipient.secret! : recipientKey,
          keyManagementAlgorithms: [alg],
          contentEncryptionAlgorithms: [enc],
        },
        cache: false,
      })
      const token = () =>
        nestedToken(
          { sub: 'alice' },
          { alg: 'ES256', key: signer },
          { alg, enc, key: alg === 'dir' ? recipient.secret! : recipient, kid: null },
        )
      const request = (t: string) => ({
        method: 'GET',
        url: '/',
        headers: { authorization: `Bearer ${t}` },
      })
      // The first token imports the keys (once per key, on both paths); the second is per-token work only.
      await authenticator.authenticate(request(await token()))
      const second = await token()
      const calls = watchSubtle()
      const context = await authenticator.authenticate(request(second))
      expect(context?.payload.sub).toBe('alice')
      if (claimed === 'jose') expect(calls()).toBeGreaterThan(0)
      else expect(calls()).toBe(0)
    },
  )
})

describe(`DPoP proofs in this run (${signatureClaimed})`, () => {
  it('a proof is checked with the signature path of this run (no Web Crypto per proof on Node)', async () => {
    const [server, client] = await Promise.all([
      keysFor('ES256', { kid: 'server' }),
      keysFor('ES256', { label: 'path-client' }),
    ])
    const authenticator = createAuthenticator({
      algorithms: ['ES256'],
      key: server.publicJwk,
      dpop: { mode: 'required', origins: [ORIGIN] },
      cache: false,
    })
    const accessToken = await signToken(
      { sub: 'alice', cnf: { jkt: await jktOf(client) } },
      { alg: 'ES256', key: server },
    )
    const request = () => ({
      method: 'GET',
      url: '/orders',
      headers: {
        authorization: `DPoP ${accessToken}`,
        dpop: dpopProof({ key: client, htm: 'GET', htu: `${ORIGIN}/orders`, accessToken }),
      },
    })
    await authenticator.authenticate(request()) // imports the server key and the client's proof key
    const next = request()
    const calls = watchSubtle()
    const context = await authenticator.authenticate(next)
    expect(context?.payload.sub).toBe('alice')
    if (signatureClaimed === 'jose') expect(calls()).toBeGreaterThan(0)
    else expect(calls()).toBe(0)
  })
})
