// Several issuers through createAuthenticator: iss picks the keys before verification, and nothing else.
import {
  encryptToken,
  jwksOf,
  keysFor,
  nestedToken,
  raw,
  signJws,
  signToken,
  type TestKeys,
} from '@tokengate/testkit'
import type { JWTPayload } from 'jose'
import { afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { z } from 'zod'
import { createAuthenticator } from '../authenticate.js'
import { AuthError } from '../errors.js'
import type { Authenticator, AuthenticatorOptions, RequestLike } from '../types.js'

const NOW = 1_800_000_000
const A = 'https://a.example' // HS256, a shared secret
const B = 'https://b.example' // ES256, a local JWKS
const C = 'https://c.example' // ES256, a remote JWKS

let hs: TestKeys
let es: TestKeys
let esC: TestKeys
let forger: TestKeys
let enc: TestKeys
let kw: TestKeys
beforeAll(async () => {
  ;[hs, es, esC, forger, enc, kw] = await Promise.all([
    keysFor('HS256', { kid: 'a' }),
    keysFor('ES256', { kid: 'b' }),
    keysFor('ES256', { kid: 'c' }),
    keysFor('ES256', { kid: 'b', label: 'forger' }),
    keysFor('ECDH-ES+A256KW', { kid: 'enc' }),
    keysFor('A256KW', { kid: 'kw' }),
  ])
})

let fetches: ReturnType<typeof vi.fn>
beforeEach(() => {
  vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] })
  // The remote JWKS of C, counted: an unknown issuer must never cause a fetch.
  fetches = vi.fn(async () => Response.json(jwksOf(esC)))
  vi.stubGlobal('fetch', fetches)
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

function options(extra: Record<string, unknown> = {}): AuthenticatorOptions {
  return {
    issuers: [
      { issuer: A, key: hs.secret as Uint8Array, algorithms: ['HS256'] },
      { issuer: B, key: { jwks: jwksOf(es) }, algorithms: ['ES256'], audience: 'api-b' },
      { issuer: C, key: { jwksUri: `${C}/jwks.json` }, algorithms: ['ES256'], typ: 'at+jwt' },
    ],
    audience: 'api',
    cache: false,
    ...extra,
  } as AuthenticatorOptions
}

const claims = (iss: string | undefined, extra: Record<string, unknown> = {}) => ({
  sub: 'alice',
  ...(iss !== undefined && { iss }),
  aud: iss === B ? 'api-b' : 'api',
  ...extra,
})
const fromA = (extra = {}) => signToken(claims(A, extra), { alg: 'HS256', key: hs, now: NOW })
const fromB = (extra = {}) => signToken(claims(B, extra), { alg: 'ES256', key: es, now: NOW })
const fromC = (extra = {}, typ = 'at+jwt') =>
  signToken(claims(C, extra), { alg: 'ES256', key: esC, typ, now: NOW })

const bearer = (token: string): RequestLike => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
})

async function outcome(token: string | Promise<string>, o = options()): Promise<string> {
  try {
    const ctx = await createAuthenticator(o).authenticate(bearer(await token))
    return ctx === null ? 'null' : `ok ${String(ctx.payload.iss)}`
  } catch (err) {
    if (err instanceof AuthError) return `${err.code} ${err.status}`
    throw err
  }
}

describe('the token iss picks the issuer', () => {
  it.each<[string, () => Promise<string>, string]>([
    ['HS256 token of A, verified with the secret of A', () => fromA(), `ok ${A}`],
    ['ES256 token of B, verified with the key set of B', () => fromB(), `ok ${B}`],
    ['ES256 token of C, verified with the remote key set of C', () => fromC(), `ok ${C}`],
  ])('%s', async (_name, token, expected) => {
    await expect(outcome(token())).resolves.toBe(expected)
  })

  it('takes issuers instead of algorithms and key; the claims type is inferred as with one issuer', () => {
    expectTypeOf(createAuthenticator(options())).toEqualTypeOf<Authenticator<JWTPayload>>()
    const typed = createAuthenticator({
      issuers: [{ issuer: A, key: hs.secret as Uint8Array, algorithms: ['HS256'] }],
      claims: z.object({ sub: z.string() }),
    })
    expectTypeOf(typed).toEqualTypeOf<Authenticator<{ sub: string }>>()
    const noAlgorithms = () =>
      // @ts-expect-error an issuer needs its algorithms
      createAuthenticator({ issuers: [{ issuer: A, key: 'k'.repeat(32) }] })
    expect(noAlgorithms).toThrow(/options\.issuers\.0\.algorithms/)
  })
})

