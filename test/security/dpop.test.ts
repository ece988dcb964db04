// DPoP (RFC 9449) under attack through every adapter: forged, replayed and mismatched proofs.
import { CODE_TABLE, type AuthenticatorOptions, type AuthErrorCode } from '@tokengate/core'
import {
  dpopProof,
  jktOf,
  keysFor,
  signJws,
  type DpopProofOptions,
  type TestKeys,
} from '@tokengate/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ORIGIN, drivers, type DriverRequest, type RunningApp } from '../support/drivers.js'
import { CORPUS_ISSUER as ISSUER, testKeys } from '../support/fixtures.js'
import { allDrivers } from '../support/workers.js'

const HTU = `${ORIGIN}/protected`

interface Fx {
  issuer: TestKeys
  client: TestKeys
  other: TestKeys
  hmac: TestKeys
  jkt: string
  now: number
}
let fx: Fx

beforeAll(async () => {
  const [{ rsa: issuer }, client, other, hmac] = await Promise.all([
    testKeys(),
    keysFor('ES256', { label: 'dpop-client' }),
    keysFor('ES256', { label: 'dpop-other' }),
    keysFor('HS256'),
  ])
  fx = { issuer, client, other, hmac, jkt: await jktOf(client), now: Math.floor(Date.now() / 1000) }
})

type Mode = 'required' | 'allowed'
const optionsFor = (mode: Mode): AuthenticatorOptions => ({
  algorithms: ['RS256'],
  key: fx.issuer.publicPem as string,
  issuer: ISSUER,
  dpop: { mode, origins: [ORIGIN] },
})

/** An access token from the issuer, bound to the client key unless `cnf` says otherwise (false: unbound). */
const token = (cnf: unknown = { jkt: fx.jkt }) =>
  signJws(
    'RS256',
    fx.issuer.privateKey as CryptoKey,
    { alg: 'RS256', typ: 'at+jwt' },
    { iss: ISSUER, sub: 'alice', exp: fx.now + 600, ...(cnf !== false && { cnf }) },
  )

const proof = (accessToken: string, extra: Partial<DpopProofOptions> = {}) =>
  dpopProof({ key: fx.client, htm: 'GET', htu: HTU, accessToken, ...extra })

const dpop = (accessToken: string, proofValue: string | string[] | undefined): DriverRequest => ({
  path: '/protected',
  headers: {
    authorization: `DPoP ${accessToken}`,
    ...(proofValue !== undefined && { dpop: proofValue }),
  },
})

interface DpopCase {
  name: string
  ref: string
  mode?: Mode
  request: () => DriverRequest
  code: AuthErrorCode
}

const bad = (
  name: string,
  ref: string,
  extra: (t: string) => Partial<DpopProofOptions>,
): DpopCase => ({
  name,
  ref,
  request: () => {
    const t = token()
    return dpop(t, proof(t, extra(t)))
  },
  code: 'invalid_dpop_proof',
})

