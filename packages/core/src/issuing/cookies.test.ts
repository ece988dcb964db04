// serializeAuthCookie / clearAuthCookie: every attribute, the defaults, and the cookie-prefix rules.
import { parseSetCookie } from 'cookie'
import { keysFor, rawToken, signToken } from '@tokengate/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { clearAuthCookie, serializeAuthCookie, type AuthCookieOptions } from './cookies.js'

const NOW = 1_750_000_000
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' // no exp

afterEach(() => {
  vi.useRealTimers()
})

describe('serializeAuthCookie', () => {
  it('defaults: HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, session cookie without exp', () => {
    expect(serializeAuthCookie('session', TOKEN)).toBe(
      `session=${TOKEN}; Path=/; HttpOnly; Secure; SameSite=Lax`,
    )
  })

  it("Max-Age follows the token's exp (read, not verified)", async () => {
    vi.useFakeTimers({ now: NOW * 1000 })
    const token = await signToken(
      { sub: 'x' },
      { alg: 'ES256', key: await keysFor('ES256'), now: NOW, exp: NOW + 900 },
    )
    expect(parseSetCookie(serializeAuthCookie('s', token))).toMatchObject({
      maxAge: 900,
      value: token,
    })
  })

  it.each<[string, string]>([
    [
      'an already expired token gives Max-Age=0',
      rawToken({ alg: 'ES256' }, { exp: NOW - 10 }, 'c2ln'),
    ],
    [
      'exp that is not a number gives a session cookie',
      rawToken({ alg: 'ES256' }, { exp: '2030' }, 'c2ln'),
    ],
    [
      'a payload that is not JSON gives a session cookie',
      rawToken({ alg: 'ES256' }, 'not json', 'c2ln'),
    ],
    ['a JWE (unreadable) gives a session cookie', 'aaa.bbb.ccc.ddd.eee'],
  ])('%s', (name, token) => {
    vi.useFakeTimers({ now: NOW * 1000 })
    const parsed = parseSetCookie(serializeAuthCookie('s', token))
    expect(parsed.maxAge).toBe(name.startsWith('an already') ? 0 : undefined)
  })

  it.each<[string, AuthCookieOptions, string]>([
    ['maxAge in seconds wins over exp', { maxAge: 60 }, 'Max-Age=60'],
    ['maxAge as a duration string', { maxAge: '2h' }, 'Max-Age=7200'],
    [
      'expires',
      { expires: new Date(Date.UTC(2030, 0, 1)) },
      'Expires=Tue, 01 Jan 2030 00:00:00 GMT',
    ],
    ['path', { path: '/api' }, 'Path=/api'],
    ['domain', { domain: 'example.com' }, 'Domain=example.com'],
    ['SameSite=Strict', { sameSite: 'strict' }, 'SameSite=Strict'],
    ['SameSite=None (Secure kept)', { sameSite: 'none' }, 'Secure; SameSite=None'],
    ['partitioned', { partitioned: true }, 'Partitioned'],
    ['priority', { priority: 'high' }, 'Priority=High'],
  ])('%s', (_name, options, expected) => {
    const cookie = serializeAuthCookie('s', TOKEN, options)
    expect(cookie).toContain(expected)
    expect(cookie).toContain('HttpOnly')
  })

  it('insecure: true (local http development) drops Secure and nothing else', () => {
    expect(serializeAuthCookie('s', TOKEN, { insecure: true })).toBe(
      `s=${TOKEN}; Path=/; HttpOnly; SameSite=Lax`,
    )
    expect(serializeAuthCookie('s', TOKEN, { insecure: true, secure: false })).not.toContain(
      'Secure',
    )
  })

  it('__Host- cookies that follow the rules are accepted', () => {
    expect(serializeAuthCookie('__Host-session', TOKEN)).toBe(
      `__Host-session=${TOKEN}; Path=/; HttpOnly; Secure; SameSite=Lax`,
    )
    expect(
      serializeAuthCookie('__Secure-session', TOKEN, { domain: 'example.com', path: '/app' }),
    ).toContain('Secure')
  })

  it.each<[string, string, unknown, RegExp]>([
    ['HttpOnly cannot be turned off (XSS)', 's', { httpOnly: false }, /cannot turn HttpOnly off/],
    ['secure: false without insecure', 's', { secure: false }, /needs options\.insecure: true/],
    ['secure and insecure together', 's', { secure: true, insecure: true }, /contradict/],
    [
      'SameSite=None without Secure (browsers drop it)',
      's',
      { sameSite: 'none', insecure: true },
      /'none' needs Secure/,
    ],
    ['unknown SameSite', 's', { sameSite: 'relaxed' }, /sameSite must be/],
    [
      '__Host- without Secure (RFC 6265bis §4.1.3.2)',
      '__Host-s',
      { insecure: true },
      /"__Host-" cookie must be Secure, have Path=\/ and no Domain/,
    ],
    ['__Host- with a Domain', '__Host-s', { domain: 'example.com' }, /no Domain/],
    ['__Host- with another Path', '__Host-s', { path: '/api' }, /Path=\//],
    [
      '__host- prefix is matched case-insensitively',
      '__host-s',
      { domain: 'example.com' },
      /no Domain/,
    ],
    [
      '__Secure- without Secure (RFC 6265bis §4.1.3.1)',
      '__Secure-s',
      { insecure: true },
      /"__Secure-" cookie must be Secure/,
    ],
    ['a name with a space', 'my session', {}, /cookie name of RFC 6265 token characters/],
    ['a name with = (header injection)', 'a=b', {}, /cookie name/],
    ['an empty name', '', {}, /cookie name/],
    ['a path with ; (attribute injection)', 's', { path: '/; Domain=evil.com' }, /options\.path/],
    ['a relative path', 's', { path: 'api' }, /options\.path/],
    [
      'a domain with ; (attribute injection)',
      's',
      { domain: 'example.com; Secure' },
      /options\.domain/,
    ],
    [
      'maxAge and expires together',
      's',
      { maxAge: 1, expires: new Date() },
      /maxAge or expires, not both/,
    ],
    ['an invalid Date', 's', { expires: new Date('nope') }, /valid Date/],
    ['a bad maxAge', 's', { maxAge: -1 }, /maxAge must be/],
  ])('refuses %s', (_name, name, options, message) => {
    expect(() => serializeAuthCookie(name, TOKEN, options as AuthCookieOptions)).toThrow(message)
  })

  it.each([
    ['an empty token', ''],
    ['a token with ; (attribute injection)', `${TOKEN}; Domain=evil.com`],
    ['a token with a space', 'a b'],
    ['a token with a quote', 'a"b'],
  ])('refuses %s', (_name, token) => {
    expect(() => serializeAuthCookie('s', token)).toThrow(/cookie-safe characters/)
  })
})

describe('clearAuthCookie', () => {
  it('expires the cookie now, with the same attributes', () => {
    expect(clearAuthCookie('session')).toBe(
      'session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    )
    expect(clearAuthCookie('s', { path: '/api', domain: 'example.com' })).toContain(
      'Domain=example.com; Path=/api',
    )
  })

  it('applies the prefix rules too', () => {
    expect(clearAuthCookie('__Host-s')).toContain('Secure')
    expect(() => clearAuthCookie('__Host-s', { path: '/x' })).toThrow(/__Host-/)
  })
})
