// The koa-jwt pair answers the same requests with the same statuses, except where
// docs/migrate/koa-jwt.md says why tokengate differs (each difference names its section).
import { readFileSync } from 'node:fs'
import {
  anchors,
  REQUEST_NAMES,
  startPair,
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

const guide = readFileSync(new URL('../../../../docs/migrate/koa-jwt.md', import.meta.url), 'utf8')

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
    differs: { before: 200, section: 'two-tokens-are-400-multiple_tokens' },
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
    issuer: await startIssuer({ algorithms: ['HS256'] }),
    config: (issuer) => ({
      secret: issuer.key('HS256').secret!,
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

describe('koa-jwt 4 (before) and @tokengate/koa (after)', () => {
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

describe('start-up', () => {
  it('secret length: koa-jwt takes a 13-byte HS256 secret, tokengate refuses it naming the fix', async () => {
    expect(anchors(guide)).toContain('secret-length')
    const { default: jwt } = await import('koa-jwt')
    const { tokengate } = await import('@tokengate/koa')
    expect(() => jwt({ secret: 'shared-secret', algorithms: ['HS256'] })).not.toThrow()
    expect(() => tokengate({ algorithms: ['HS256'], key: 'shared-secret' })).toThrow(
      /options\.key .*HS256.*32 bytes/,
    )
  })
})

describe('leftover option names', () => {
  it('fail at start-up with the tokengate name (#leftover-option-names-fail-at-start-up-with-a-hint)', async () => {
    expect(anchors(guide)).toContain('leftover-option-names-fail-at-start-up-with-a-hint')
    const { tokengate } = await import('@tokengate/koa')
    expect(() =>
      tokengate({ key: 'k'.repeat(32), algorithms: ['HS256'], cookie: 'access_token' } as never),
    ).toThrow(/options\.cookie: koa-jwt's and Hono's cookie is from\.cookie/)
  })
})
