// ctx.scopes and ctx.roles (claims.ts toScopes, toRoles): frozen lists of strings on every context.
// An empty one is a single shared frozen list (perf, issue 17); these tests pin that every list,
// empty or not, reads and refuses changes exactly as before.
import { keysFor, signToken } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from './authenticate.js'

const ISSUER = 'https://issuer.example'
const AUDIENCE = 'https://api.example'

async function contextFor(claims: Record<string, unknown>, rolesClaim?: string) {
  const keys = await keysFor('HS256')
  const authenticator = createAuthenticator({
    algorithms: ['HS256'],
    key: keys.secret as Uint8Array,
    issuer: ISSUER,
    audience: AUDIENCE,
    cache: false,
    ...(rolesClaim !== undefined && { roles: { claim: rolesClaim } }),
  })
  const token = await signToken(
    { sub: 'alice', iss: ISSUER, aud: AUDIENCE, ...claims },
    { alg: 'HS256', key: keys },
  )
  const ctx = await authenticator.authenticate({
    method: 'GET',
    url: '/',
    headers: { authorization: `Bearer ${token}` },
  })
  if (ctx === null) throw new Error('expected a context')
  return ctx
}

describe('ctx.scopes and ctx.roles are frozen lists of strings, empty ones included', () => {
  it.each<[string, Record<string, unknown>, string[], string[]]>([
    ['no scope and no roles claim', {}, [], []],
    ['an empty scope string and an empty roles string', { scope: '', roles: '' }, [], []],
    ['roles that are not strings', { roles: [1, null, { a: 1 }] }, [], []],
    ['scope with extra spaces (RFC 6749 §3.3)', { scope: ' a  b ' }, ['a', 'b'], []],
    [
      'scp as an array, roles as a string',
      { scp: ['x', 2, 'y'], roles: 'admin' },
      ['x', 'y'],
      ['admin'],
    ],
    ['roles as an array', { scope: 'read', roles: ['a', 'b'] }, ['read'], ['a', 'b']],
  ])('%s', async (_name, claims, scopes, roles) => {
    const ctx = await contextFor(claims)
    expect([...ctx.scopes]).toEqual(scopes)
    expect([...ctx.roles]).toEqual(roles)
    for (const list of [ctx.scopes, ctx.roles]) {
      expect(Array.isArray(list)).toBe(true)
      expect(Object.isFrozen(list)).toBe(true)
      expect(() => (list as string[]).push('root')).toThrow(TypeError)
      expect(list).toHaveLength(list === ctx.scopes ? scopes.length : roles.length)
    }
    expect(Object.isFrozen(ctx)).toBe(true)
    expect(JSON.parse(JSON.stringify(ctx)).roles).toEqual(roles)
  })

  it('an empty list changed by force on one context cannot appear on another', async () => {
    const first = await contextFor({})
    expect(() => Object.defineProperty(first.roles, '0', { value: 'root' })).toThrow(TypeError)
    const second = await contextFor({ roles: [] })
    expect([...second.roles]).toEqual([])
    expect([...second.scopes]).toEqual([])
  })

  it('a dotted roles path with no value gives an empty frozen list', async () => {
    const ctx = await contextFor({ realm_access: { other: 1 } }, 'realm_access.roles')
    expect([...ctx.roles]).toEqual([])
    expect(Object.isFrozen(ctx.roles)).toBe(true)
  })
})
