// Type-level promises of the registry: algorithm names are literal unions, so a typo is a type error.
import { describe, expectTypeOf, it } from 'vitest'
import {
  createAuthenticator,
  type AuthenticatorOptions,
  type JweContentEncryptionAlgorithm,
  type JweKeyManagementAlgorithm,
  type JwsAlgorithm,
} from '../index.js'

const key = 'x'.repeat(32)

describe('algorithm names (issue 14 item 6)', () => {
  it('derives the unions from the registry tables', () => {
    expectTypeOf<'RS256'>().toExtend<JwsAlgorithm>()
    expectTypeOf<'Ed25519'>().toExtend<JwsAlgorithm>()
    expectTypeOf<'none'>().not.toExtend<JwsAlgorithm>()
    expectTypeOf<'ECDH-ES+A256KW'>().toExtend<JweKeyManagementAlgorithm>()
    expectTypeOf<'RSA1_5'>().not.toExtend<JweKeyManagementAlgorithm>()
    expectTypeOf<'A256GCM'>().toExtend<JweContentEncryptionAlgorithm>()
  })

  it('refuses a typo in an algorithms literal, and accepts readonly lists', () => {
    // @ts-expect-error 'RS265' is not a JWS algorithm
    createAuthenticator({ algorithms: ['RS265'], key })
    // @ts-expect-error 'none' is never a type-correct algorithm
    createAuthenticator({ algorithms: ['none'], key })
    createAuthenticator({ algorithms: ['HS256'], key })
    const fromConfig = ['HS256', 'HS384'] as const
    createAuthenticator({ algorithms: fromConfig, key })
    const options = { algorithms: ['HS256'], key } satisfies AuthenticatorOptions
    createAuthenticator(options)
  })

  it('types the JWE and DPoP lists too', () => {
    const decrypt = { keys: key, keyManagementAlgorithms: ['dir'] as const }
    createAuthenticator({
      algorithms: ['HS256'],
      key,
      decrypt: {
        ...decrypt,
        // @ts-expect-error 'A256CTR' is not a content encryption algorithm
        contentEncryptionAlgorithms: ['A256CTR'],
      },
    })
    createAuthenticator({
      algorithms: ['ES256'],
      key,
      // @ts-expect-error HMAC is never a DPoP proof algorithm (RFC 9449 §4.2)
      dpop: { mode: 'allowed', algorithms: ['HS256'] },
    })
  })
})
