// Policy under attack through every adapter: throwing claim schemas, broken revocation answers,
// revocation-store exhaustion by one subject, and logout when the schema drops jti/exp.
// Node drivers only: these options hold functions and zod schemas, which the workerd driver
// cannot carry, and none of this depends on the runtime (no crypto, no platform API).
import {
  CODE_TABLE,
  createAuthenticator,
  createMemoryRevocationStore,
  type AuthContext,
  type Authenticator,
  type AuthenticatorOptions,
  type AuthErrorCode,
  type RevocationStore,
} from '@tokengate/core'
import {
  clientCertHeader,
  dpopProof,
  jktOf,
  keysFor,
  makePki,
  signJws,
  type TestKeys,
  type TestPki,
} from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  ORIGIN,
  drivers,
  type DriverRequest,
  type DriverResponse,
  type RunningApp,
} from '../support/drivers.js'

const ISSUER = 'https://issuer.example.test/'
/** Put in the claims: it must never come back in a response (SECURITY.md, "Errors": never the token, a key or a secret). */
const MARKER = 'claims-marker-8c1f'

let issuer: TestKeys
let client: TestKeys
let jkt: string
let pki: TestPki
const now = () => Math.floor(Date.now() / 1000)
let jtiCounter = 0

beforeAll(async () => {
  ;[issuer, client] = await Promise.all([
    keysFor('ES256', { label: 'policy-issuer' }),
    keysFor('ES256', { label: 'policy-client' }),
  ])
  jkt = await jktOf(client)
  pki = makePki()
})

const token = (claims: Record<string, unknown> = {}) =>
  signJws(
    'ES256',
    issuer.privateKey as CryptoKey,
    { alg: 'ES256', typ: 'JWT' },
    {
      iss: ISSUER,
      sub: MARKER,
      iat: now(),
      exp: now() + 600,
      jti: `jti-${++jtiCounter}`,
      ...claims,
    },
  )

const base = (): AuthenticatorOptions<any> => ({
  algorithms: ['ES256'],
  key: issuer.publicJwk,
  issuer: ISSUER,
})

const bearer = (t: string) => ({ path: '/protected', headers: { authorization: `Bearer ${t}` } })

function outcome(response: DriverResponse): { status: number; code: string | undefined } {
  return { status: response.status, code: (response.body as { code?: string }).code }
}

const expected = (code: AuthErrorCode) => ({ status: CODE_TABLE[code].status, code })

/** The authenticator the app runs, with every context it hands out kept (for revoke(ctx)). */
function capturing(options: AuthenticatorOptions<any>) {
  const real = createAuthenticator(options)
  const seen: AuthContext<unknown>[] = []
  const authenticator: Authenticator<any> = {
    realm: real.realm,
    async authenticate(request) {
      const ctx = await real.authenticate(request)
      if (ctx) seen.push(ctx)
      return ctx
    },
    // The adapters call attempt(): a wrapper forwards it too.
    async attempt(request) {
      const result = await real.attempt(request)
      if (result.context) seen.push(result.context)
      return result
    },
    revoke: (ctx) => real.revoke(ctx),
  }
  return { authenticator, seen }
}

// --- Issue 12 item 5: a throwing schema is the app refusing the claims, not a 500 ---------------

interface SchemaCase {
  name: string
  ref: string
  schema: () => z.ZodType
  code: AuthErrorCode | 'ok'
}

const leak = (value: unknown) => new Error(`rejected ${JSON.stringify(value)}`)