const cases: DpopCase[] = [
  {
    name: 'a bound token sent as Bearer where DPoP is required',
    ref: 'RFC 9449 §7.1',
    request: () => ({ path: '/protected', headers: { authorization: `Bearer ${token()}` } }),
    code: 'dpop_required',
  },
  {
    name: 'a bound token sent as Bearer where DPoP is allowed (downgrade)',
    ref: 'RFC 9449 §7.2',
    mode: 'allowed',
    request: () => ({ path: '/protected', headers: { authorization: `Bearer ${token()}` } }),
    code: 'dpop_required',
  },
  {
    name: 'DPoP scheme without a proof header',
    ref: 'RFC 9449 §7.1',
    request: () => dpop(token(), undefined),
    code: 'invalid_dpop_proof',
  },
  {
    name: 'two DPoP headers',
    ref: 'RFC 9449 §4.3 check 1',
    request: () => {
      const t = token()
      return dpop(t, [proof(t), proof(t)])
    },
    code: 'invalid_dpop_proof',
  },
  {
    name: 'proof that is not a JWS',
    ref: 'RFC 9449 §4.3 check 2',
    request: () => dpop(token(), 'not.a.proof!'),
    code: 'invalid_dpop_proof',
  },
  bad('proof typ "JWT"', 'RFC 9449 §4.3 check 4, §11.5', () => ({ header: { typ: 'JWT' } })),
  bad('proof with no typ', 'RFC 9449 §4.3 check 4', () => ({ header: { typ: undefined } })),
  {
    name: 'proof alg "none"',
    ref: 'RFC 9449 §4.3 check 5, §11.6',
    request: () => {
      const t = token()
      const signed = proof(t, { header: { alg: 'none' } })
      return dpop(t, `${signed.slice(0, signed.lastIndexOf('.'))}.c2ln`)
    },
    code: 'invalid_dpop_proof',
  },
  bad(
    'proof alg HS256 keyed with the proof jwk text',
    'RFC 9449 §4.2 (asymmetric only), §11.6',
    () => ({
      header: { alg: 'HS256' },
      signAlg: 'HS256',
      signKey: JSON.stringify(fx.client.publicJwk),
    }),
  ),
  bad('proof jwk carrying the private key', 'RFC 9449 §4.3 check 7', () => ({
    header: { jwk: fx.client.privateJwk },
  })),
  bad('proof jwk missing', 'RFC 9449 §4.3 check 6', () => ({ header: { jwk: undefined } })),
  bad('proof signed by another key than its jwk', 'RFC 9449 §4.3 check 6', () => ({
    signKey: fx.other.privateKey as CryptoKey,
  })),
  bad('proof jwk that cannot verify its alg (RSA jwk, ES256)', 'RFC 9449 §4.3 check 6', () => ({
    header: { jwk: fx.issuer.publicJwk },
  })),
  bad('proof with unknown crit', 'RFC 7515 §4.1.11', () => ({ header: { crit: ['x'], x: 1 } })),
  bad('proof htm POST for a GET', 'RFC 9449 §4.3 check 8', () => ({ htm: 'POST' })),
  bad('proof htm "get" (case-sensitive)', 'RFC 9449 §4.3 check 8', () => ({ htm: 'get' })),
  bad('proof htu of another origin', 'RFC 9449 §4.3 check 9', () => ({
    htu: 'https://evil.example/protected',
  })),
  bad('proof htu of another path', 'RFC 9449 §4.3 check 9', () => ({ htu: `${ORIGIN}/admin` })),
  bad('proof htu of another scheme', 'RFC 9449 §4.3 check 9', () => ({
    htu: HTU.replace('http:', 'https:'),
  })),
  bad('proof htu not a URL', 'RFC 9449 §4.2', () => ({ htu: 'protected' })),
  {
    name: 'proof htu of another path, carrying the request query and a fragment',
    ref: 'RFC 9449 §4.3 check 9',
    request: () => {
      const t = token()
      return { ...dpop(t, proof(t, { htu: `${ORIGIN}/admin?x=1#s` })), path: '/protected?x=1' }
    },
    code: 'invalid_dpop_proof',
  },
  bad('proof issued an hour ago', 'RFC 9449 §4.3 check 11, §11.1', () => ({ iat: fx.now - 3600 })),
  bad('proof issued an hour ahead', 'RFC 9449 §4.3 check 11', () => ({ iat: fx.now + 3600 })),
  bad('proof iat 1e400 (Infinity)', 'RFC 9449 §4.2, RFC 7519 §2', () => ({
    claims: { iat: Number.POSITIVE_INFINITY },
  })),
  bad('proof without jti', 'RFC 9449 §4.2', () => ({ claims: { jti: undefined } })),
  bad('proof with a 10 KB jti', 'RFC 9449 §11.1', () => ({ jti: 'j'.repeat(10_000) })),
  bad('proof without ath', 'RFC 9449 §4.3 check 12', () => ({ claims: { ath: undefined } })),
  bad('proof ath of another token', 'RFC 9449 §4.3 check 12', () => ({
    accessToken: token({ jkt: 'other' }),
  })),
  {
    name: 'a valid proof by another key than the token is bound to',
    ref: 'RFC 9449 §6.1 (cnf.jkt)',
    request: () => {
      const t = token()
      return dpop(t, proof(t, { key: fx.other }))
    },
    code: 'claim_invalid',
  },
  {
    name: 'a token without cnf under the DPoP scheme',
    ref: 'RFC 9449 §6.1',
    request: () => {
      const t = token(false)
      return dpop(t, proof(t))
    },
    code: 'claim_invalid',
  },
  {
    name: 'a proof for a token signed by the attacker',
    ref: 'RFC 7515 §5.2',
    request: () => {
      const t = signJws(
        'ES256',
        fx.client.privateKey as CryptoKey,
        { alg: 'RS256' },
        { iss: ISSUER, exp: fx.now + 600, cnf: { jkt: fx.jkt } },
      )
      return dpop(t, proof(t))
    },
    code: 'signature_invalid',
  },
]

