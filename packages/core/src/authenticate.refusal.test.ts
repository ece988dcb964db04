// authenticate() rejects with run()'s own error when refusal() would return it unchanged (no realm,
// no resource metadata, no DPoP: perf, issue 17), and with the realm's copy otherwise. These tests
// pin both: the same AuthError (code, description, status, challenge, body), and anything that is
// not an AuthError rejected as it is.
import { keysFor, signToken } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from './authenticate.js'
import { AuthError } from './errors.js'
import type { AuthenticatorOptions, RequestLike } from './types.js'

const ISSUER = 'https://issuer.example'
const AUDIENCE = 'https://api.example'
const bearer = (token: string): RequestLike => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
})

async function rejection(options: AuthenticatorOptions, request: RequestLike): Promise<unknown> {
  try {
    await createAuthenticator(options).authenticate(request)
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('a refusal without realm, resource metadata or DPoP is the pipeline error itself', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['no token', 'token_missing', undefined],
    [
      'a malformed credential',
      'invalid_request',
      'the Bearer credential is malformed (RFC 6750 §2.1)',
    ],
    ['a bad signature', 'signature_invalid', 'the token signature is invalid'],
    ['another audience', 'claim_invalid', 'claim aud does not include this audience'],
  ]
  const requestFor = async (name: string, keys: Awaited<ReturnType<typeof keysFor>>) => {
    if (name === 'no token') return { method: 'GET', url: '/', headers: {} }
    if (name === 'a malformed credential')
      return { method: 'GET', url: '/', headers: { authorization: 'Bearer a b' } }
    const aud = name === 'another audience' ? 'https://other.example' : AUDIENCE
    const token = await signToken({ sub: 'alice', iss: ISSUER, aud }, { alg: 'HS256', key: keys })
    // A signature of the right length that is not this token's.
    return bearer(
      name === 'a bad signature'
        ? `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(43)}`
        : token,
    )
  }

  it.each(cases)('%s: %s, the challenge it always had', async (name, code, description) => {
    const keys = await keysFor('HS256')
    const options: AuthenticatorOptions = {
      algorithms: ['HS256'],
      key: keys.secret as Uint8Array,
      issuer: ISSUER,
      audience: AUDIENCE,
      cache: false,
    }
    const request = await requestFor(name, keys)
    const err = await rejection(options, request)
    expect(err).toBeInstanceOf(AuthError)
    const auth = err as AuthError
    expect(auth.code).toBe(code)
    expect(auth.realm).toBeUndefined()
    if (description !== undefined) expect(auth.description).toBe(description)
    const error = auth.error === undefined ? '' : `error="${auth.error}", `
    // A quoted-string carries ASCII only: '§' is written 'section ' (errors.ts).
    const quoted = description?.replace('§', 'section ')
    expect(auth.challenge).toBe(
      description === undefined ? 'Bearer' : `Bearer ${error}error_description="${quoted}"`,
    )
    // With a realm the same refusal is the realm's copy: same code, description, status and body.
    const withRealm = (await rejection({ ...options, realm: 'api' }, request)) as AuthError
    expect(withRealm).not.toBe(auth)
    expect([withRealm.code, withRealm.description, withRealm.status]).toEqual([
      auth.code,
      auth.description,
      auth.status,
    ])
    expect(withRealm.challenge).toBe(
      description === undefined
        ? 'Bearer realm="api"'
        : `Bearer realm="api", ${error}error_description="${quoted}"`,
    )
    expect(withRealm.toResponse().body).toEqual(auth.toResponse().body)
  })

  it('an error that is not an AuthError (a custom extractor that throws) is rejected as it is', async () => {
    const boom = new RangeError('extractor bug')
    const options: AuthenticatorOptions = {
      algorithms: ['HS256'],
      key: new Uint8Array(32).fill(1),
      from: {
        custom: () => {
          throw boom
        },
      },
    }
    expect(await rejection(options, bearer('x.y.z'))).toBe(boom)
    expect(await rejection({ ...options, realm: 'api' }, bearer('x.y.z'))).toBe(boom)
  })
})
