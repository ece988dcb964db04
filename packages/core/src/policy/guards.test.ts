import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import {
  hasRoles,
  hasScopes,
  requireAuthenticationOf,
  requireClaimsOf,
  requireRolesOf,
  requireScopesOf,
  resolveStepUp,
} from './guards.js'
import type { AuthContext } from '../types.js'

const ctx: AuthContext = {
  token: 't',
  source: 'header',
  payload: { sub: 'alice', email_verified: true },
  protectedHeader: { alg: 'ES256' },
  scopes: ['reports:read', 'orders:write'],
  roles: ['editor', 'viewer'],
}

function failure(fn: () => unknown): AuthError {
  try {
    fn()
  } catch (err) {
    if (err instanceof AuthError) return err
    throw err
  }
  throw new Error('expected an AuthError')
}

describe('guards', () => {
  it.each<[string, readonly string[], 'any' | 'all', boolean]>([
    ['all of roles held', ['editor', 'viewer'], 'all', true],
    ['all, one missing', ['editor', 'admin'], 'all', false],
    ['any, one held', ['admin', 'viewer'], 'any', true],
    ['any, none held', ['admin', 'owner'], 'any', false],
    ['empty list', [], 'all', true],
    ['roles are case-sensitive', ['Editor'], 'any', false],
  ])('hasRoles: %s', (_name, roles, mode, expected) => {
    expect(hasRoles(ctx, roles, mode)).toBe(expected)
  })

  it('hasRoles defaults to all, and is false without a context', () => {
    expect(hasRoles(ctx, ['editor', 'admin'])).toBe(false)
    expect(hasRoles(null, [])).toBe(false)
  })

  it.each<[string, readonly string[], boolean]>([
    ['every scope held', ['reports:read', 'orders:write'], true],
    ['one missing (scopes are all required)', ['reports:read', 'admin'], false],
    ['empty list', [], true],
  ])('hasScopes: %s', (_name, scopes, expected) => {
    expect(hasScopes(ctx, scopes)).toBe(expected)
  })

  it('asserting forms return the context when satisfied', () => {
    expect(requireRolesOf(ctx, ['admin', 'editor'], { mode: 'any' })).toBe(ctx)
    expect(requireScopesOf(ctx, ['reports:read'])).toBe(ctx)
    expect(requireClaimsOf(ctx, (p, c) => p.email_verified === true && c === ctx)).toBe(ctx)
  })

  it.each<[string, () => unknown, string, number, string | undefined]>([
    [
      'requireRolesOf short of a role',
      () => requireRolesOf(ctx, ['admin']),
      'insufficient_role',
      403,
      undefined,
    ],
    [
      'requireRolesOf any, none held',
      () => requireRolesOf(ctx, ['admin', 'owner'], { mode: 'any' }),
      'insufficient_role',
      403,
      undefined,
    ],
    [
      'requireScopesOf short: scope attribute (RFC 6750 §3)',
      () => requireScopesOf(ctx, ['reports:read', 'admin']),
      'insufficient_scope',
      403,
      'reports:read admin',
    ],
    [
      'requireClaimsOf predicate false',
      () => requireClaimsOf(ctx, () => false),
      'insufficient_role',
      403,
      undefined,
    ],
    [
      'requireClaimsOf truthy non-boolean fails closed',
      () => requireClaimsOf(ctx, () => 1 as unknown as boolean),
      'insufficient_role',
      403,
      undefined,
    ],
    [
      'requireRolesOf without a context',
      () => requireRolesOf(null, ['admin']),
      'token_missing',
      401,
      undefined,
    ],
    [
      'requireScopesOf without a context',
      () => requireScopesOf(undefined, ['a']),
      'token_missing',
      401,
      undefined,
    ],
    [
      'requireClaimsOf without a context',
      () => requireClaimsOf(null, () => true),
      'token_missing',
      401,
      undefined,
    ],
  ])('%s: %s %i', (_name, fn, code, status, scope) => {
    const err = failure(fn)
    expect([err.code, err.status]).toEqual([code, status])
    expect(err.scope?.join(' ')).toBe(scope)
    if (scope) expect(err.toResponse().headers['www-authenticate']).toContain(`scope="${scope}"`)
  })
})

describe('requireAuthenticationOf: step-up (RFC 9470 §3)', () => {
  const NOW = 1_800_000_000
  const withClaims = (payload: Record<string, unknown>): AuthContext =>
    ({ ...ctx, payload }) as AuthContext
  const stepUp = resolveStepUp({ acrValues: ['mfa', 'hwk'], maxAge: '5m' })
  const failure = (payload: Record<string, unknown>) => {
    try {
      requireAuthenticationOf(withClaims(payload), stepUp, NOW)
    } catch (err) {
      return err as AuthError
    }
    return undefined
  }

  it.each<[string, Record<string, unknown>]>([
    ['no acr', { auth_time: NOW - 10 }],
    ['an acr not listed', { acr: 'pwd', auth_time: NOW - 10 }],
    ['an acr that only starts like a listed one', { acr: 'mfa2', auth_time: NOW - 10 }],
    ['an acr given as a list', { acr: ['mfa'], auth_time: NOW - 10 }],
    ['no auth_time', { acr: 'mfa' }],
    ['auth_time as a string', { acr: 'mfa', auth_time: String(NOW) }],
    ['an authentication older than max_age', { acr: 'hwk', auth_time: NOW - 301 }],
  ])('%s: 401 insufficient_user_authentication, with acr_values and max_age', (_name, payload) => {
    const err = failure(payload)
    expect(err).toBeInstanceOf(AuthError)
    expect(err?.code).toBe('insufficient_user_authentication')
    expect(err?.status).toBe(401)
    expect(err?.challenge).toMatch(
      /^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="mfa hwk", max_age="300"$/,
    )
  })

  it('a listed acr within max_age passes; without a context it is 401 token_missing', () => {
    expect(failure({ acr: 'hwk', auth_time: NOW - 300 })).toBeUndefined()
    expect(() => requireAuthenticationOf(null, stepUp, NOW)).toThrow(
      expect.objectContaining({ code: 'token_missing' }),
    )
  })

  it('only what is asked for is checked and rendered', () => {
    const onlyAge = resolveStepUp({ maxAge: 60 })
    expect(() =>
      requireAuthenticationOf(withClaims({ auth_time: NOW - 30 }), onlyAge, NOW),
    ).not.toThrow()
    try {
      requireAuthenticationOf(withClaims({ auth_time: NOW - 61 }), onlyAge, NOW)
      expect.unreachable()
    } catch (err) {
      expect((err as AuthError).challenge).toMatch(/, max_age="60"$/)
      expect((err as AuthError).challenge).not.toContain('acr_values')
    }
  })

  it.each<[string, unknown, RegExp]>([
    ['nothing required', {}, /needs acrValues, maxAge or both \(RFC 9470 §3\)/],
    ['an empty acr list', { acrValues: [] }, /acrValues must be a non-empty list/],
    ['an acr with a space', { acrValues: ['a b'] }, /without spaces or quotes/],
    ['a bad duration', { maxAge: 'soon' }, /maxAge/],
    [
      'a misspelt member',
      { acr_values: ['mfa'] },
      /unknown option requireAuthentication\.acr_values/,
    ],
  ])('misconfiguration fails when the guard is created: %s', (_name, requirement, message) => {
    expect(() => resolveStepUp(requirement as never)).toThrow(message)
  })
})