describe.each(allDrivers)('DPoP on $name', (driver) => {
  const apps = new Map<Mode, RunningApp>()

  beforeAll(async () => {
    apps.set('required', await driver.start({ options: optionsFor('required') }))
    apps.set('allowed', await driver.start({ options: optionsFor('allowed') }))
  })

  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => app.close()))
  })

  it.each(cases)('refuses: $name ($ref)', async (c) => {
    const response = await apps.get(c.mode ?? 'required')!.request(c.request())
    expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
      status: CODE_TABLE[c.code].status,
      code: c.code,
    })
    // RFC 9449 §7.1: the DPoP challenge names the accepted proof algorithms.
    expect(response.headers['www-authenticate']).toMatch(/DPoP .*algs="/)
  })

  // Issue 12 "Also": nothing of a token (or its proof) is reflected into the answer; the proof's
  // alg is client-chosen text like any other header member.
  it.each([
    ['an unknown alg', 'Zq7Mark3rAlg'],
    ['an HMAC-looking alg', 'HSzq7Mark3r'],
  ])('never reflects a proof alg: %s', async (_label, alg) => {
    const t = token()
    const response = await apps
      .get('required')!
      .request(dpop(t, proof(t, { header: { alg }, signAlg: 'ES256' })))
    expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
      status: 401,
      code: 'invalid_dpop_proof',
    })
    const seen = JSON.stringify({ body: response.body, headers: response.headers }).toLowerCase()
    expect(seen).not.toContain('mark3r')
  })

  it('accepts a bound token with a fresh proof, and refuses the same proof replayed (RFC 9449 §11.1)', async () => {
    const app = apps.get('required')!
    const t = token()
    const p = proof(t)
    const first = await app.request(dpop(t, p))
    expect(first.status).toBe(200)
    const replay = await app.request(dpop(t, p))
    expect(replay.status).toBe(401)
    expect(replay.body).toMatchObject({ code: 'invalid_dpop_proof' })
    // a new proof for the same token works again
    expect((await app.request(dpop(t, proof(t)))).status).toBe(200)
  })

  it('replaying a proof across concurrent requests lets at most one through (RFC 9449 §11.1)', async () => {
    const app = apps.get('required')!
    const t = token()
    const p = proof(t)
    const responses = await Promise.all(Array.from({ length: 10 }, () => app.request(dpop(t, p))))
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1)
  })

  it.each([
    ['a query and a fragment', `${HTU}?x=1#s`, '/protected?x=1'],
    ['an empty query', `${HTU}?`, '/protected'],
    ['a query the request does not have', `${HTU}?y=2`, '/protected?x=1'],
  ])(
    'accepts a proof whose htu carries %s: compared without them (RFC 9449 §4.3 check 9)',
    async (_name, htu, path) => {
      const t = token()
      const response = await apps.get('required')!.request({ ...dpop(t, proof(t, { htu })), path })
      expect(response.status).toBe(200)
    },
  )

  it('an unbound Bearer token still passes where DPoP is only allowed (RFC 9449 §7.2)', async () => {
    const response = await apps
      .get('allowed')!
      .request({ path: '/protected', headers: { authorization: `Bearer ${token(false)}` } })
    expect(response.status).toBe(200)
  })
})

// RFC 9449 §11.1: the replay entry must outlive the window in which the proof is accepted. The
// clock is frozen (Date only) at the window's exact last millisecond, so Node drivers only.
describe.each(drivers)('DPoP window edge on $name (frozen clock)', (driver) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await driver.start({ options: optionsFor('required') })
  })
  afterAll(async () => {
    await app.close()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a proof whose window closes while the token is being checked is refused, not recorded late', async () => {
    const iat = fx.now
    const edge = (iat + 65) * 1000
    // The revocation hook runs between the proof check and the replay record: time passes there.
    const slow = await driver.start({
      options: {
        ...optionsFor('required'),
        isRevoked: () => {
          vi.setSystemTime(edge + 1)
          return false
        },
      },
    })
    try {
      vi.useFakeTimers({ toFake: ['Date'], now: edge })
      const t = token()
      const response = await slow.request(dpop(t, proof(t, { iat })))
      expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
        status: 401,
        code: 'invalid_dpop_proof',
      })
    } finally {
      await slow.close()
    }
  })

  it('a proof used just inside the window cannot be replayed at iat + maxAge + clockTolerance exactly', async () => {
    const iat = fx.now
    // maxAge 60 s and clockTolerance 5 s (the defaults): the window's last instant is iat + 65.
    const edge = (iat + 65) * 1000
    const t = token()
    const p = proof(t, { iat })
    vi.useFakeTimers({ toFake: ['Date'], now: edge - 1 })
    expect((await app.request(dpop(t, p))).status).toBe(200)
    vi.setSystemTime(edge)
    const replay = await app.request(dpop(t, p))
    expect({ status: replay.status, code: (replay.body as { code?: string }).code }).toEqual({
      status: 401,
      code: 'invalid_dpop_proof',
    })
    // The edge itself is inside the window (as the replay store now agrees): a fresh proof passes
    // once, and its replay in the same millisecond is refused.
    const q = proof(t, { iat })
    expect((await app.request(dpop(t, q))).status).toBe(200)
    expect((await app.request(dpop(t, q))).status).toBe(401)
    // One millisecond later the window is closed for this iat.
    vi.setSystemTime(edge + 1)
    const late = await app.request(dpop(t, proof(t, { iat })))
    expect({ status: late.status, code: (late.body as { code?: string }).code }).toEqual({
      status: 401,
      code: 'invalid_dpop_proof',
    })
  })
})