describe("a token is verified only with its issuer's keys, algorithms and rules", () => {
  it.each<[string, () => Promise<string> | string, string]>([
    [
      'iss A, signed ES256 by B: A allows only HS256 (RFC 8725 §3.1)',
      () => signToken(claims(A), { alg: 'ES256', key: es, now: NOW }),
      'alg_not_allowed 401',
    ],
    [
      "iss B, signed HS256 with A's secret: algorithm confusion across issuers",
      () => signToken(claims(B), { alg: 'HS256', key: hs, now: NOW }),
      'alg_not_allowed 401',
    ],
    [
      "iss B, signed by a forger's key with B's kid",
      () => signToken(claims(B), { alg: 'ES256', key: forger, now: NOW }),
      'signature_invalid 401',
    ],
    [
      "iss C, signed by B's key (a key of another issuer)",
      () => signToken(claims(C), { alg: 'ES256', key: es, kid: 'c', typ: 'at+jwt', now: NOW }),
      'signature_invalid 401',
    ],
    [
      "B's audience is its own: aud 'api' is refused",
      () => fromB({ aud: 'api' }),
      'claim_invalid 401',
    ],
    [
      "A takes the top-level audience: aud 'api-b' is refused",
      () => fromA({ aud: 'api-b' }),
      'claim_invalid 401',
    ],
    [
      "C's typ is its own: a token without typ at+jwt is refused",
      () => fromC({}, 'JWT'),
      'claim_invalid 401',
    ],
    [
      'an unlisted issuer (RFC 8725 §3.8)',
      () => signToken(claims('https://evil.example'), { alg: 'HS256', key: hs, now: NOW }),
      'issuer_unknown 401',
    ],
    [
      'an issuer that differs only in case',
      () => signToken(claims('https://A.example'), { alg: 'HS256', key: hs, now: NOW }),
      'issuer_unknown 401',
    ],
    [
      'no iss at all',
      () => signToken(claims(undefined), { alg: 'HS256', key: hs, now: NOW }),
      'issuer_unknown 401',
    ],
    [
      'iss not a string',
      () => signToken(claims(A, { iss: [A] }), { alg: 'HS256', key: hs, now: NOW }),
      'issuer_unknown 401',
    ],
    [
      'a payload that is not JSON',
      () => signJws('HS256', hs.secret as Uint8Array, { alg: 'HS256' }, raw('{"iss":')),
      'token_malformed 401',
    ],
    [
      'a payload that is a JSON array',
      () => signJws('HS256', hs.secret as Uint8Array, { alg: 'HS256' }, [A]),
      'token_malformed 401',
    ],
  ])('%s', async (_name, token, expected) => {
    await expect(outcome(token())).resolves.toBe(expected)
  })

  it('an unknown or missing issuer is refused before any key is fetched', async () => {
    for (const iss of ['https://evil.example', undefined, C.toUpperCase()]) {
      const token = await signToken(claims(iss), { alg: 'ES256', key: esC, now: NOW })
      await expect(outcome(token)).resolves.toBe('issuer_unknown 401')
    }
    await expect(outcome(fromA())).resolves.toBe(`ok ${A}`)
    await expect(outcome(fromB())).resolves.toBe(`ok ${B}`)
    expect(fetches).not.toHaveBeenCalled()
    await expect(outcome(fromC())).resolves.toBe(`ok ${C}`)
    expect(fetches).toHaveBeenCalledTimes(1)
  })
})

