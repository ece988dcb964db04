// Preflight pass-through and `skip` (issue 15 item 3): which requests are not authenticated, and the
// path tricks that must never turn a protected request into a skipped one.
import { describe, expect, it } from 'vitest'
import type { ExtractorRequest, RequestLike } from '../types.js'
import { isPreflight, plainPath, resolveSkip } from './skip.js'

const req = (url: string, method = 'GET', headers: RequestLike['headers'] = {}): RequestLike => ({
  method,
  url,
  headers,
})

describe('isPreflight (Fetch standard §4.8: a preflight never carries credentials)', () => {
  it.each<[string, RequestLike, boolean]>([
    [
      'OPTIONS with Access-Control-Request-Method',
      req('/x', 'OPTIONS', { 'access-control-request-method': 'PUT' }),
      true,
    ],
    [
      'the same as a Fetch Headers',
      req('/x', 'OPTIONS', new Headers({ 'Access-Control-Request-Method': 'DELETE' })),
      true,
    ],
    [
      'OPTIONS without it (a plain OPTIONS request)',
      req('/x', 'OPTIONS', { origin: 'https://a.example' }),
      false,
    ],
    [
      'an empty Access-Control-Request-Method',
      req('/x', 'OPTIONS', { 'access-control-request-method': '' }),
      false,
    ],
    ['GET with the header', req('/x', 'GET', { 'access-control-request-method': 'GET' }), false],
    [
      'lower-case options (not the OPTIONS method)',
      req('/x', 'options', { 'access-control-request-method': 'GET' }),
      false,
    ],
  ])('%s: %s', (_name, request, expected) => {
    expect(isPreflight(request)).toBe(expected)
  })

  it("a header inherited from a polluted Object.prototype is not the client's", () => {
    const proto = Object.prototype as Record<string, unknown>
    proto['access-control-request-method'] = 'GET'
    try {
      expect(isPreflight(req('/x', 'OPTIONS', {}))).toBe(false)
    } finally {
      delete proto['access-control-request-method']
    }
  })
})

describe('skip patterns: path AND method, exact strings or ^-anchored RegExps', () => {
  const skip = resolveSkip(
    { path: ['/health', '/public/', /^\/docs\/[a-z]+$/], method: ['GET', 'HEAD'] },
    'options.skip',
  )!
  it.each<[string, RequestLike, boolean]>([
    ['an exact path', req('/health'), true],
    [
      'an exact path, absolute URL',
      req('http://api.example/health', 'GET', { host: 'api.example' }),
      true,
    ],
    ['the query string is not part of the path', req('/health?x=1'), true],
    ['a fragment is not part of the path', req('/health#x'), true],
    ['a RegExp', req('/docs/intro'), true],
    ['HEAD is listed', req('/health', 'HEAD'), true],
    ['POST is not listed (both must match)', req('/health', 'POST'), false],
    ['methods are case-sensitive (RFC 9110 §9.1)', req('/health', 'get'), false],
    ['trailing slash counts', req('/health/'), false],
    ['and the other way', req('/public'), false],
    ['case counts', req('/HEALTH'), false],
    ['a longer path', req('/health/admin'), false],
    ['a prefix in the query string does not match', req('/admin?next=/health'), false],
    ['the RegExp is tested on the path only', req('/admin?/docs/intro'), false],
    ['not decoded: %68ealth is not /health', req('/%68ealth'), false],
  ])('%s', (_name, request, expected) => {
    expect(skip(request)).toBe(expected)
  })

  it('method only: every path with that method', () => {
    const byMethod = resolveSkip({ method: ['GET'] }, 'options.skip')!
    expect(byMethod(req('/anything'))).toBe(true)
    expect(byMethod(req('/anything', 'POST'))).toBe(false)
  })
})

