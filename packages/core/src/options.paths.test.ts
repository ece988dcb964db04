// Each resolver names the option path it was given: a check of an issuers entry names that entry
// (options.issuers.N.key...), with the very message the same mistake gets at the top level.
import { describe, expect, it } from 'vitest'
import { resolveOptions } from './options.js'
import type { AuthenticatorOptions } from './types.js'

const publicPem =
  '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqf1dZxo5LtNtaVtsC4ynHmWnG8bM\nx/tGSkYdKvT3uoPw7CaVcQjV1X5bxmJGEpgJdrS05o7HNSKNVbm0g52R6Q==\n-----END PUBLIC KEY-----'

function message(options: unknown): string {
  try {
    resolveOptions(options as AuthenticatorOptions<unknown>)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('expected a start-up error')
}

describe('option paths: an issuers entry gets the top-level message with its own path', () => {
  it.each<[string, { algorithms: string[]; key: unknown }]>([
    ['algorithms with none (RFC 8725 §3.2)', { algorithms: ['none'], key: 'k'.repeat(32) }],
    [
      'mixed HMAC and public-key algorithms (RFC 8725 §3.1)',
      { algorithms: ['HS256', 'ES256'], key: 'k'.repeat(32) },
    ],
    [
      'a public-key PEM as an HMAC secret (RFC 8725 §3.1)',
      { algorithms: ['HS256'], key: publicPem },
    ],
    ['a key that cannot verify the algorithm', { algorithms: ['RS256'], key: publicPem }],
    [
      'a remote key with a zero timeout',
      { algorithms: ['ES256'], key: { jwksUri: 'https://idp.example/jwks', timeout: 0 } },
    ],
    [
      'a remote key over plain http',
      { algorithms: ['ES256'], key: { jwksUri: 'http://idp.example/jwks' } },
    ],
    [
      'a remote key with an unknown member',
      { algorithms: ['ES256'], key: { jwksUri: 'https://idp.example/jwks', header: {} } },
    ],
    [
      'a discovery key with a bad allowJwksOrigins',
      {
        algorithms: ['ES256'],
        key: { discovery: 'https://idp.example', allowJwksOrigins: ['http://x.example'] },
      },
    ],
    ['a JWK Set without a fitting key', { algorithms: ['RS256'], key: { jwks: { keys: [] } } }],
  ])('%s', (_name, { algorithms, key }) => {
    const top = message({ algorithms, key })
    const discovery = (key as { discovery?: string }).discovery
    const entry = message({
      issuers: [{ issuer: discovery ?? 'https://idp.example', algorithms, key }],
    })
    expect(top).toMatch(/options\.(key|algorithms)/)
    expect(entry).toBe(top.replace(/options\.(key|algorithms)\b/g, 'options.issuers.0.$1'))
  })
})

describe('one wording for an unknown option: tokengate: unknown option <path>: <what it takes>', () => {
  const base = { algorithms: ['HS256'], key: 'k'.repeat(32) }
  it.each<[string, unknown, string]>([
    ['top level', { ...base, algorithm: ['HS256'] }, 'options.algorithm'],
    ['options.from', { ...base, from: { headers: true } }, 'options.from.headers'],
    [
      'options.decrypt',
      {
        ...base,
        decrypt: { keys: 'k'.repeat(32), keyManagementAlgorithms: ['dir'], require: true },
      },
      'options.decrypt.require',
    ],
    ['options.dpop', { ...base, dpop: { mode: 'allowed', origin: [] } }, 'options.dpop.origin'],
    [
      'options.revocation',
      {
        ...base,
        revocation: {
          store: { isRevoked: () => false, revoke: () => undefined },
          withoutJTI: 'allow',
        },
      },
      'options.revocation.withoutJTI',
    ],
    [
      'options.key (remote)',
      { algorithms: ['ES256'], key: { jwksUri: 'https://idp.example/jwks', timout: '5s' } },
      'options.key.timout',
    ],
    [
      'an issuers entry',
      { issuers: [{ ...base, issuer: 'https://idp.example', aud: 'x' }] },
      'options.issuers.0.aud',
    ],
  ])('%s', (_name, options, path) => {
    expect(message(options)).toMatch(
      new RegExp(`^tokengate: unknown option ${path.replace(/\./g, '\\.')}: \\S`),
    )
  })
})
