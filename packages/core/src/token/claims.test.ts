import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  applySchema,
  checkClaims,
  normalizeTyp,
  parsePayload,
  readPath,
  toRoles,
  toScopes,
  type ClaimRules,
} from './claims.js'
import { AuthError } from '../errors.js'

const NOW = 1_800_000_000
const rules: ClaimRules = {
  issuers: undefined,
  audiences: undefined,
  clockTolerance: 5,
  maxTokenAge: undefined,
  typ: undefined,
  requiredClaims: [],
  requireExp: true,
}
const valid = { exp: NOW + 60, iat: NOW - 10 }

function check(
  payload: Record<string, unknown>,
  extra: Partial<ClaimRules> = {},
  typ?: unknown,
): string {
  try {
    checkClaims(payload, typ, { ...rules, ...extra }, NOW)
    return 'ok'
  } catch (err) {
    if (err instanceof AuthError) return `${err.code} ${err.status}`
    throw err
  }
}

describe('claims (RFC 7519 §4.1)', () => {
  it.each<[string, Record<string, unknown>, Partial<ClaimRules>, string]>([
    ['a valid token', valid, {}, 'ok'],
    ['exp is required by default (§4.1.4)', { iat: NOW }, {}, 'claim_invalid 401'],
    ['requireExp: false accepts no exp', { iat: NOW }, { requireExp: false }, 'ok'],
    ['expired', { exp: NOW - 10 }, {}, 'token_expired 401'],
    [
      'exp equal to now - tolerance is expired (on or after)',
      { exp: NOW - 5 },
      {},
      'token_expired 401',
    ],
    ['expired within clockTolerance is accepted', { exp: NOW - 4 }, {}, 'ok'],
    ['exp as a string (§2 NumericDate)', { exp: String(NOW + 60) }, {}, 'claim_invalid 401'],
    ['exp Infinity (JSON 1e400)', { exp: Number.POSITIVE_INFINITY }, {}, 'claim_invalid 401'],
    ['exp null', { exp: null }, {}, 'claim_invalid 401'],
    ['nbf in the future (§4.1.5)', { ...valid, nbf: NOW + 60 }, {}, 'token_not_yet_valid 401'],
    ['nbf within tolerance', { ...valid, nbf: NOW + 5 }, {}, 'ok'],
    ['nbf NaN-like string', { ...valid, nbf: 'soon' }, {}, 'claim_invalid 401'],
    [
      'iat in the future beyond tolerance (§4.1.6)',
      { exp: NOW + 60, iat: NOW + 6 },
      {},
      'claim_invalid 401',
    ],
    ['iat -Infinity', { exp: NOW + 60, iat: Number.NEGATIVE_INFINITY }, {}, 'claim_invalid 401'],
    ['maxTokenAge: young enough', valid, { maxTokenAge: 60 }, 'ok'],
    [
      'maxTokenAge: too old',
      { exp: NOW + 60, iat: NOW - 100 },
      { maxTokenAge: 60 },
      'token_expired 401',
    ],
    ['maxTokenAge requires iat', { exp: NOW + 60 }, { maxTokenAge: 60 }, 'claim_invalid 401'],
    [
      'issuer matches (§4.1.1)',
      { ...valid, iss: 'https://idp' },
      { issuers: ['https://idp'] },
      'ok',
    ],
    [
      'issuer from a list',
      { ...valid, iss: 'https://b' },
      { issuers: ['https://a', 'https://b'] },
      'ok',
    ],
    [
      'issuer differs',
      { ...valid, iss: 'https://evil' },
      { issuers: ['https://idp'] },
      'claim_invalid 401',
    ],
    ['issuer missing', valid, { issuers: ['https://idp'] }, 'claim_invalid 401'],
    [
      'issuer is compared exactly (no trailing-slash folding)',
      { ...valid, iss: 'https://idp/' },
      { issuers: ['https://idp'] },
      'claim_invalid 401',
    ],
    ['iss not a string', { ...valid, iss: 1 }, {}, 'claim_invalid 401'],
    ['audience as a string (§4.1.3)', { ...valid, aud: 'api' }, { audiences: ['api'] }, 'ok'],
    ['audience in an array', { ...valid, aud: ['other', 'api'] }, { audiences: ['api'] }, 'ok'],
    ['audience from a list', { ...valid, aud: 'api2' }, { audiences: ['api1', 'api2'] }, 'ok'],
    ['audience differs', { ...valid, aud: 'other' }, { audiences: ['api'] }, 'claim_invalid 401'],
    ['audience missing', valid, { audiences: ['api'] }, 'claim_invalid 401'],
    [
      'aud array with a non-string',
      { ...valid, aud: ['api', 1] },
      { audiences: ['api'] },
      'claim_invalid 401',
    ],
    ['aud an object', { ...valid, aud: { api: true } }, {}, 'claim_invalid 401'],
    ['sub not a string', { ...valid, sub: 42 }, {}, 'claim_invalid 401'],
    ['jti not a string', { ...valid, jti: 42 }, {}, 'claim_invalid 401'],
    [
      'requiredClaims present',
      { ...valid, tenant: 't1', sub: 'a' },
      { requiredClaims: ['tenant', 'sub'] },
      'ok',
    ],
    [
      'requiredClaims missing',
      { ...valid, sub: 'a' },
      { requiredClaims: ['tenant'] },
      'claim_invalid 401',
    ],
  ])('%s: %s', (_name, payload, extra, expected) => {
    expect(check(payload, extra)).toBe(expected)
  })

  it.each<[string, unknown, string]>([
    ['typ equal', 'at+jwt', 'ok'],
    ['typ with application/ prefix (RFC 7515 §4.1.9)', 'application/at+jwt', 'ok'],
    ['typ in another case', 'AT+JWT', 'ok'],
    ['typ with prefix in another case', 'Application/At+Jwt', 'ok'],
    ['typ JWT where at+jwt is expected (RFC 9068 §4)', 'JWT', 'claim_invalid 401'],
    ['typ absent', undefined, 'claim_invalid 401'],
    ['typ not a string', 1, 'claim_invalid 401'],
  ])('typ: %s', (_name, typ, expected) => {
    expect(check(valid, { typ: normalizeTyp('at+jwt') }, typ)).toBe(expected)
  })

  it('returns the cache bound: exp + tolerance, or the maxTokenAge limit when earlier', () => {
    expect(checkClaims(valid, undefined, rules, NOW)).toBe(NOW + 65)
    expect(checkClaims(valid, undefined, { ...rules, maxTokenAge: 20 }, NOW)).toBe(
      NOW - 10 + 20 + 5,
    )
    expect(checkClaims({}, undefined, { ...rules, requireExp: false }, NOW)).toBe(
      Number.POSITIVE_INFINITY,
    )
  })

  it('names the claim but never its value', () => {
    let err: AuthError | undefined
    try {
      checkClaims(
        { ...valid, iss: 'https://secret-tenant.example' },
        undefined,
        { ...rules, issuers: ['x'] },
        NOW,
      )
    } catch (e) {
      err = e as AuthError
    }
    expect(err?.description).toContain('iss')
    expect(err?.description).not.toContain('secret-tenant')
  })
})