const schemaCases: SchemaCase[] = [
  {
    name: 'a transform that throws an Error quoting the claims',
    ref: 'issue 12 item 5, SECURITY.md Errors',
    schema: () =>
      z.object({ sub: z.string() }).transform((c) => {
        throw leak(c)
      }),
    code: 'claim_invalid',
  },
  {
    name: 'a refine that throws',
    ref: 'issue 12 item 5',
    schema: () =>
      z.object({ sub: z.string() }).refine((c) => {
        throw leak(c)
      }),
    code: 'claim_invalid',
  },
  {
    name: 'a superRefine that throws',
    ref: 'issue 12 item 5',
    schema: () =>
      z.object({ sub: z.string() }).superRefine((c) => {
        throw leak(c)
      }),
    code: 'claim_invalid',
  },
  {
    name: 'a transform that throws a string, not an Error',
    ref: 'issue 12 item 5',
    schema: () =>
      z.object({ sub: z.string() }).transform((c) => {
        throw `rejected ${c.sub}`
      }),
    code: 'claim_invalid',
  },
  {
    name: 'an async refine that rejects (parsed with safeParseAsync)',
    ref: 'issue 12 item 5',
    schema: () =>
      z.object({ sub: z.string() }).refine(async (c) => {
        await Promise.resolve()
        throw leak(c)
      }),
    code: 'claim_invalid',
  },
  {
    name: 'an async transform that rejects',
    ref: 'issue 12 item 5',
    schema: () =>
      z.object({ sub: z.string() }).transform(async (c) => {
        await Promise.resolve()
        throw leak(c)
      }),
    code: 'claim_invalid',
  },
  {
    name: 'an async refine that answers false',
    ref: 'issue 12 item 5',
    schema: () => z.object({ sub: z.string() }).refine(async (c) => c.sub === 'someone else'),
    code: 'claim_invalid',
  },
  {
    name: 'an async refine that answers true (control)',
    ref: 'issue 12 item 5',
    schema: () => z.object({ sub: z.string() }).refine(async (c) => c.sub === MARKER),
    code: 'ok',
  },
]

// --- Issue 12 item 6: only true and false are answers -------------------------------------------

const brokenAnswers: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['the string "false"', 'false'],
  ['the string "true"', 'true'],
  ['the number 0', 0],
  ['the number 1', 1],
  ['an object', {}],
  ['a Promise of undefined', Promise.resolve(undefined)],
  ['a Promise of null', Promise.resolve(null)],
  ['a Promise of "false"', Promise.resolve('false')],
  ['a Promise of 0', Promise.resolve(0)],
]

const answerCases: { name: string; answer: () => unknown; code: AuthErrorCode | 'ok' }[] = [
  ...brokenAnswers.map(([name, value]) => ({
    name: `answers ${name}`,
    // A settled Promise is reusable; each request still gets the same value.
    answer: () => value,
    code: 'revocation_unavailable' as const,
  })),
  { name: 'answers true', answer: () => true, code: 'token_revoked' },
  { name: 'answers a Promise of true', answer: () => Promise.resolve(true), code: 'token_revoked' },
  { name: 'answers false (control)', answer: () => false, code: 'ok' },
  {
    name: 'answers a Promise of false (control)',
    answer: () => Promise.resolve(false),
    code: 'ok',
  },
]

// Sync-first parsing (the code before this fix) abandoned the Promise of an async refine, which
// then rejected unhandled: on Node, the end of the process.
it('a rejecting async refine leaves no unhandled rejection behind (issue 12 item 5)', async () => {
  const unhandled: unknown[] = []
  const listener = (reason: unknown) => void unhandled.push(reason)
  process.on('unhandledRejection', listener)
  try {
    const authenticator = createAuthenticator({
      ...base(),
      claims: z.object({ sub: z.string() }).refine(async (c) => {
        throw leak(c)
      }),
    })
    const request = {
      method: 'GET',
      url: '/protected',
      headers: { authorization: `Bearer ${token()}` },
    }
    await expect(authenticator.authenticate(request)).rejects.toMatchObject({
      code: 'claim_invalid',
    })
    // Unhandled rejections are reported after a macrotask turn.
    await new Promise((r) => setTimeout(r, 50))
  } finally {
    process.off('unhandledRejection', listener)
  }
  expect(unhandled).toEqual([])
})

