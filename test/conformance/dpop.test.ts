// DPoP (RFC 9449) through every adapter: valid proofs, every broken proof field, replays, Bearer
// downgrades, spoofed Host and X-Forwarded-*; each answer asserted, then compared across drivers.
// The JSON-serialisable part also runs in workerd (Hono through miniflare) against Hono on Node.
import type { AuthErrorCode, AuthenticatorOptions } from '@tokengate/core'
import { CODE_TABLE } from '@tokengate/core'
import {
  dpopProof,
  flipBit,
  jktOf,
  keysFor,
  signToken,
  unsecuredJws,
  type DpopProofOptions,
  type TestKeys,
} from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  drivers,
  honoDriver,
  type Driver,
  type DriverRequest,
  type DriverResponse,
  type ProtectedBody,
  type RunningApp,
} from '../support/drivers.js'
import { workersDriver } from '../support/workers.js'
import { comparable } from './harness.js'

const REALM = 'dpop'
/** The public origin the apps are configured with; the drivers connect over http with Host api.example.test. */
const PUBLIC = 'https://api.example.test'
const HTU = `${PUBLIC}/protected`
const ALGS = 'ES256 ES384 EdDSA RS256 PS256'

interface Keys {
  server: TestKeys
  client: TestKeys
  other: TestKeys
  eddsa: TestKeys
  hmac: TestKeys
}

const SETUPS = {
  /** DPoP or unbound Bearer tokens; htu checked against the configured public origin. */
  allowed: (k: Keys) => base(k, { dpop: { mode: 'allowed', origins: [PUBLIC] } }),
  /** DPoP only. */
  required: (k: Keys) => base(k, { dpop: { mode: 'required', origins: [PUBLIC] } }),
  /** Behind a trusted proxy: X-Forwarded-Proto and X-Forwarded-Host define the request URL. */
  proxy: (k: Keys) => base(k, { dpop: { mode: 'required' }, trustProxy: true }),
  /** DPoP off: the DPoP scheme is just another scheme. */
  disabled: (k: Keys) => base(k, { dpop: { mode: 'disabled' } }),
} satisfies Record<string, (k: Keys) => AuthenticatorOptions>
type Setup = keyof typeof SETUPS

function base(k: Keys, extra: Partial<AuthenticatorOptions>): AuthenticatorOptions {
  return {
    algorithms: ['ES256'],
    key: k.server.publicJwk,
    realm: REALM,
    ...extra,
  } as AuthenticatorOptions
}

type Expect =
  { status: 200; sub: string } | { status: number; code: AuthErrorCode; challenge: RegExp | string }

interface Scenario {
  name: string
  setup: Setup
  request(k: Keys): Promise<DriverRequest>
  expect: Expect
  /** Sent twice to each app: the second answer is the one expected (replay). */
  twice?: boolean
}

// What the challenge must be (RFC 9449 §7.1, §7.2): the error on the scheme the client used.
const onDpop = (error: string, bearer = true) =>
  new RegExp(
    `^${bearer ? `Bearer realm="${REALM}", ` : ''}DPoP realm="${REALM}", error="${error}", error_description="[^"]+", algs="${ALGS}"$`,
  )
const onBearer = (error: string) =>
  new RegExp(
    `^Bearer realm="${REALM}", error="${error}", error_description="[^"]+", DPoP realm="${REALM}", algs="${ALGS}"$`,
  )
const proofError = (setup: Setup = 'allowed') =>
  ({
    status: 401,
    code: 'invalid_dpop_proof',
    challenge: onDpop('invalid_dpop_proof', setup === 'allowed'),
  }) as const
const ok = { status: 200, sub: 'alice' } as const

/** A token from the server for alice, bound to `to` (cnf.jkt, RFC 9449 §6.1), or unbound. */
async function token(k: Keys, to: TestKeys | null = k.client, extra: Record<string, unknown> = {}) {
  const cnf = to === null ? {} : { cnf: { jkt: await jktOf(to) } }
  return signToken({ sub: 'alice', ...cnf, ...extra }, { alg: 'ES256', key: k.server })
}

/** `Authorization: DPoP` with a proof for GET https://api.example.test/protected, overridable. */
async function dpop(
  k: Keys,
  proof: Partial<DpopProofOptions> = {},
  request: {
    path?: string
    method?: string
    headers?: Record<string, string | string[]>
    accessToken?: string
  } = {},
): Promise<DriverRequest> {
  const accessToken = request.accessToken ?? (await token(k))
  return {
    method: request.method ?? 'GET',
    path: request.path ?? '/protected',
    headers: {
      authorization: `DPoP ${accessToken}`,
      dpop: dpopProof({
        key: k.client,
        htm: request.method ?? 'GET',
        htu: HTU,
        accessToken,
        ...proof,
      }),
      ...request.headers,
    },
  }
}

