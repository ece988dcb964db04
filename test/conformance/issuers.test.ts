// Several issuers through every adapter: an HS256 issuer and an ES256 issuer whose keys come from a
// JWKS server on 127.0.0.1 that counts its hits. The token's iss picks the keys; an unlisted issuer
// is refused before any fetch (the server sees zero requests until a token of its issuer arrives).
import type { AuthErrorCode, AuthenticatorOptions } from '@tokengate/core'
import { CODE_TABLE } from '@tokengate/core'
import { keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  drivers,
  type DriverRequest,
  type DriverResponse,
  type ProtectedBody,
  type RunningApp,
} from '../support/drivers.js'
import { startJwksServer, type JwksServer } from '../security/support/jwks-server.js'
import { comparable } from './harness.js'

const A = 'https://tenant-a.example.test' // HS256, a shared secret (as a JWK)
const B = 'https://tenant-b.example.test' // ES256, keys from the local JWKS server
const AUDIENCE = 'api://issuers'
const REALM = 'issuers'

let hs: TestKeys
let es: TestKeys
let stranger: TestKeys
let jwks: JwksServer
let apps: Array<[string, RunningApp]>

beforeAll(async () => {
  ;[hs, es, stranger] = await Promise.all([
    keysFor('HS256', { kid: 'tenant-a' }),
    keysFor('ES256', { kid: 'tenant-b' }),
    keysFor('ES256', { kid: 'tenant-b', label: 'stranger' }),
  ])
  jwks = await startJwksServer({ keys: [es.publicJwk] })
  const options: AuthenticatorOptions = {
    issuers: [
      { issuer: A, key: hs.publicJwk, algorithms: ['HS256'] },
      { issuer: B, key: { jwksUri: jwks.jwksUri, timeout: '2s' }, algorithms: ['ES256'] },
    ],
    audience: AUDIENCE,
    realm: REALM,
  }
  apps = await Promise.all(
    drivers.map(async (d) => [d.name, await d.start({ options })] as [string, RunningApp]),
  )
})
afterAll(async () => {
  await Promise.all((apps ?? []).map(([, app]) => app.close()))
  await jwks?.close()
})

const token = (iss: string | undefined, key: TestKeys, alg = key.alg) =>
  signToken({ sub: 'alice', aud: AUDIENCE, ...(iss !== undefined && { iss }) }, { alg, key })
const bearer = (t: string): DriverRequest => ({
  path: '/protected',
  headers: { authorization: `Bearer ${t}` },
})

type Expect = { status: 200; iss: string } | { status: 401; code: AuthErrorCode }
interface Scenario {
  name: string
  token(): Promise<string>
  expect: Expect
}

/** Sends one request to every driver, checks each answer, and compares them with each other. */
async function everywhere(scenario: Scenario): Promise<void> {
  const request = bearer(await scenario.token())
  const answers = await Promise.all(apps.map(([, app]) => app.request(request)))
  answers.forEach((res) => check(res, scenario.expect))
  const [reference, ...rest] = answers.map(comparable)
  rest.forEach((other, i) => expect(other, apps[i + 1]![0]).toEqual(reference))
}

function check(res: DriverResponse, want: Expect): void {
  expect(res.status).toBe(want.status)
  if ('iss' in want) {
    expect((res.body as ProtectedBody).payload?.iss).toBe(want.iss)
    return
  }
  const body = res.body as Record<string, unknown>
  expect(body.code).toBe(want.code)
  expect(body.error).toBe(CODE_TABLE[want.code].error)
  expect(res.headers['www-authenticate']).toMatch(
    new RegExp(`^Bearer realm="${REALM}", error="invalid_token", error_description="[^"]+"$`),
  )
}

// Run in order: everything before the first B token must leave the JWKS server untouched.
const beforeAnyFetch: Scenario[] = [
  {
    name: 'a token of issuer A (HS256) passes',
    token: () => token(A, hs),
    expect: { status: 200, iss: A },
  },
  {
    name: 'an unlisted issuer: 401 issuer_unknown (RFC 8725 §3.8)',
    token: () => token('https://evil.example', stranger),
    expect: { status: 401, code: 'issuer_unknown' },
  },
  {
    name: 'a token without iss: 401 issuer_unknown',
    token: () => token(undefined, es),
    expect: { status: 401, code: 'issuer_unknown' },
  },
  {
    name: "iss A on a token signed ES256 by B's key: A allows only HS256 (RFC 8725 §3.1)",
    token: () => token(A, es),
    expect: { status: 401, code: 'alg_not_allowed' },
  },
]
const afterFetch: Scenario[] = [
  {
    name: 'a token of issuer B (ES256, keys from the JWKS server) passes',
    token: () => token(B, es),
    expect: { status: 200, iss: B },
  },
  {
    name: "iss B signed HS256 with A's secret: no cross-issuer algorithm confusion",
    token: () => token(B, hs),
    expect: { status: 401, code: 'alg_not_allowed' },
  },
  {
    name: "iss B signed by a stranger's key with B's kid",
    token: () => token(B, stranger),
    expect: { status: 401, code: 'signature_invalid' },
  },
  {
    name: 'an unlisted issuer, also after keys were fetched',
    token: () => token('https://evil.example', stranger),
    expect: { status: 401, code: 'issuer_unknown' },
  },
]

describe('several issuers on every driver', () => {
  it.each(beforeAnyFetch)('$name', async (scenario) => {
    await everywhere(scenario)
    expect(jwks.hits, 'JWKS requests before any token of B').toBe(0)
  })

  it.each(afterFetch)('$name', async (scenario) => {
    await everywhere(scenario)
    // One fetch per app (each driver runs its own authenticator), never one per request.
    expect(jwks.hits).toBe(apps.length)
    expect(jwks.strayHits + jwks.discoveryHits).toBe(0)
  })
})
