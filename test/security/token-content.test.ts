// Token content is never reflected (issue 12 "Also"): an alg, kid, typ, header member, claim or
// decrypted plaintext carrying a unique marker is refused with its code, and the marker appears
// nowhere in the response (body, WWW-Authenticate, any header), on every driver and in workerd.
import type { AuthenticatorOptions, AuthErrorCode } from '@tokengate/core'
import { dirJwe, forgedJwe, raw, signJws } from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { drivers } from '../support/drivers.js'
import type { DriverRequest, RunningApp } from '../support/drivers.js'
import { allDrivers } from '../support/workers.js'
import {
  bearer,
  buildFixtures,
  claims,
  profileOptions,
  type Fixtures,
  type Profile,
} from './cases.js'
import { leaksIn } from './support/leaks.js'

const MARKER = 'zq7Mark3r'
/** The marker as text, and in the forms a renderer might produce (upper/lower case). */
const NEEDLES = [MARKER, MARKER.toLowerCase(), MARKER.toUpperCase()]

type Setup = Profile | 'unsigned-dir'
interface ContentCase {
  name: string
  ref: string
  setup: Setup
  request: (fx: Fixtures) => DriverRequest
  code: AuthErrorCode
}

const octJwk = (secret: Uint8Array) => ({
  kty: 'oct',
  k: Buffer.from(secret).toString('base64url'),
})

function options(setup: Setup, fx: Fixtures): AuthenticatorOptions {
  if (setup !== 'unsigned-dir') return profileOptions(setup, fx)
  const base = profileOptions('jwe-dir', fx)
  return {
    ...base,
    decrypt: {
      keys: octJwk(fx.dirKey),
      keyManagementAlgorithms: ['dir'],
      allowUnsignedPayload: true,
    },
  }
}

const rs = (fx: Fixtures, payload: unknown, header: Record<string, unknown> = {}) =>
  signJws(
    'RS256',
    fx.rsa.privateKey,
    { alg: 'RS256', typ: 'JWT', kid: fx.rsa.kid, ...header },
    payload,
  )
const es = (fx: Fixtures, payload: unknown, header: unknown = { alg: 'ES256', kid: fx.ec.kid }) =>
  signJws('ES256', fx.ec.privateKey, header, payload)

const cases: ContentCase[] = [
  {
    name: 'JWS alg is the marker',
    ref: 'RFC 8725 §3.1',
    setup: 'rs',
    request: (fx) => bearer(signJws('RS256', fx.rsa.privateKey, { alg: MARKER }, claims(fx))),
    code: 'alg_not_allowed',
  },
  {
    name: 'JWS alg is the marker (JWKS profile)',
    ref: 'RFC 8725 §3.1',
    setup: 'jwks',
    request: (fx) =>
      bearer(signJws('RS256', fx.rsa.privateKey, { alg: `RS${MARKER}` }, claims(fx))),
    code: 'alg_not_allowed',
  },
  {
    name: 'JWS kid is the marker (no such key)',
    ref: 'RFC 7515 §4.1.4',
    setup: 'jwks',
    request: (fx) => bearer(rs(fx, claims(fx), { kid: MARKER })),
    code: 'key_not_found',
  },
  {
    name: 'JWS typ is the marker where at+jwt is required',
    ref: 'RFC 9068 §4, RFC 8725 §3.11',
    setup: 'typ',
    request: (fx) => bearer(es(fx, claims(fx), { alg: 'ES256', kid: fx.ec.kid, typ: MARKER })),
    code: 'claim_invalid',
  },
  {
    name: 'JWS crit names the marker',
    ref: 'RFC 7515 §4.1.11',
    setup: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx), { crit: [MARKER], [MARKER]: 1 })),
    code: 'token_malformed',
  },
  {
    name: 'JWS iss is the marker (genuine signature)',
    ref: 'RFC 7519 §4.1.1',
    setup: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { iss: MARKER }))),
    code: 'claim_invalid',
  },
  {
    name: 'JWS payload is not JSON and starts with the marker (genuine signature)',
    ref: 'RFC 7519 §7.2 step 10',
    setup: 'rs',
    request: (fx) => bearer(rs(fx, raw(`${MARKER}{`))),
    code: 'token_malformed',
  },
  {
    name: 'JWE alg is the marker',
    ref: 'RFC 7516 §4.1.1',
    setup: 'jwe',
    request: () => bearer(forgedJwe({ alg: MARKER, enc: 'A256GCM' })),
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE enc is the marker',
    ref: 'RFC 7516 §4.1.2',
    setup: 'jwe',
    request: () => bearer(forgedJwe({ alg: 'RSA-OAEP-256', enc: MARKER })),
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE kid is the marker (no such key)',
    ref: 'RFC 7516 §4.1.6',
    setup: 'jwe',
    request: () =>
      bearer(
        forgedJwe(
          { alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: MARKER },
          { key: 256, iv: 12, ciphertext: 48, tag: 16 },
        ),
      ),
    code: 'key_not_found',
  },
  {
    name: 'decrypted plaintext is not JSON and carries the marker (unsigned payload allowed)',
    ref: 'RFC 7519 §7.2 step 8',
    setup: 'unsigned-dir',
    request: (fx) => bearer(dirJwe(fx.dirKey, `${MARKER} is not JSON {`)),
    code: 'token_malformed',
  },
  {
    name: 'decrypted plaintext is a JSON syntax error after the marker (unsigned payload allowed)',
    ref: 'RFC 7519 §7.2 step 8',
    setup: 'unsigned-dir',
    request: (fx) => bearer(dirJwe(fx.dirKey, `{"sub":"${MARKER}",}`)),
    code: 'token_malformed',
  },
  {
    name: 'nested: the inner token (decrypted plaintext) has a payload that is not JSON',
    ref: 'RFC 7519 §5.2, §7.2',
    setup: 'jwe-dir',
    request: (fx) => bearer(dirJwe(fx.dirKey, es(fx, raw(`${MARKER}x`)))),
    code: 'token_malformed',
  },
  {
    name: 'nested: the inner token has a header that is not JSON',
    ref: 'RFC 7515 §4, RFC 7519 §5.2',
    setup: 'jwe-dir',
    request: (fx) => bearer(dirJwe(fx.dirKey, es(fx, claims(fx), raw(`${MARKER}{`)))),
    code: 'token_malformed',
  },
  {
    name: 'nested: the inner token names the marker as its alg',
    ref: 'RFC 8725 §3.1',
    setup: 'jwe-dir',
    request: (fx) => bearer(dirJwe(fx.dirKey, es(fx, claims(fx), { alg: MARKER }))),
    code: 'alg_not_allowed',
  },
]