const bearer = (t: string): DriverRequest => ({
  path: '/protected',
  headers: { authorization: `Bearer ${t}` },
})

const mapProof = (r: DriverRequest, f: (proof: string) => string): DriverRequest => ({
  ...r,
  headers: { ...r.headers, dpop: f(r.headers?.dpop as string) },
})

const scenarios: Scenario[] = [
  // ── valid proofs (RFC 9449 §4.2, §7.1) ──────────────────────────────────────────────────────
  {
    name: 'DPoP token with a valid ES256 proof (§7.1)',
    setup: 'allowed',
    request: (k) => dpop(k),
    expect: ok,
  },
  {
    name: 'an EdDSA proof key (§4.2)',
    setup: 'allowed',
    request: async (k) => dpop(k, { key: k.eddsa }, { accessToken: await token(k, k.eddsa) }),
    expect: ok,
  },
  {
    name: 'POST with htm POST (§4.3 check 8)',
    setup: 'allowed',
    request: (k) => dpop(k, {}, { method: 'POST' }),
    expect: ok,
  },
  {
    name: 'the request query is not part of htu (§4.3 check 9)',
    setup: 'allowed',
    request: (k) => dpop(k, {}, { path: '/protected?page=2' }),
    expect: ok,
  },
  {
    name: 'htu normalised: host case and default port (RFC 3986 §6.2.2, §6.2.3)',
    setup: 'allowed',
    request: (k) => dpop(k, { htu: 'https://API.Example.TEST:443/protected' }),
    expect: ok,
  },
  {
    name: 'the DPoP scheme is case-insensitive',
    setup: 'required',
    request: async (k) => {
      const r = await dpop(k)
      return {
        ...r,
        headers: {
          ...r.headers,
          authorization: (r.headers!.authorization as string).replace('DPoP', 'dpop'),
        },
      }
    },
    expect: ok,
  },
  {
    name: 'an unbound Bearer token still passes when DPoP is allowed',
    setup: 'allowed',
    request: async (k) => bearer(await token(k, null)),
    expect: ok,
  },

  // ── every broken proof field (§4.3) ──────────────────────────────────────────────────────────
  {
    name: 'no DPoP header with the DPoP scheme (§7.1)',
    setup: 'allowed',
    request: async (k) => {
      const { dpop: _proof, ...headers } = (await dpop(k)).headers!
      return { path: '/protected', headers }
    },
    expect: proofError(),
  },
  {
    name: 'two DPoP header lines (§4.3 check 1)',
    setup: 'allowed',
    request: async (k) => {
      const r = await dpop(k)
      return {
        ...r,
        headers: { ...r.headers, dpop: [r.headers!.dpop as string, r.headers!.dpop as string] },
      }
    },
    expect: proofError(),
  },
  {
    name: 'typ missing (§4.3 check 4)',
    setup: 'allowed',
    request: (k) => dpop(k, { header: { typ: undefined } }),
    expect: proofError(),
  },
  {
    name: 'typ JWT (§11.5: a JWT of another kind)',
    setup: 'allowed',
    request: (k) => dpop(k, { header: { typ: 'JWT' } }),
    expect: proofError(),
  },
  {
    name: 'alg none (§4.3 check 5, §11.6)',
    setup: 'allowed',
    request: async (k) =>
      mapProof(await dpop(k), () =>
        unsecuredJws(
          { jti: 'n', htm: 'GET', htu: HTU, iat: Math.floor(Date.now() / 1000) },
          'none',
          {
            typ: 'dpop+jwt',
          },
        ),
      ),
    expect: proofError(),
  },
  {
    name: 'alg HS256, symmetric (§4.2, §11.6)',
    setup: 'allowed',
    request: (k) =>
      dpop(k, {
        header: { alg: 'HS256', jwk: k.hmac.publicJwk },
        signAlg: 'HS256',
        signKey: k.hmac.secret,
      }),
    expect: proofError(),
  },
  {
    name: 'jwk missing (§4.2)',
    setup: 'allowed',
    request: (k) => dpop(k, { header: { jwk: undefined } }),
    expect: proofError(),
  },
  {
    name: 'jwk carrying the private key (§4.3 check 7)',
    setup: 'allowed',
    request: (k) => dpop(k, { header: { jwk: k.client.privateJwk } }),
    expect: proofError(),
  },
  {
    name: 'signature that does not verify with the jwk (§4.3 check 6)',
    setup: 'allowed',
    request: async (k) => mapProof(await dpop(k), (p) => flipBit(p, 2)),
    expect: proofError(),
  },
  {
    name: 'htm of another method (§4.3 check 8)',
    setup: 'allowed',
    request: (k) => dpop(k, { htm: 'DELETE' }),
    expect: proofError(),
  },
  {
    name: 'htu of another URL on this API (§4.3 check 9)',
    setup: 'allowed',
    request: (k) => dpop(k, { htu: `${PUBLIC}/admin` }),
    expect: proofError(),
  },
  {
    name: 'htu with a query and fragment: ignored when comparing (§4.3 check 9)',
    setup: 'allowed',
    request: (k) => dpop(k, { htu: `${HTU}?x=1#s` }, { path: '/protected?x=1' }),
    expect: ok,
  },
  {
    name: 'htu of another path with the request query (§4.3 check 9)',
    setup: 'allowed',
    request: (k) => dpop(k, { htu: `${PUBLIC}/admin?x=1#s` }, { path: '/protected?x=1' }),
    expect: proofError(),
  },
  {
    name: 'htu on another port (RFC 3986 §6.2.3)',
    setup: 'allowed',
    request: (k) => dpop(k, { htu: 'https://api.example.test:8443/protected' }),
    expect: proofError(),
  },
  {
    name: 'iat older than maxAge (§11.1)',
    setup: 'allowed',
    request: (k) => dpop(k, { iat: Math.floor(Date.now() / 1000) - 3600 }),
    expect: proofError(),
  },
  {
    name: 'iat in the future (§11.1)',
    setup: 'allowed',
    request: (k) => dpop(k, { iat: Math.floor(Date.now() / 1000) + 3600 }),
    expect: proofError(),
  },
  {
    name: 'jti missing (§4.2)',
    setup: 'allowed',
    request: (k) => dpop(k, { claims: { jti: undefined } }),
    expect: proofError(),
  },
  {
    name: 'ath of another access token (§4.3 check 12)',
    setup: 'allowed',
    request: async (k) => {
      const r = await dpop(k)
      return {
        ...r,
        headers: { ...r.headers, authorization: `DPoP ${await token(k, k.client, { n: 2 })}` },
      }
    },
    expect: proofError(),
  },
  {
    name: 'ath missing (§7)',
    setup: 'allowed',
    request: (k) => dpop(k, { claims: { ath: undefined } }),
    expect: proofError(),
  },
  {
    name: "cnf.jkt of another key than the proof's (§6.1)",
    setup: 'allowed',
    request: async (k) => dpop(k, {}, { accessToken: await token(k, k.other) }),
    expect: { status: 401, code: 'claim_invalid', challenge: onDpop('invalid_token') },
  },
  {
    name: 'a replayed proof (§11.1)',
    setup: 'allowed',
    request: (k) => dpop(k),
    twice: true,
    expect: proofError(),
  },

  // ── the Bearer scheme (§7.2) ─────────────────────────────────────────────────────────────────
  {
    name: 'a DPoP-bound token sent as plain Bearer is refused (§7.2)',
    setup: 'allowed',
    request: async (k) => bearer(await token(k)),
    expect: { status: 401, code: 'dpop_required', challenge: onBearer('invalid_token') },
  },
  {
    name: 'a Bearer token where DPoP is required',
    setup: 'required',
    request: async (k) => bearer(await token(k, null)),
    expect: { status: 401, code: 'dpop_required', challenge: onDpop('invalid_token', false) },
  },
  {
    name: 'no token where DPoP is required: a DPoP challenge with algs (§7.1)',
    setup: 'required',
    request: async () => ({ path: '/protected' }),
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: `DPoP realm="${REALM}", algs="${ALGS}"`,
    },
  },
  {
    name: 'no token where DPoP is allowed: Bearer and DPoP challenges (§7.2 Figure 17)',
    setup: 'allowed',
    request: async () => ({ path: '/protected' }),
    expect: {
      status: 401,
      code: 'token_missing',
      challenge: `Bearer realm="${REALM}", DPoP realm="${REALM}", algs="${ALGS}"`,
    },
  },
  {
    name: 'DPoP disabled: the DPoP scheme is not a bearer token',
    setup: 'disabled',
    request: (k) => dpop(k),
    expect: { status: 401, code: 'token_missing', challenge: `Bearer realm="${REALM}"` },
  },

  // ── the request URL is never taken from a spoofable Host or X-Forwarded-* (§4.3 check 9) ──────
  {
    name: "a spoofed Host: a proof for the attacker's URL is refused",
    setup: 'allowed',
    request: (k) =>
      dpop(k, { htu: 'http://evil.example/protected' }, { headers: { host: 'evil.example' } }),
    expect: proofError(),
  },
  {
    name: 'a spoofed Host does not move the configured origin',
    setup: 'allowed',
    request: (k) => dpop(k, {}, { headers: { host: 'evil.example' } }),
    expect: ok,
  },
  {
    name: 'spoofed X-Forwarded-Proto/Host without trustProxy are ignored',
    setup: 'allowed',
    request: (k) =>
      dpop(
        k,
        { htu: 'https://evil.example/protected' },
        {
          headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
        },
      ),
    expect: proofError(),
  },
  {
    name: 'trustProxy: X-Forwarded-Proto and X-Forwarded-Host define the URL',
    setup: 'proxy',
    request: (k) =>
      dpop(
        k,
        { htu: 'https://public.example.test/protected' },
        {
          headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example.test' },
        },
      ),
    expect: ok,
  },
  {
    name: 'trustProxy: without forwarded headers, the request scheme and Host',
    setup: 'proxy',
    request: (k) => dpop(k, { htu: 'http://api.example.test/protected' }),
    expect: ok,
  },
  {
    name: 'trustProxy: a proof for another host than the forwarded one',
    setup: 'proxy',
    request: (k) =>
      dpop(
        k,
        { htu: HTU },
        {
          headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example.test' },
        },
      ),
    expect: proofError('proxy'),
  },
]