describe.each(drivers)('policy on $name', (driver) => {
  const apps: RunningApp[] = []
  const start = async (options: AuthenticatorOptions<any> | Authenticator<any>) => {
    const app = await driver.start({ options })
    apps.push(app)
    return app
  }

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
  })

  it.each(schemaCases)('claims schema: $name ($ref)', async (c) => {
    const app = await start({ ...base(), claims: c.schema() })
    const response = await app.request(bearer(token()))
    if (c.code === 'ok') {
      expect(response.status).toBe(200)
      return
    }
    expect(outcome(response)).toEqual(expected(c.code))
    // Neither the claims nor the thrown message reach the client.
    expect(response.text).not.toContain(MARKER)
    expect(JSON.stringify(response.headers)).not.toContain(MARKER)
    expect(response.text).not.toContain('rejected')
  })

  it.each(answerCases)(
    'isRevoked hook $name (issue 12 item 6: fail closed)',
    async ({ answer, code }) => {
      const app = await start({ ...base(), isRevoked: () => answer() as boolean })
      const response = await app.request(bearer(token()))
      expect(code === 'ok' ? { status: response.status } : outcome(response)).toEqual(
        code === 'ok' ? { status: 200 } : expected(code),
      )
    },
  )

  it.each(answerCases)(
    "revocation store's isRevoked $name (issue 12 item 6: fail closed)",
    async ({ answer, code }) => {
      const store: RevocationStore<any> = {
        isRevoked: () => answer() as boolean,
        revoke: () => undefined,
      }
      const app = await start({ ...base(), revocation: store })
      const response = await app.request(bearer(token()))
      expect(code === 'ok' ? { status: response.status } : outcome(response)).toEqual(
        code === 'ok' ? { status: 200 } : expected(code),
      )
    },
  )

  // Issue 21 item 4: the app's schema strips jti and exp; logout must still work. Each sender
  // constraint hands out a context of its own (ctx.dpop, ctx.mtls), which must still be revocable.
  it.each([
    { name: 'a plain Bearer token', dpop: false, mtls: false },
    { name: 'a DPoP-bound token (RFC 9449 §6.1)', dpop: true, mtls: false },
    {
      name: "a certificate-bound token (RFC 8705 §3, a trusted proxy's Client-Cert, RFC 9440)",
      dpop: false,
      mtls: true,
    },
  ])('revoke(ctx) with a schema that drops jti/exp: $name', async ({ dpop, mtls }) => {
    const { authenticator, seen } = capturing({
      ...base(),
      claims: z.object({ sub: z.string() }), // zod objects strip unknown keys: no jti, no exp
      revocation: createMemoryRevocationStore(),
      ...(dpop && { dpop: { mode: 'allowed' as const, origins: [ORIGIN] } }),
      ...(mtls && { mtls: { clientCertHeader: 'client-cert' } }),
    })
    const app = await start(authenticator)
    const t = token(
      dpop ? { cnf: { jkt } } : mtls ? { cnf: { 'x5t#S256': pki.client.x5tS256 } } : {},
    )
    const request = (): DriverRequest =>
      mtls
        ? {
            path: '/protected',
            headers: {
              authorization: `Bearer ${t}`,
              'client-cert': clientCertHeader(pki.client),
            },
          }
        : dpop
          ? {
              path: '/protected',
              headers: {
                authorization: `DPoP ${t}`,
                dpop: dpopProof({
                  key: client,
                  htm: 'GET',
                  htu: `${ORIGIN}/protected`,
                  accessToken: t,
                }),
              },
            }
          : bearer(t)
    expect((await app.request(request())).status).toBe(200)
    const ctx = seen.at(-1)!
    expect(ctx.payload).toEqual({ sub: MARKER })
    expect(ctx.dpop !== undefined).toBe(dpop)
    expect(ctx.mtls !== undefined).toBe(mtls)
    await authenticator.revoke(ctx)
    expect(outcome(await app.request(request()))).toEqual(expected('token_revoked'))
  })

  // Issue 12 item 7: one subject revoking without end must not stop anyone else's logout.
  it('one subject revoking 200 tokens (store max 50) never blocks another subject, and stays refused', async () => {
    const store = createMemoryRevocationStore({ max: 50, maxPerSubject: 10 })
    const { authenticator, seen } = capturing({ ...base(), revocation: store })
    const app = await start(authenticator)
    const start0 = now() - 1000
    const mallory = Array.from({ length: 200 }, (_, i) =>
      token({ sub: 'mallory', iat: start0 + i, jti: `mallory-${i}` }),
    )
    for (const t of mallory) {
      expect((await app.request(bearer(t))).status).toBe(200)
      await authenticator.revoke(seen.at(-1)!)
    }
    expect(store.size).toBeLessThanOrEqual(50)
    // Another user's logout works, and only that token ends.
    const alice = token({ sub: 'alice' })
    const aliceOther = token({ sub: 'alice' })
    expect((await app.request(bearer(alice))).status).toBe(200)
    await authenticator.revoke(seen.at(-1)!)
    expect(outcome(await app.request(bearer(alice)))).toEqual(expected('token_revoked'))
    expect((await app.request(bearer(aliceOther))).status).toBe(200)
    // Every one of mallory's revoked tokens is still refused.
    for (const t of mallory) {
      expect(outcome(await app.request(bearer(t)))).toEqual(expected('token_revoked'))
    }
    // A token issued to mallory after the last revoked one still works.
    expect(await app.request(bearer(token({ sub: 'mallory', iat: now() })))).toMatchObject({
      status: 200,
    })
  })
})