describe('encrypted tokens: decrypted first, then the issuer is chosen from the inner token', () => {
  const decrypt = () => ({ keys: [enc.privateJwk], keyManagementAlgorithms: ['ECDH-ES+A256KW'] })
  const nested = (iss: string, key: TestKeys, alg: string) =>
    nestedToken(claims(iss), { alg, key, now: NOW }, { alg: 'ECDH-ES+A256KW', key: enc })

  it.each<[string, () => Promise<string>, string]>([
    ['a nested token of B', () => nested(B, es, 'ES256'), `ok ${B}`],
    ['a nested token of A', () => nested(A, hs, 'HS256'), `ok ${A}`],
    [
      'a nested token of an unlisted issuer',
      () => nested('https://evil.example', hs, 'HS256'),
      'issuer_unknown 401',
    ],
    ['a nested token claiming B, signed by A', () => nested(B, hs, 'HS256'), 'alg_not_allowed 401'],
  ])('%s', async (_name, token, expected) => {
    await expect(outcome(token(), options({ decrypt: decrypt() }))).resolves.toBe(expected)
  })

  it.each<[string, string, string]>([
    ["encrypted-only claims of B follow B's rules", B, `ok ${B}`],
    ['encrypted-only claims of an unlisted issuer', 'https://evil.example', 'issuer_unknown 401'],
  ])('%s', async (_name, iss, expected) => {
    const o = options({
      decrypt: {
        keys: [kw.secret as Uint8Array],
        keyManagementAlgorithms: ['A256KW'],
        allowUnsignedPayload: true,
      },
    })
    const token = encryptToken({ ...claims(iss), exp: NOW + 60 }, { alg: 'A256KW', key: kw })
    await expect(outcome(token, o)).resolves.toBe(expected)
  })
})

describe('start-up refusals name the entry and the fix', () => {
  const entry = () => ({
    issuer: A,
    key: hs.secret as Uint8Array,
    algorithms: ['HS256'] as const,
  })
  it.each<[string, () => Record<string, unknown>, RegExp]>([
    [
      'top-level key beside issuers',
      () => ({ issuers: [entry()], key: hs.secret }),
      /options\.key and options\.issuers are mutually exclusive/,
    ],
    [
      'top-level algorithms beside issuers',
      () => ({ issuers: [entry()], algorithms: ['HS256'] }),
      /options\.algorithms and options\.issuers are mutually exclusive/,
    ],
    [
      'top-level issuer beside issuers',
      () => ({ issuers: [entry()], issuer: A }),
      /options\.issuer and options\.issuers are mutually exclusive/,
    ],
    ['an empty list', () => ({ issuers: [] }), /options\.issuers must be a non-empty list/],
    ['not a list', () => ({ issuers: { issuer: A } }), /options\.issuers must be a non-empty list/],
    [
      'the same issuer twice',
      () => ({ issuers: [entry(), entry()] }),
      /options\.issuers\.1\.issuer repeats an earlier entry/,
    ],
    [
      'an entry without issuer',
      () => ({ issuers: [{ ...entry(), issuer: '' }] }),
      /options\.issuers\.0\.issuer must be the exact iss/,
    ],
    [
      'an entry without key',
      () => ({ issuers: [{ ...entry(), key: undefined }] }),
      /options\.issuers\.0\.key is required/,
    ],
    [
      'an entry without algorithms',
      () => ({ issuers: [{ ...entry(), algorithms: undefined }] }),
      /options\.issuers\.0\.algorithms must be a non-empty list/,
    ],
    [
      "an entry allowing 'none'",
      () => ({ issuers: [{ ...entry(), algorithms: ['none'] }] }),
      /options\.issuers\.0\.algorithms must not contain 'none'/,
    ],
    [
      'an entry whose secret is too short',
      () => ({ issuers: [{ ...entry(), key: 'short' }] }),
      /options\.issuers\.0\.key cannot verify HS256/,
    ],
    [
      'an entry with HMAC and a remote key set',
      () => ({ issuers: [{ ...entry(), key: { jwksUri: 'https://a.example/jwks' } }] }),
      /options\.issuers\.0\.key\.jwksUri cannot be used with HMAC/,
    ],
    [
      'an entry whose discovery URL is not its issuer',
      () => ({ issuers: [{ issuer: A, key: { discovery: B }, algorithms: ['ES256'] }] }),
      /options\.issuers\.0\.issuer must equal options\.issuers\.0\.key\.discovery/,
    ],
    [
      'an unknown entry member',
      () => ({ issuers: [{ ...entry(), audiences: ['x'] }] }),
      /unknown option options\.issuers\.0\.audiences/,
    ],
    [
      'an entry audience that is not a string',
      () => ({ issuers: [{ ...entry(), audience: [1] }] }),
      /options\.issuers\.0\.audience must be/,
    ],
  ])('%s', (_name, o, message) => {
    expect(() => createAuthenticator(o() as unknown as AuthenticatorOptions)).toThrow(message)
  })

  it('no message carries key material', () => {
    const secret = 'a-secret-that-is-far-too-short'
    let message = ''
    try {
      createAuthenticator({ issuers: [{ ...entry(), key: secret }] })
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toMatch(/options\.issuers\.0\.key/)
    expect(message).not.toContain(secret)
  })
})
