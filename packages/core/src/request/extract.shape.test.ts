// The one-scan Bearer read (BEARER_JWS, perf issue 17) against the RFC 6750 §2.1 rule it shortcuts:
// the same token or the same refusal for every value, and `jwsShaped` exactly when the token has
// the compact JWS shape (RFC 7515 §7.1) that tokenShape would otherwise scan for again.
import { b64url, keysFor, signToken } from '@tokengate/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { isAuthError } from '../errors.js'
import { extractToken, type ExtractConfig } from './extract.js'

// The rule as RFC 6750 §2.1 writes it (b64token), kept here as the reference the fast path must equal.
const RFC6750 = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

const config: ExtractConfig = {
  header: true,
  cookie: undefined,
  custom: undefined,
  maxTokenLength: 64,
}

type Verdict = { token: string; jwsShaped: boolean } | { code: string; message: string }

function verdict(authorization: string): Verdict {
  try {
    const found = extractToken({ method: 'GET', url: '/', headers: { authorization } }, config)
    if (found === undefined) throw new Error('expected a Bearer token')
    return { token: found.token, jwsShaped: found.jwsShaped === true }
  } catch (err) {
    if (!isAuthError(err)) throw err
    return { code: err.code, message: err.message }
  }
}

const MALFORMED = {
  code: 'invalid_request',
  message: 'the Bearer credential is malformed (RFC 6750 §2.1)',
}
const TWO = {
  code: 'invalid_request',
  message: 'the request has more than one Authorization header',
}
const TOO_LARGE = { code: 'token_too_large', message: 'the token is longer than 64 characters' }

describe('extract: the one-scan Bearer read equals RFC 6750 §2.1', () => {
  it.each<[string, string, Verdict]>([
    ['a compact JWS', 'Bearer aa.bb.cc', { token: 'aa.bb.cc', jwsShaped: true }],
    [
      'scheme in any case, several spaces',
      'bEaReR   a-_.b.c',
      { token: 'a-_.b.c', jwsShaped: true },
    ],
    [
      'padding: a b64token, not a JWS',
      'Bearer aa.bb.cc=',
      { token: 'aa.bb.cc=', jwsShaped: false },
    ],
    [
      '"+" and "/": a b64token, not a JWS',
      'Bearer a+b.c/d.e',
      { token: 'a+b.c/d.e', jwsShaped: false },
    ],
    ['"~": a b64token, not a JWS', 'Bearer a.b.c~', { token: 'a.b.c~', jwsShaped: false }],
    ['two segments', 'Bearer aa.bb', { token: 'aa.bb', jwsShaped: false }],
    ['an empty segment', 'Bearer aa..cc', { token: 'aa..cc', jwsShaped: false }],
    ['a leading dot', 'Bearer .aa.bb.cc', { token: '.aa.bb.cc', jwsShaped: false }],
    ['a trailing dot', 'Bearer aa.bb.cc.', { token: 'aa.bb.cc.', jwsShaped: false }],
    ['five segments (a JWE shape)', 'Bearer a.b.c.d.e', { token: 'a.b.c.d.e', jwsShaped: false }],
    ['four segments', 'Bearer a.b.c.d', { token: 'a.b.c.d', jwsShaped: false }],
    ['no dot', 'Bearer abc', { token: 'abc', jwsShaped: false }],
    ['a trailing space', 'Bearer aa.bb.cc ', MALFORMED],
    ['a trailing newline ($ is not multiline)', 'Bearer aa.bb.cc\n', MALFORMED],
    ['a tab after the scheme', 'Bearer\taa.bb.cc', MALFORMED],
    ['no space after the scheme', 'Bearer', MALFORMED],
    ['a non-ASCII letter in a segment', 'Bearer aa.bé.cc', MALFORMED],
    // Case-insensitive matching (the /i flag) never folds a non-ASCII letter into A-Z (ECMA-262 Canonicalize).
    ['a dotless i (uppercases to I)', 'Bearer aa.bı.cc', MALFORMED],
    ['a long s (uppercases to S)', 'Bearer aa.bſ.cc', MALFORMED],
    ['a Kelvin sign (lowercases to k)', 'Bearer aa.b\u212a.cc', MALFORMED],
    ['padding inside', 'Bearer aa=.bb.cc', MALFORMED],
    ['two credentials joined by a comma', 'Bearer aa.bb.cc, Bearer dd.ee.ff', TWO],
    [
      'a JWS longer than maxTokenLength',
      `Bearer ${'a'.repeat(31)}.${'b'.repeat(30)}.cc`,
      TOO_LARGE,
    ],
    ['a b64token longer than maxTokenLength', `Bearer ${'a'.repeat(65)}=`, TOO_LARGE],
    ['a value past the length slack', `Bearer ${'a'.repeat(90)}`, TOO_LARGE],
  ])('%s', (_name, authorization, expected) => {
    const got = verdict(authorization)
    expect(got).toEqual(expected)
    // The reference: whatever is accepted is RFC 6750's capture, and shaped exactly when it is a JWS.
    if ('token' in got) {
      expect(RFC6750.exec(authorization)?.[1]).toBe(got.token)
      expect(got.jwsShaped).toBe(JWS.test(got.token))
    } else if (got.message === MALFORMED.message) expect(RFC6750.test(authorization)).toBe(false)
  })
})

