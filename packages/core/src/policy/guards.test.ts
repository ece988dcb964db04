import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import { hasRoles, hasScopes, requireClaimsOf, requireRolesOf, requireScopesOf } from './guards.js'
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
