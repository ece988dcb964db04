// options.introspection at start-up: every mistake is a TypeError naming the member and the fix,
// and no message ever quotes a secret or a key.
import { generateKeyPair, exportJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import type { AuthenticatorOptions } from '../types.js'
import { introspectorOf } from './index.js'

const SECRET = 'do-not-print-this-secret-0123456789abcdef'
const ISSUER = 'https://id.example.com'
const base = {
  algorithms: ['RS256'],
  key: { discovery: ISSUER },
} as const

function make(introspection: unknown, extra: Record<string, unknown> = {}) {
  return () =>
    createAuthenticator({ ...base, ...extra, introspection } as unknown as AuthenticatorOptions)
}

describe('options.introspection start-up checks', () => {
  it.each([
    ['not an object', 'yes', /options\.introspection must be an object/],
    [
      'an unknown member',
      { client: { id: 'a', secret: SECRET }, endpont: 'x' },
      /unknown option options\.introspection\.endpont/,
    ],
    ['no client', {}, /options\.introspection\.client is required/],
    [
      'an empty client id',
      { client: { id: '', secret: SECRET } },
      /client\.id must be the client id/,
    ],
    [
      'no secret for client_secret_basic',
      { client: { id: 'a' } },
      /client\.secret is required for client_secret_basic/,
    ],
    [
      'an unknown auth method',
      { client: { id: 'a', secret: SECRET, auth: 'tls_client_auth' } },
      /client\.auth must be one of client_secret_basic, client_secret_post, private_key_jwt/,
    ],
    [
      'a key with a secret method',
      { client: { id: 'a', secret: SECRET, auth: 'client_secret_basic', key: 'x' } },
      /client\.key is for auth: 'private_key_jwt' only/,
    ],
    [
      'a secret with private_key_jwt',
      { client: { id: 'a', secret: SECRET, auth: 'private_key_jwt' } },
      /client\.secret must not be set with auth: 'private_key_jwt'/,
    ],
    [
      'private_key_jwt without a key',
      { client: { id: 'a', auth: 'private_key_jwt' } },
      /client\.key is required for private_key_jwt/,
    ],
    [
      'an http endpoint that is not loopback',
      { endpoint: 'http://id.example.com/introspect', client: { id: 'a', secret: SECRET } },
      /endpoint must use https/,
    ],
    [
      // Issue 21 item 6: Node resolves *.localhost through DNS; only literal loopback is plain http.
      'an http endpoint on a *.localhost name',
      { endpoint: 'http://idp.localhost/introspect', client: { id: 'a', secret: SECRET } },
      /endpoint must use https .*not \*\.localhost/,
    ],
    [
      'credentials in the endpoint URL',
      { endpoint: `https://a:${SECRET}@id.example.com/i`, client: { id: 'a', secret: SECRET } },
      /must not carry credentials in the URL/,
    ],
    [
      'a link-local endpoint',
      { endpoint: 'https://169.254.169.254/i', client: { id: 'a', secret: SECRET } },
      /link-local/,
    ],
    ['a bad mode', { client: { id: 'a', secret: SECRET }, mode: 'jwt' }, /mode must be 'opaque'/],
    [
      'a bad timeout',
      { client: { id: 'a', secret: SECRET }, timeout: 0 },
      /timeout must be from 1ms/,
    ],
    [
      'a bad cache.max',
      { client: { id: 'a', secret: SECRET }, cache: { max: 0 } },
      /cache\.max must be a positive integer/,
    ],
    [
      'an unknown cache member',
      { client: { id: 'a', secret: SECRET }, cache: { ttl: '1m' } },
      /unknown option options\.introspection\.cache\.ttl/,
    ],
    [
      'a bad tokenTypeHint',
      { client: { id: 'a', secret: SECRET }, tokenTypeHint: 'a b' },
      /tokenTypeHint must be a token type/,
    ],
    [
      'jwtResponse not a boolean',
      { client: { id: 'a', secret: SECRET }, jwtResponse: 'yes' },
      /jwtResponse must be true or false/,
    ],
  ])('%s', (_name, introspection, message) => {
    let error: unknown
    try {
      make(introspection)()
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).not.toContain(SECRET)
  })

  it('no endpoint and no discovery says where to put it', () => {
    expect(
      make({ client: { id: 'a', secret: SECRET } }, { key: 'a'.repeat(32), algorithms: ['HS256'] }),
    ).toThrow(/options\.introspection\.endpoint is required .*options\.key is \{ discovery \}/)
  })

  it('jwtResponse without a known issuer asks for options.issuer', () => {
    expect(
      make(
        {
          endpoint: 'https://id.example.com/i',
          client: { id: 'a', secret: SECRET },
          jwtResponse: true,
        },
        { key: 'a'.repeat(32), algorithms: ['HS256'] },
      ),
    ).toThrow(/jwtResponse needs the authorization server's issuer .* set options\.issuer/)
  })

  it('is refused with options.issuers (one authorization server per authenticator)', () => {
    expect(() =>
      createAuthenticator({
        issuers: [{ issuer: ISSUER, key: { discovery: ISSUER }, algorithms: ['RS256'] }],
        introspection: {
          endpoint: 'https://id.example.com/i',
          client: { id: 'a', secret: SECRET },
        },
      }),
    ).toThrow(/cannot be combined with options\.issuers/)
  })

  it('private_key_jwt: a secret as the key, or a key that cannot sign alg, is refused', async () => {
    expect(make({ client: { id: 'a', auth: 'private_key_jwt', key: SECRET } })).toThrow(
      /client\.key must be a private key, not a secret/,
    )
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const jwk = await exportJWK(privateKey)
    expect(make({ client: { id: 'a', auth: 'private_key_jwt', key: jwk, alg: 'RS256' } })).toThrow(
      /client\.key cannot sign RS256/,
    )
    const { d: _d, ...publicJwk } = jwk
    expect(make({ client: { id: 'a', auth: 'private_key_jwt', key: publicJwk } })).toThrow(
      /options\.introspection\.client\.key/,
    )
    // The algorithm follows from the key: ES256 for a P-256 key.
    expect(make({ client: { id: 'a', auth: 'private_key_jwt', key: jwk } })).not.toThrow()
  })

  it('valid options build an introspector; loopback http endpoints are accepted', () => {
    const auth = make({
      endpoint: 'http://127.0.0.1:8080/introspect',
      client: { id: 'a', secret: SECRET, auth: 'client_secret_post' },
      cache: { maxAge: '1m', negativeTtl: 0, max: 100 },
      timeout: '2s',
      tokenTypeHint: false,
    })()
    expect(introspectorOf(auth)).toBeDefined()
  })
})

describe('which tokens go to introspection', () => {
  const auth = make({ client: { id: 'a', secret: SECRET } })()
  const always = make({ client: { id: 'a', secret: SECRET }, mode: 'always' })()
  it.each([
    ['an opaque token (no dots)', 'Zm9vYmFy0123456789', true],
    ['a token with one dot (Hydra ory_at_x.y)', 'ory_at_abc.def', true],
    ['four segments', 'a.b.c.d', true],
    ['a compact JWS (three segments)', 'a.b.c', false],
    ['a compact JWE (five segments)', 'a.b.c.d.e', false],
  ])("mode 'opaque': %s", (_name, token, introspected) => {
    expect(introspectorOf(auth)!.applies(token)).toBe(introspected)
    expect(introspectorOf(always)!.applies(token)).toBe(true)
  })
})