// The pipeline scans a shaped Bearer token for its JWS shape once (in extract), a cookie-borne one in
// tokenShape: the same token gets the same answer either way, malformed or valid.
describe('extract: a token gets the same verdict from the header (one scan) and a cookie', () => {
  let authenticator: ReturnType<typeof createAuthenticator>
  let valid = ''
  beforeAll(async () => {
    const keys = await keysFor('HS256')
    authenticator = createAuthenticator({
      algorithms: ['HS256'],
      key: keys.secret as Uint8Array,
      from: { header: true, cookie: 'tg' },
      cache: false,
    })
    valid = await signToken({ sub: 'alice' }, { alg: 'HS256', key: keys })
  })

  async function outcome(headers: Record<string, string>): Promise<string> {
    try {
      const ctx = await authenticator.authenticate({ method: 'GET', url: '/', headers })
      return `ok ${(ctx?.payload as { sub?: string }).sub}`
    } catch (err) {
      if (!isAuthError(err)) throw err
      return `${err.code}: ${err.message}`
    }
  }

  type Parts = [h: string, p: string, s: string]
  const NON_CANONICAL =
    'token_malformed: the token has a non-canonical base64url segment (RFC 7515 §2)'
  const NOT_COMPACT = 'token_malformed: the token is not a compact JWS or JWE (RFC 7515 §7.1)'
  it.each<[string, (...parts: Parts) => string, string]>([
    ['a valid token', (h, p, s) => `${h}.${p}.${s}`, 'ok alice'],
    // The HS256 signature is 43 characters (4n+3): its last one carries 2 unused bits.
    [
      'a non-canonical last character (RFC 7515 §2)',
      (h, p, s) => `${h}.${p}.${s.slice(0, -1)}${s.endsWith('B') ? 'C' : 'B'}`,
      NON_CANONICAL,
    ],
    [
      'a 4n+1 payload segment',
      (h, p, s) => `${h}.${p}${'A'.repeat((5 - (p.length % 4)) % 4 || 4)}.${s}`,
      NON_CANONICAL,
    ],
    [
      'a header that is not JSON',
      (_h, p, s) => `${b64url('nope')}.${p}.${s}`,
      'token_malformed: the token header is not valid JSON',
    ],
    [
      'a header that is not a JSON object',
      (_h, p, s) => `${b64url('[1]')}.${p}.${s}`,
      'token_malformed: the token header is not a JSON object (RFC 7515 §4)',
    ],
    [
      'a tampered payload',
      (h, _p, s) => `${h}.${b64url('{"sub":"mallory"}')}.${s}`,
      'signature_invalid: the token signature is invalid',
    ],
    ['an empty segment', (h, _p, s) => `${h}..${s}`, NOT_COMPACT],
    ['five segments of junk', () => 'aa.bb.cc.dd.ee', NON_CANONICAL],
    ['four segments', (h, p, s) => `${h}.${p}.${s}.${s}`, NOT_COMPACT],
  ])('%s', async (_name, build, expected) => {
    const token = build(...(valid.split('.') as Parts))
    const viaHeader = await outcome({ authorization: `Bearer ${token}` })
    const viaCookie = await outcome({ cookie: `tg=${token}` })
    expect(viaHeader).toBe(viaCookie)
    expect(viaHeader).toBe(expected)
  })
})
