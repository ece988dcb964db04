// Hostile inputs too big for an HTTP header (Node caps headers at 16 KiB): straight into the core.
import { createAuthenticator, isAuthError, type AuthErrorCode } from '@tokengate/core'
import { raw, signJws, type TestKeys } from '@tokengate/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { CORPUS_ISSUER as ISSUER, testKeys } from '../support/fixtures.js'

let rsa: TestKeys
let now: number

beforeAll(async () => {
  ;({ rsa } = await testKeys())
  now = Math.floor(Date.now() / 1000)
})

async function refusal(
  options: { maxTokenLength?: number },
  authorization: string | string[],
): Promise<{ status: number; code: AuthErrorCode }> {
  const authenticator = createAuthenticator({
    algorithms: ['RS256'],
    key: rsa.publicPem as string,
    issuer: ISSUER,
    ...options,
  })
  try {
    await authenticator.authenticate({
      method: 'GET',
      url: '/protected',
      headers: { authorization },
    })
  } catch (err) {
    if (isAuthError(err)) return { status: err.status, code: err.code }
    throw err
  }
  throw new Error('accepted')
}

const claims = (extra: string) => `{"iss":"${ISSUER}","exp":${now - 600}${extra}}`
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
const rs = (payload: string, header: string = '{"alg":"RS256"}') =>
  signJws('RS256', rsa.privateKey, raw(header), raw(payload))

describe('the core refuses inputs no HTTP server would pass on', () => {
  it.each([
    ['claims nested 10,000 levels, default maxTokenLength', 10_000, 8192, 'token_too_large'],
    ['claims nested 10,000 levels, genuine signature, expired', 10_000, 1_000_000, 'token_expired'],
    [
      'claims nested 100,000 levels, genuine signature, expired',
      100_000,
      1_000_000,
      'token_expired',
    ],
  ] as const)('%s (RFC 8259 §9, stack exhaustion)', async (_name, depth, max, code) => {
    const token = rs(claims(`,"n":${nested(depth)}`))
    expect(await refusal({ maxTokenLength: max }, `Bearer ${token}`)).toEqual({ status: 401, code })
  })

  it('a header nested 100,000 levels with an attacker signature (RFC 8259 §9)', async () => {
    const token = rs(claims(''), `{"alg":"RS256","x":${nested(100_000)}}`)
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(342)}`
    // Over the header size and depth caps (issue 21 item 2): refused before JSON.parse.
    expect(await refusal({ maxTokenLength: 1_000_000 }, `Bearer ${forged}`)).toEqual({
      status: 401,
      code: 'token_malformed',
    })
  })

  it('a genuine token whose header is nested 100,000 levels is token_malformed, never a RangeError (issue 21 item 2)', async () => {
    const token = rs(claims(''), `{"alg":"RS256","x":${nested(100_000)}}`)
    expect(await refusal({ maxTokenLength: 1_000_000 }, `Bearer ${token}`)).toEqual({
      status: 401,
      code: 'token_malformed',
    })
  })

  it('a 1 MiB token is refused by length before any decoding (maxTokenLength)', async () => {
    const token = `${'A'.repeat(1 << 20)}.${'A'.repeat(8)}.${'A'.repeat(8)}`
    expect(await refusal({}, `Bearer ${token}`)).toEqual({ status: 401, code: 'token_too_large' })
  })

  it('a 1 MiB Authorization value of spaces is refused without backtracking (RFC 6750 §2.1)', async () => {
    expect(await refusal({}, `Bearer ${' '.repeat(1 << 20)}x y`)).toEqual({
      status: 401,
      code: 'token_too_large',
    })
  })

  it('"Bearer<TAB>token" is a malformed Bearer credential, not another scheme (RFC 6750 §2.1)', async () => {
    const token = rs(claims(''))
    expect(await refusal({}, `Bearer\t${token}`)).toEqual({ status: 400, code: 'invalid_request' })
  })

  it('optional: no token gives null, but a bad or ambiguous token is still refused (core README, optional)', async () => {
    const authenticator = createAuthenticator({
      algorithms: ['RS256'],
      key: rsa.publicPem as string,
      optional: true,
      from: { header: true, cookie: 'tg' },
    })
    const run = (headers: Record<string, string>) =>
      authenticator.authenticate({ method: 'GET', url: '/', headers }).then(
        (ctx) => ctx,
        (err: unknown) => (isAuthError(err) ? err.code : 'crashed'),
      )
    expect(await run({})).toBeNull()
    expect(await run({ authorization: 'Basic YTpi' })).toBeNull()
    expect(await run({ authorization: 'Bearer not-a-token' })).toBe('token_malformed')
    expect(await run({ authorization: `Bearer ${rs(claims(''))}` })).toBe('token_expired')
    const live = rs(`{"iss":"${ISSUER}","exp":${now + 600}}`)
    expect(await run({ authorization: `Bearer ${live}`, cookie: `tg=${live}` })).toBe(
      'multiple_tokens',
    )
    expect(await run({ authorization: 'Bearer' })).toBe('invalid_request')
  })

  it('two Authorization values in a header record are refused (RFC 9110 §5.3)', async () => {
    const token = rs(claims(''))
    expect(await refusal({}, [`Bearer ${token}`, `Bearer ${token}`])).toEqual({
      status: 400,
      code: 'invalid_request',
    })
  })
})