describe('payload', () => {
  const enc = (s: string) => new TextEncoder().encode(s)
  it.each([['[]'], ['"s"'], ['null'], ['1'], ['{'], ['']])(
    '%j is not a JSON object: token_malformed',
    (text) => {
      expect(() => parsePayload(enc(text))).toThrow(
        expect.objectContaining({ code: 'token_malformed', status: 401 }),
      )
    },
  )
  it('invalid UTF-8 is token_malformed', () => {
    expect(() => parsePayload(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(
      expect.objectContaining({ code: 'token_malformed' }),
    )
  })
  it('1e400 parses to Infinity and is then refused as exp', () => {
    const payload = parsePayload(enc('{"exp":1e400}'))
    expect(check(payload)).toBe('claim_invalid 401')
  })
})

describe('zod claims schema', () => {
  const schema = z.object({ sub: z.string(), tenant: z.object({ id: z.string().uuid() }) })

  it('returns the schema output', async () => {
    const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301'
    await expect(applySchema(schema, { sub: 'a', tenant: { id }, extra: 1 })).resolves.toEqual({
      sub: 'a',
      tenant: { id },
    })
  })

  it('a failure is claim_invalid naming the path, never the value', async () => {
    const err = await applySchema(schema, { sub: 'a', tenant: { id: 'secret-value' } }).then(
      () => undefined,
      (e: AuthError) => e,
    )
    expect([err?.code, err?.status]).toEqual(['claim_invalid', 401])
    expect(err?.description).toContain('tenant.id')
    expect(err?.description).not.toContain('secret-value')
  })

  it('runs async refinements (always parsed with safeParseAsync)', async () => {
    const asyncSchema = z.object({ sub: z.string().refine(async (s) => s === 'ok') })
    await expect(applySchema(asyncSchema, { sub: 'ok' })).resolves.toEqual({ sub: 'ok' })
    await expect(applySchema(asyncSchema, { sub: 'no' })).rejects.toMatchObject({
      code: 'claim_invalid',
    })
  })

  it.each<[string, () => z.ZodType]>([
    ['a throwing transform', () => z.object({ sub: z.string() }).transform(boom)],
    ['a throwing refine', () => z.object({ sub: z.string() }).refine(boom)],
    ['a throwing superRefine', () => z.object({ sub: z.string() }).superRefine(boom)],
    [
      'a rejecting async refine',
      () => z.object({ sub: z.string() }).refine(async (c) => boom(await Promise.resolve(c))),
    ],
  ])(
    '%s is claim_invalid with the error in cause, never in the message (issue 12 item 5)',
    async (_name, schema) => {
      const err = await applySchema(schema(), { sub: 'secret-value' }).then(
        () => undefined,
        (e: AuthError) => e,
      )
      expect([err?.code, err?.status]).toEqual(['claim_invalid', 401])
      expect(err?.description).not.toContain('secret-value')
      expect(err?.message).not.toContain('secret-value')
      expect((err?.cause as Error).message).toBe('boom secret-value')
    },
  )
})

function boom(claims: { sub: string }): never {
  throw new Error(`boom ${claims.sub}`)
}

describe('roles and scopes', () => {
  it.each<[string, Record<string, unknown>, string, string[]]>([
    ['an array', { roles: ['a', 'b'] }, 'roles', ['a', 'b']],
    ['a string', { roles: 'admin' }, 'roles', ['admin']],
    ['a dotted path (Keycloak)', { realm_access: { roles: ['x'] } }, 'realm_access.roles', ['x']],
    [
      'a claim name with dots (Auth0 namespace)',
      { 'https://example.com/roles': ['y'] },
      'https://example.com/roles',
      ['y'],
    ],
    ['missing', {}, 'roles', []],
    ['non-strings are dropped', { roles: ['a', 1, null, { x: 1 }] }, 'roles', ['a']],
    ['a number', { roles: 5 }, 'roles', []],
    ['a path through an array', { a: [{ roles: ['z'] }] }, 'a.roles', []],
    ['no prototype lookups', {}, 'constructor.name', []],
  ])('roles: %s', (_name, payload, path, expected) => {
    expect(toRoles(readPath(payload, path, path.split('.')))).toEqual(expected)
  })

  it.each<[string, Record<string, unknown>, string[]]>([
    ['scope space-delimited (RFC 9068 §2.2.3)', { scope: 'a b  c' }, ['a', 'b', 'c']],
    ['scope with single spaces only', { scope: 'a b c' }, ['a', 'b', 'c']],
    ['scope with spaces at both ends', { scope: ' a b ' }, ['a', 'b']],
    ['an empty scope', { scope: '' }, []],
    ['a scope of spaces only', { scope: '   ' }, []],
    ['scp array', { scp: ['a', 'b'] }, ['a', 'b']],
    ['scp string', { scp: 'a b' }, ['a', 'b']],
    ['scope wins over scp', { scope: 'a', scp: ['b'] }, ['a']],
    ['none', {}, []],
    ['scope not a string', { scope: ['a'] }, []],
  ])('scopes: %s', (_name, payload, expected) => {
    expect(toScopes(payload)).toEqual(expected)
  })
})

// Issue 12 "Also": the description reaches WWW-Authenticate, so a key the token chose is never in it.
describe('a failing schema path names only what the schema declares', () => {
  const M = 'zq7Mark3r'
  it.each([
    [
      'a record value',
      z.object({ perms: z.record(z.string(), z.boolean()) }),
      { perms: { [M]: 1 } },
      'claim perms.* fails the claims schema (invalid_type)',
    ],
    [
      'a catchall member',
      z.object({ sub: z.string() }).catchall(z.string()),
      { sub: 'a', [M]: 1 },
      'claim * fails the claims schema (invalid_type)',
    ],
    [
      'a record in an array under an optional object, then a declared member',
      z.object({
        org: z
          .object({ teams: z.array(z.record(z.string(), z.object({ id: z.number() }))) })
          .optional(),
      }),
      { org: { teams: [{}, { [M]: { id: 'x' } }] } },
      'claim org.teams.1.*.id fails the claims schema (invalid_type)',
    ],
    [
      'declared members under a transform and a nullable',
      z.object({
        a: z
          .object({ b: z.number() })
          .nullable()
          .transform((v) => v),
      }),
      { a: { b: 'x' } },
      'claim a.b fails the claims schema (invalid_type)',
    ],
  ] as Array<[string, z.ZodType, Record<string, unknown>, string]>)(
    '%s',
    async (_name, schema, payload, description) => {
      const err = await applySchema(schema, payload).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(AuthError)
      expect((err as AuthError).description).toBe(description)
      expect((err as AuthError).description).not.toContain(M)
    },
  )
})