// ── runner ─────────────────────────────────────────────────────────────────────────────────────
let keys: Keys
beforeAll(async () => {
  const [server, client, other, eddsa, hmac] = await Promise.all([
    keysFor('ES256', { kid: 'dpop-server' }),
    keysFor('ES256', { label: 'dpop-client' }),
    keysFor('ES256', { label: 'dpop-other' }),
    keysFor('EdDSA', { label: 'dpop-client' }),
    keysFor('HS256', { label: 'dpop-client' }),
  ])
  keys = { server, client, other, eddsa, hmac }
})

class Apps {
  readonly #apps = new Map<string, Promise<RunningApp>>()
  get(driver: Driver, setup: Setup): Promise<RunningApp> {
    const id = `${driver.name} ${setup}`
    let app = this.#apps.get(id)
    if (!app) this.#apps.set(id, (app = driver.start({ options: SETUPS[setup](keys) })))
    return app
  }
  async closeAll(): Promise<void> {
    await Promise.all([...this.#apps.values()].map(async (a) => (await a).close()))
  }
}
const apps = new Apps()
afterAll(() => apps.closeAll())

async function answer(
  driver: Driver,
  scenario: Scenario,
  request: DriverRequest,
): Promise<DriverResponse> {
  const app = await apps.get(driver, scenario.setup)
  const first = await app.request(request)
  return scenario.twice ? app.request(request) : first
}

function check(res: DriverResponse, scenario: Scenario): void {
  const want = scenario.expect
  expect(res.status, scenario.name).toBe(want.status)
  if (!('code' in want)) {
    expect(res.headers['www-authenticate']).toBeUndefined()
    const body = res.body as ProtectedBody
    expect(body.source).toBe('header')
    expect(body.payload?.sub).toBe(want.sub)
    return
  }
  const body = res.body as Record<string, unknown>
  expect(body.code).toBe(want.code)
  expect(body.error).toBe(CODE_TABLE[want.code].error)
  expect(res.headers['content-type']).toBe('application/json')
  expect(res.headers['cache-control']).toBe('no-store')
  if (typeof want.challenge === 'string')
    expect(res.headers['www-authenticate']).toBe(want.challenge)
  else expect(res.headers['www-authenticate']).toMatch(want.challenge)
}

it('has a unique name per scenario', () => {
  expect(new Set(scenarios.map((s) => s.name)).size).toBe(scenarios.length)
})

describe('DPoP on every driver, answers identical across drivers', () => {
  it.each(scenarios)('$name', async (scenario) => {
    // One request for every driver: the same bytes, each app seeing its proof for the first time.
    const request = await scenario.request(keys)
    const answers = await Promise.all(drivers.map((driver) => answer(driver, scenario, request)))
    answers.forEach((res) => check(res, scenario))
    const [reference, ...rest] = answers.map(comparable)
    rest.forEach((other, i) => expect(other, drivers[i + 1]!.name).toEqual(reference))
  })
})

describe('DPoP in workerd (Hono through miniflare), identical to Hono on Node', () => {
  it.each(scenarios)('$name', async (scenario) => {
    const request = await scenario.request(keys)
    const [onWorkers, onNode] = await Promise.all([
      answer(workersDriver, scenario, request),
      answer(honoDriver, scenario, request),
    ])
    check(onWorkers, scenario)
    expect(comparable(onWorkers)).toEqual(comparable(onNode))
  })
})
