// Request reading under hostile input (issues 12 and 21): no headers, odd header values, a polluted
// Object.prototype, joined credentials and cookies, through createAuthenticator as an adapter calls it.
import { afterEach, describe, expect, it } from 'vitest'
import { checkCsrf } from './csrf.js'
import { AuthError } from '../errors.js'
import { extractToken, type ExtractConfig } from './extract.js'
import { headerValues } from './headers.js'
import { createAuthenticator } from '../index.js'
import type { RequestLike } from '../types.js'

const T = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'
const config: ExtractConfig = {
  header: true,
  cookie: 'at',
  custom: undefined,
  maxTokenLength: 8192,
}
const authenticator = createAuthenticator({ algorithms: ['HS256'], key: 'k'.repeat(32) })
const withDpop = createAuthenticator({
  algorithms: ['HS256'],
  key: 'k'.repeat(32),
  dpop: { mode: 'allowed', origins: ['https://api.example'] },
})

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(err)}`)
  return err
}

function extractFailure(request: RequestLike): AuthError {
  try {
    extractToken(request, config)
  } catch (err) {
    if (err instanceof AuthError) return err
    throw err
  }
  throw new Error('expected an AuthError')
}

describe('a request without a header record is 400 invalid_request, never a TypeError (issue 21)', () => {
  it.each([
    ['no headers member', { method: 'GET', url: '/' }],
    ['headers: null', { method: 'GET', url: '/', headers: null }],
    ['headers: a string', { method: 'GET', url: '/', headers: 'authorization: Bearer x' }],
    ['headers: a number', { method: 'GET', url: '/', headers: 42 }],
    ['no request at all', undefined],
    ['a request that is null', null],
  ])('%s', async (_what, request) => {
    for (const auth of [authenticator, withDpop]) {
      const err = await refusal(auth.authenticate(request as unknown as RequestLike))
      expect(err.code).toBe('invalid_request')
      expect(err.status).toBe(400)
    }
  })

  it.each([
    ['a number', { authorization: 5 }],
    ['an object', { authorization: { toString: () => `Bearer ${T}` } }],
    ['a list holding a number', { authorization: [`Bearer ${T}`, 7] }],
  ])('a header value that is %s: 400 invalid_request', async (_what, headers) => {
    const err = await refusal(
      authenticator.authenticate({ method: 'GET', url: '/', headers } as unknown as RequestLike),
    )
    expect(err.code).toBe('invalid_request')
  })
})

describe('a polluted Object.prototype is not a header (own properties only, issue 12)', () => {
  const proto = Object.prototype as Record<string, unknown>
  const polluted = ['authorization', 'cookie', 'origin', 'sec-fetch-site', 'host', 'dpop']
  afterEach(() => {
    for (const name of polluted) delete proto[name]
  })

  it('Object.prototype.authorization and .cookie give no token', () => {
    try {
      proto.authorization = `Bearer ${T}`
      proto.cookie = `at=${T}`
      expect(extractToken({ method: 'GET', url: '/', headers: {} }, config)).toBeUndefined()
    } finally {
      delete proto.authorization
      delete proto.cookie
    }
  })

  it('Object.prototype.dpop is no DPoP proof (headerValues, as DPoP reads it)', () => {
    try {
      proto.dpop = 'x.y.z'
      expect(headerValues({}, 'dpop')).toBeUndefined()
    } finally {
      delete proto.dpop
    }
  })

  it.each([
    ['origin', 'https://api.example'],
    ['sec-fetch-site', 'same-origin'],
  ])('Object.prototype[%j] does not pass the CSRF check', (name, value) => {
    try {
      proto[name] = value
      expect(() =>
        checkCsrf(
          { method: 'POST', url: 'https://api.example/x', headers: {} },
          { allowedOrigins: new Set() },
        ),
      ).toThrow(expect.objectContaining({ code: 'csrf_rejected' }))
    } finally {
      delete proto[name]
    }
  })

  it('Object.prototype.host does not make an Origin our own (path-only URL)', () => {
    try {
      proto.host = 'evil.example'
      expect(() =>
        checkCsrf(
          { method: 'POST', url: '/x', headers: { origin: 'https://evil.example' } },
          { allowedOrigins: new Set() },
        ),
      ).toThrow(expect.objectContaining({ code: 'csrf_rejected' }))
    } finally {
      delete proto.host
    }
  })
})

describe('Fetch-joined Authorization values are several credentials: 400 (RFC 9110 §5.3)', () => {
  it.each([
    `Basic YWxpY2U6c2VjcmV0, Bearer ${T}`,
    `Basic YWxpY2U6c2VjcmV0, Bearer\t${T}`,
    `Basic YWxpY2U6c2VjcmV0,\tbearer\t${T}`,
    `Basic YWxpY2U6c2VjcmV0, BEARER ${T}`,
    `Basic YWxpY2U6c2VjcmV0, Bearer`,
    `Bearer ${T}, Bearer ${T}`,
    `bearer ${T}, bEaReR ${T}`,
    `Bearer ${T}, Basic YWxpY2U6c2VjcmV0`,
  ])('%j', (authorization) => {
    const err = extractFailure({ method: 'GET', url: '/', headers: { authorization } })
    expect(err.code).toBe('invalid_request')
    expect(err.status).toBe(400)
    const joined = extractFailure({
      method: 'GET',
      url: '/',
      headers: new Headers({ authorization }),
    })
    expect(joined.code).toBe('invalid_request')
  })

  it('Digest parameters after a comma are not a Bearer credential', () => {
    expect(
      extractToken(
        {
          method: 'GET',
          url: '/',
          headers: { authorization: 'Digest username="a", response="x"' },
        },
        config,
      ),
    ).toBeUndefined()
  })
})

describe('cookies split on ";" only (RFC 6265 §4.2.1, §5.4; issue 21 item 9)', () => {
  const get = (cookie: string | string[]) =>
    extractToken({ method: 'GET', url: '/', headers: { cookie } }, config)

  it.each([
    [`at=${T}; pref=a,at=x`],
    [`pref=a,at=x; at=${T}`],
    [`pref=a, at=x;at=${T}`],
    [[`pref=a,at=x`, `at=${T}`]],
  ])('a sibling cookie holding ",at=" does not deny the session: %j', (cookie) => {
    expect(get(cookie)).toEqual({ token: T, source: 'cookie' })
  })

  it.each([
    [`at=${T}; at=${T}`],
    [`at=${T};at=x`],
    [[`at=${T}`, `at=x`]],
    // A Fetch Headers joins two Cookie lines with ", ": still our cookie twice.
    [`at=${T}, at=x`],
  ])('a genuinely repeated name is still 400: %j', (cookie) => {
    const err = extractFailure({ method: 'GET', url: '/', headers: { cookie } })
    expect(err.code).toBe('invalid_request')
    expect(err.status).toBe(400)
  })

  it('two Cookie lines joined by a Fetch Headers, our name repeated: 400', () => {
    const headers = new Headers()
    headers.append('cookie', `at=${T}`)
    headers.append('cookie', 'at=x')
    expect(extractFailure({ method: 'GET', url: '/', headers }).code).toBe('invalid_request')
  })
})