describe('skip never applies to a path that routers may read differently (fail closed)', () => {
  const skip = resolveSkip({ path: [/^\/public\//, '/public'] }, 'options.skip')!
  it.each<[string, string, RequestLike['headers']?]>([
    ['a .. segment (/public/../admin routes to /admin after normalisation)', '/public/../admin'],
    ['a . segment', '/public/./x'],
    ['a trailing ..', '/public/..'],
    ['an encoded .. (%2e%2e, as WHATWG URL and nginx resolve it)', '/public/%2e%2e/admin'],
    ['an encoded .. in upper case', '/public/%2E%2E/admin'],
    ['a half-encoded ..', '/public/.%2e/admin'],
    ['an encoded slash', '/public%2f..%2fadmin'],
    ['an encoded backslash', '/public/..%5cadmin'],
    ['a backslash (WHATWG URL reads it as /)', '/public/..\\admin'],
    ['an empty segment', '/public//admin'],
    ['a protocol-relative target', '//public/x'],
    ['an encoded NUL', '/public/%00'],
    ['a space', '/public/ x'],
    ['a control character', '/public/\tx'],
    ['asterisk-form', '*'],
    ['a relative path', 'public/x'],
    [
      'a Host with a slash shifts the path of an absolute URL',
      'http://x/public/admin',
      { host: 'x/public' },
    ],
    ['a Host with a @', 'http://a@b/public/x', { host: 'a@b' }],
  ])('%s', (_name, url, headers = {}) => {
    expect(skip(req(url, 'GET', headers))).toBe(false)
  })

  it('the plain path itself is skipped (control)', () => {
    expect(skip(req('/public/x'))).toBe(true)
    expect(
      plainPath(req('https://api.example:8443/public/x?y', 'GET', { host: 'api.example:8443' })),
    ).toBe('/public/x')
    expect(plainPath(req('http://[::1]:3000/public/x', 'GET', { host: '[::1]:3000' }))).toBe(
      '/public/x',
    )
  })
})

describe('skip as a function', () => {
  it('receives the method, URL and a Fetch Headers', () => {
    const seen: string[] = []
    const skip = resolveSkip((r: ExtractorRequest) => {
      seen.push(`${r.method} ${r.url} ${r.headers.get('x-probe')}`)
      return r.headers.get('x-probe') === 'yes'
    }, 'options.skip')!
    expect(skip(req('/x', 'GET', { 'x-probe': 'yes' }))).toBe(true)
    expect(skip(req('/x', 'POST', { 'x-probe': 'no' }))).toBe(false)
    expect(seen).toEqual(['GET /x yes', 'POST /x no'])
  })

  it.each([
    ['a Promise (an async skip would skip everything)', async () => true, /returned a Promise/],
    ['a truthy string', () => 'yes', /returned string/],
    ['undefined', () => undefined, /returned undefined/],
  ])('answering %s is a thrown TypeError, never a skip', (_name, fn, message) => {
    const skip = resolveSkip(fn as never, 'options.skip')!
    expect(() => skip(req('/x'))).toThrow(message)
  })
})

describe('skip is checked at start-up', () => {
  it.each<[string, unknown, RegExp]>([
    ['not a function nor an object', 'public', /must be a function .* or \{ path/],
    [
      'an unknown member (express-unless ext)',
      { path: ['/x'], ext: ['.css'] },
      /takes \{ path\?, method\? \}, not ext/,
    ],
    ['neither path nor method', {}, /needs path, method or both/],
    ['an empty path list', { path: [] }, /non-empty list/],
    ['a path that is not a list', { path: '/x' }, /non-empty list/],
    ['a string without /', { path: ['health'] }, /options\.skip\.path\.0 must be a plain path/],
    ['a string with a query', { path: ['/x?y'] }, /plain path/],
    ['a string with a .. segment', { path: ['/a/../b'] }, /plain path/],
    ['an unanchored RegExp', { path: [/public/] }, /anchored with \^/],
    ['a RegExp with g (stateful test())', { path: [/^\/x/g] }, /g or y flag/],
    ['a RegExp with y', { path: [/^\/x/y] }, /g or y flag/],
    ['a number', { path: [1] }, /string or a RegExp/],
    ['a lower-case method', { method: ['get'] }, /upper-case method name/],
    ['an empty method list', { method: [] }, /non-empty list of methods/],
  ])('%s', (_name, value, message) => {
    expect(() => resolveSkip(value, 'options.skip')).toThrow(message)
  })
})
