// The hono/jwt pair answers the same requests with the same statuses, except where
// docs/migrate/hono-jwt.md says why tokengate differs (each difference names its section).
import { readFileSync } from 'node:fs'
import {
  anchors,
  REQUEST_NAMES,
  startPair,
  statusOf,
  tableProblems,
  wanted,
  type Expectation,
  type RequestName,
  type RunningPair,
} from '@tokengate/example-migrate-shared'
import { startIssuer } from '@tokengate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp as after } from '../after/app.js'
import { createApp as before } from '../before/app.js'

const guide = readFileSync(new URL('../../../../docs/migrate/hono-jwt.md', import.meta.url), 'utf8')

const expected: Record<RequestName, Expectation> = {
  'valid token': { status: 200 },
  'no token': { status: 401 },
  'expired token': { status: 401 },
  'token not yet valid': { status: 401 },
  'wrong signature': { status: 401 },
  'wrong audience': { status: 401 },
  'wrong issuer': { status: 401 },
  'alg none': { status: 401 },
  'token without exp': { status: 401, differs: { before: 200, section: 'exp-is-required' } },
  'Basic scheme': { status: 401 },
  'malformed Authorization header (three parts)': {
    status: 400,
    differs: { before: 401, section: 'malformed-authorization-headers-are-400' },
  },
  'two Authorization headers': {
    status: 400,
    differs: { before: 401, section: 'two-tokens-are-400-multiple_tokens' },
  },
  'token in header and cookie': {
    status: 400,
    differs: { before: 200, section: 'two-tokens-are-400-multiple_tokens' },
  },
  'cookie token, GET': { status: 200 },
  'cookie token, cross-site POST': {
    status: 403,
    differs: { before: 201, section: 'cookie-tokens-get-a-csrf-check' },
  },
  'cookie token, same-origin POST': { status: 201 },
  'header token, cross-site POST': { status: 201 },
  'permission present': { status: 200 },
  'permission missing': { status: 403 },
  'public route without a token': { status: 200 },
  'CORS preflight': { status: 204, differs: { before: 401, section: 'cors-preflights' } },
}

let pair: RunningPair

beforeAll(async () => {
  pair = await startPair({
    issuer: await startIssuer({ algorithms: ['HS256', 'ES256'] }),
    config: (issuer) => ({
      secret: issuer.key('HS256').publicJwk as { kty: 'oct'; k: string },
      jwksUri: issuer.jwksUri,
      issuer: issuer.url,
      audience: issuer.audience,
      cookie: 'access_token',
    }),
    before,
    after,
    alg: 'HS256',
  })
})
afterAll(() => pair.close())

describe('hono/jwt and hono/jwk (before) and @tokengate/hono (after)', () => {
  it('the table covers every request, and every difference names a section of the guide', () => {
    expect(tableProblems(expected, guide)).toEqual({
      missingSections: [],
      names: { missing: [], extra: [] },
    })
  })

  it.each(REQUEST_NAMES)('%s', async (name) => {
    expect(await pair.statuses(name)).toEqual(wanted(expected[name]))
  })
})

describe('hono/jwk (before) and a tokengate JWKS route (after)', () => {
  it.each([
    ['valid ES256 token', () => pair.issuer.sign({ sub: 'alice' }, { alg: 'ES256' }), 200],
    [
      'expired ES256 token',
      () => pair.issuer.sign({}, { alg: 'ES256', expiresIn: -3600, issuedAt: -7200 }),
      401,
    ],
    [
      'ES256 token for another audience',
      () => pair.issuer.sign({}, { alg: 'ES256', audience: 'https://x.test' }),
      401,
    ],
    [
      'HS256 token on the JWKS route',
      () => pair.issuer.sign({ sub: 'alice' }, { alg: 'HS256' }),
      401,
    ],
  ] as const)('%s', async (_name, token, status) => {
    const request = {
      method: 'GET',
      path: '/jwk/me',
      headers: { authorization: `Bearer ${await token()}` },
    }
    expect({
      before: await statusOf(pair.urls.before, request),
      after: await statusOf(pair.urls.after, request),
    }).toEqual({ before: status, after: status })
  })
})

describe('remote keys', () => {
  it('hono/jwk fetches the JWKS on every request; tokengate fetched it once (#remote-keys-are-cached)', async () => {
    expect(anchors(guide)).toContain('remote-keys-are-cached')
    const request = {
      method: 'GET',
      path: '/jwk/me',
      headers: {
        authorization: `Bearer ${await pair.issuer.sign({ sub: 'a' }, { alg: 'ES256' })}`,
      },
    }
    const fetches = async (url: string) => {
      expect(await statusOf(url, request)).toBe(200) // warm
      const start = pair.issuer.requests
      for (let i = 0; i < 3; i++) expect(await statusOf(url, request)).toBe(200)
      return pair.issuer.requests - start
    }
    expect({
      before: await fetches(pair.urls.before),
      after: await fetches(pair.urls.after),
    }).toEqual({
      before: 3,
      after: 0,
    })
  })
})

describe('start-up', () => {
  it('secret length: hono/jwt takes a 13-byte HS256 secret, tokengate refuses it naming the fix', async () => {
    expect(anchors(guide)).toContain('secret-length')
    const { jwt } = await import('hono/jwt')
    const { tokengate } = await import('@tokengate/hono')
    expect(() => jwt({ secret: 'shared-secret', alg: 'HS256' })).not.toThrow()
    expect(() => tokengate({ algorithms: ['HS256'], key: 'shared-secret' })).toThrow(
      /options\.key .*HS256.*32 bytes/,
    )
  })
})

describe('leftover option names', () => {
  it('fail at start-up with the tokengate name (#leftover-option-names-fail-at-start-up-with-a-hint)', async () => {
    expect(anchors(guide)).toContain('leftover-option-names-fail-at-start-up-with-a-hint')
    const { tokengate } = await import('@tokengate/hono')
    expect(() =>
      tokengate({
        key: 'k'.repeat(32),
        algorithms: ['HS256'],
        verification: { aud: 'x' },
      } as never),
    ).toThrow(/options\.verification: Hono's verification: iss is issuer, aud is audience/)
  })
})
