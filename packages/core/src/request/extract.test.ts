import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import { extractToken, type ExtractConfig } from './extract.js'
import type { HeadersLike } from '../types.js'

const T = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'
const header: ExtractConfig = {
  header: true,
  cookie: undefined,
  custom: undefined,
  maxTokenLength: 8192,
}
const cookie: ExtractConfig = { ...header, cookie: 'at' }

function run(headers: HeadersLike, config: ExtractConfig = header) {
  return extractToken({ method: 'GET', url: '/', headers }, config)
}

function fail(headers: HeadersLike, config: ExtractConfig = header): AuthError {
  try {
    run(headers, config)
  } catch (err) {
    if (err instanceof AuthError) return err
    throw err
  }
  throw new Error('expected an AuthError')
}

describe('extract: Authorization header (RFC 6750 §2.1)', () => {
  it.each<[string, HeadersLike, string | undefined]>([
    ['Bearer token', { authorization: `Bearer ${T}` }, T],
    ['scheme is case-insensitive', { authorization: `bEaReR ${T}` }, T],
    ['one or more spaces', { authorization: `Bearer   ${T}` }, T],
    [
      'b64token with = padding and ~+/',
      { authorization: 'Bearer a~b+c/d.e_f-g==' },
      'a~b+c/d.e_f-g==',
    ],
    ['header name case-insensitive in a record', { Authorization: `Bearer ${T}` }, T],
    ['a Fetch Headers object', new Headers({ authorization: `Bearer ${T}` }), T],
    ['an array of one (headersDistinct)', { authorization: [`Bearer ${T}`] }, T],
    [
      'another scheme (Basic) is no bearer token',
      { authorization: 'Basic dXNlcjpwYXNz' },
      undefined,
    ],
    ['DPoP is no bearer token when dpop is off', { authorization: `DPoP ${T}` }, undefined],
    [
      'Digest with commas is no bearer token',
      { authorization: 'Digest username="a", realm="b"' },
      undefined,
    ],
    ['no header', {}, undefined],
    ['empty header', { authorization: '' }, undefined],
  ])('%s', (_name, headers, expected) => {
    expect(run(headers)?.token).toBe(expected)
    if (expected) expect(run(headers)?.source).toBe('header')
  })

  it.each<[string, HeadersLike]>([
    ['Bearer without a token', { authorization: 'Bearer' }],
    ['Bearer with only spaces (trimmed by Node)', { authorization: 'Bearer ' }],
    ['extra parts', { authorization: `Bearer ${T} extra` }],
    ['a tab instead of a space', { authorization: `Bearer\t${T}` }],
    ['characters outside b64token', { authorization: 'Bearer abc$def' }],
    ['= in the middle', { authorization: 'Bearer ab=cd' }],
    ['two headers (headersDistinct array)', { authorization: [`Bearer ${T}`, `Bearer ${T}`] }],
    [
      'two headers in two record keys',
      { authorization: `Bearer ${T}`, Authorization: `Bearer ${T}` },
    ],
    [
      'two headers joined by a Fetch Headers object',
      (() => {
        const h = new Headers()
        h.append('authorization', `Bearer ${T}`)
        h.append('authorization', `Bearer ${T}`)
        return h
      })(),
    ],
    ['Basic then Bearer joined', { authorization: `Basic dXNlcjpwYXNz, Bearer ${T}` }],
  ])('%s: 400 invalid_request', (_name, headers) => {
    const err = fail(headers)
    expect([err.code, err.status, err.error]).toEqual(['invalid_request', 400, 'invalid_request'])
  })

  it('token_too_large: 401, checked before parsing', () => {
    const err = fail(
      { authorization: `Bearer ${'a'.repeat(100)}` },
      { ...header, maxTokenLength: 64 },
    )
    expect([err.code, err.status]).toEqual(['token_too_large', 401])
    const huge = fail({ authorization: `Bearer ${'a'.repeat(10_000)} $$$` })
    expect([huge.code, huge.status]).toEqual(['token_too_large', 401])
  })

  it('header extraction can be turned off', () => {
    expect(run({ authorization: `Bearer ${T}` }, { ...header, header: false })).toBeUndefined()
  })
})

describe('extract: cookie', () => {
  it.each<[string, HeadersLike, string | undefined]>([
    ['the named cookie', { cookie: `a=1; at=${T}; b=2` }, T],
    ['record key case-insensitive', { Cookie: `at=${T}` }, T],
    ['several Cookie headers (headersDistinct)', { cookie: ['a=1', `at=${T}`] }, T],
    ['Fetch Headers', new Headers({ cookie: `at=${T}` }), T],
    ['absent', { cookie: 'a=1' }, undefined],
    ['empty value', { cookie: 'at=' }, undefined],
    ['a similar name does not count', { cookie: `xat=${T}; at_=1` }, undefined],
  ])('%s', (_name, headers, expected) => {
    const found = run(headers, { ...cookie, header: false })
    expect(found?.token).toBe(expected)
    if (expected) expect(found?.source).toBe('cookie')
  })

  it.each<[string, HeadersLike]>([
    ['twice in one header (cookie tossing)', { cookie: `at=${T}; at=other` }],
    ['across duplicate Cookie headers', { cookie: [`at=${T}`, 'at=other'] }],
    ['Fetch-joined "a=1, a=2"', { cookie: `at=${T}, at=other` }],
  ])('same name %s: 400 invalid_request', (_name, headers) => {
    const err = fail(headers, cookie)
    expect([err.code, err.status]).toEqual(['invalid_request', 400])
  })

  it('token_too_large for a cookie', () => {
    const err = fail({ cookie: `at=${'a'.repeat(100)}` }, { ...cookie, maxTokenLength: 64 })
    expect([err.code, err.status]).toEqual(['token_too_large', 401])
  })
})

describe('extract: custom and multiple sources (RFC 6750 §2)', () => {
  it('a custom extractor receives method, url and a Headers object', () => {
    let seen: unknown
    const found = extractToken(
      { method: 'POST', url: '/x?y', headers: { 'x-token': T, multi: ['1', '2'] } },
      {
        ...header,
        custom: (req) => {
          seen = [req.method, req.url, req.headers instanceof Headers, req.headers.get('multi')]
          return req.headers.get('x-token') ?? undefined
        },
      },
    )
    expect(found).toEqual({ token: T, source: 'custom' })
    expect(seen).toEqual(['POST', '/x?y', true, '1, 2'])
  })

  it('a custom extractor returning undefined or "" means no token', () => {
    expect(run({}, { ...header, custom: () => undefined })).toBeUndefined()
    expect(run({}, { ...header, custom: () => '' })).toBeUndefined()
  })

  it.each<[string, HeadersLike, ExtractConfig]>([
    ['header and cookie', { authorization: `Bearer ${T}`, cookie: `at=${T}` }, cookie],
    ['header and custom', { authorization: `Bearer ${T}` }, { ...header, custom: () => T }],
    ['cookie and custom', { cookie: `at=${T}` }, { ...cookie, header: false, custom: () => T }],
  ])('%s: 400 multiple_tokens', (_name, headers, config) => {
    const err = fail(headers, config)
    expect([err.code, err.status, err.error]).toEqual(['multiple_tokens', 400, 'invalid_request'])
  })

  it('token_too_large for a custom token', () => {
    const err = fail({}, { ...header, maxTokenLength: 16, custom: () => 'a'.repeat(17) })
    expect([err.code, err.status]).toEqual(['token_too_large', 401])
  })
})