let fx: Fixtures
beforeAll(async () => {
  fx = await buildFixtures('http://127.0.0.1:9')
})

describe.each(allDrivers)('token content is never reflected on $name', (driver) => {
  const apps = new Map<Setup, RunningApp>()
  beforeAll(async () => {
    for (const setup of new Set(cases.map((c) => c.setup)))
      apps.set(setup, await driver.start({ options: options(setup, fx) }))
  })
  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => app.close()))
  })

  it.each(cases)('$name ($ref)', async (c) => {
    const response = await apps.get(c.setup)!.request(c.request(fx))
    const body = response.body as { code?: unknown }
    expect({ status: response.status, code: body.code }).toEqual({ status: 401, code: c.code })
    expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/)
    expect(leaksIn(response, NEEDLES)).toEqual([])
  })
})

// A claims schema's failing path names what the app's schema declares; a key the token chose (a
// record's key, a catchall member) is not printed: `claim perms.* fails the claims schema`.
// Zod schemas are functions, not JSON: Node drivers only.
const schemaCases: Array<{
  name: string
  schema: () => z.ZodType
  extra: Record<string, unknown>
}> = [
  {
    name: 'a z.record value of the wrong type under a key the token chose',
    schema: () => z.object({ sub: z.string(), perms: z.record(z.string(), z.boolean()) }),
    extra: { perms: { [MARKER]: 1 } },
  },
  {
    name: 'a z.record key the key schema refuses',
    schema: () => z.object({ sub: z.string(), perms: z.record(z.enum(['read']), z.boolean()) }),
    extra: { perms: { [MARKER]: true } },
  },
  {
    name: 'a record nested in an array, under an optional object',
    schema: () =>
      z.object({
        sub: z.string(),
        org: z.object({ teams: z.array(z.record(z.string(), z.number())) }).optional(),
      }),
    extra: { org: { teams: [{ ok: 1 }, { [MARKER]: 'x' }] } },
  },
]

describe.each(drivers)(
  'a claims schema path never names a key the token chose on $name',
  (driver) => {
    const apps: RunningApp[] = []
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()))
    })

    it.each(schemaCases)('$name', async (c) => {
      const app = await driver.start({
        options: { ...profileOptions('rs', fx), claims: c.schema() },
      })
      apps.push(app)
      const response = await app.request(bearer(rs(fx, claims(fx, c.extra))))
      const body = response.body as { code?: unknown }
      expect({ status: response.status, code: body.code }).toEqual({
        status: 401,
        code: 'claim_invalid',
      })
      expect(response.headers['www-authenticate']).toMatch(/^Bearer\b.*fails the claims schema/)
      expect(leaksIn(response, NEEDLES)).toEqual([])
    })
  },
)
