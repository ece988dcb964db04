// Fuzzing every adapter with fast-check: hostile headers, cookies, token shapes and claims.
// Properties: never a 5xx, every refusal carries a code whose status matches, an accepted token
// really is valid (finite exp in the future), no unhandled rejection, no request hangs.
// FUZZ_RUNS sets the total number of runs (default 10,000, spread over drivers and properties);
// FUZZ_SEED replays a failing run.
import { CODE_TABLE, type AuthErrorCode, type AuthenticatorOptions } from '@tokengate/core'
import { b64url, dirJwe, signJws, raw } from '@tokengate/testkit'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DriverRequest, type DriverResponse, type RunningApp } from '../support/drivers.js'
import { allDrivers } from '../support/workers.js'
import {
  b64urlSegment,
  claimsText,
  cookieHeader,
  headerValue,
  joseHeader,
  repeated,
  scheme,
  separator,
  signedWithSecret,
  tokenShape,
} from './support/arbitraries.js'

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
const PROPERTIES = 5
// Node drivers run the core's node:crypto fast path; workerd (miniflare) runs the portable path.
const ALL_DRIVERS = allDrivers
const RUNS = Math.max(1, Math.floor(TOTAL_RUNS / (ALL_DRIVERS.length * PROPERTIES)))
/** A request that takes longer than this is a hang (generous: 2 shared cores under load). */
const REQUEST_DEADLINE_MS = 10_000
const COOKIE = 'tg'
/** Per-test timeout that grows with the run count (pnpm fuzz runs 10x the default). */
const TEST_TIMEOUT_MS = Math.max(30_000, RUNS * 25)

const secret = new Uint8Array(randomBytes(32))
const jweKey = new Uint8Array(randomBytes(32))

const oct = (bytes: Uint8Array) => ({ kty: 'oct', k: b64url(bytes) })
// Plain JSON (JWKs, not bytes) so that the Workers driver can run the same options.
const options: AuthenticatorOptions = {
  algorithms: ['HS256'],
  key: oct(secret),
  from: { header: true, cookie: COOKIE },
  decrypt: {
    keys: oct(jweKey),
    keyManagementAlgorithms: ['dir', 'A256KW'],
    allowUnsignedPayload: true,
  },
}

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})

afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toEqual([])
  if (process.env.FUZZ_REPORT)
    console.log(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))
  // Not vacuous: with enough runs, tokens are accepted and refused for many different reasons.
  if (RUNS >= 100) {
    expect(outcomes.get('200:-') ?? 0).toBeGreaterThan(0)
    expect([...outcomes.keys()].length).toBeGreaterThanOrEqual(10)
  }
})

async function guarded(app: RunningApp, request: DriverRequest): Promise<DriverResponse> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${REQUEST_DEADLINE_MS} ms`)),
      REQUEST_DEADLINE_MS,
    )
  })
  try {
    return await Promise.race([app.request(request), deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Outcomes seen (status:code), to show the fuzzing reaches both the refusing and accepting paths. */
const outcomes = new Map<string, number>()

/** The invariants every response must hold; throws (fails the property) otherwise. */
function check(response: DriverResponse, now: number): void {
  const seen = `${response.status}:${(response.body as { code?: string } | undefined)?.code ?? '-'}`
  outcomes.set(seen, (outcomes.get(seen) ?? 0) + 1)
  if (response.status >= 500)
    throw new Error(`status ${response.status}: ${response.text.slice(0, 200)}`)
  if (response.status === 200) {
    const payload = (response.body as { payload?: { exp?: unknown } }).payload
    // requireExp is on: anything accepted has a finite exp that has not passed (5 s tolerance).
    if (
      typeof payload?.exp !== 'number' ||
      !Number.isFinite(payload.exp) ||
      payload.exp <= now - 5
    ) {
      throw new Error(`accepted a token with exp ${JSON.stringify(payload?.exp)}`)
    }
    return
  }
  const code = (response.body as { code?: AuthErrorCode } | undefined)?.code
  if (code === undefined) {
    // Only the HTTP server itself may refuse without a code (a header it cannot parse).
    if (response.status !== 400 && response.status !== 431)
      throw new Error(`status ${response.status} without a code`)
    return
  }
  if (CODE_TABLE[code]?.status !== response.status) {
    throw new Error(`code ${code} with status ${response.status}`)
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** A token whose claims are fuzzed but whose signature or encryption is genuine. */
const genuineToken = fc.oneof(
  signedWithSecret(secret),
  claimsText.map((claims) => dirJwe(jweKey, claims)),
  fc
    .tuple(joseHeader, claimsText)
    .map(([header, claims]) =>
      dirJwe(jweKey, signJws('HS256', secret, { ...header, alg: 'HS256' }, raw(claims))),
    ),
)

/** Valid-looking claims with a live exp, so genuine tokens also reach the accepting path. */
const liveClaims = fc
  .record({
    sub: fc.string({ maxLength: 20 }),
    roles: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  })
  .map((c) => ({ ...c, exp: nowSeconds() + 600 }))

/** Live tokens of every accepted kind: plain JWS, nested JWE, encrypted-only JWE (symmetric). */
const liveToken = liveClaims.chain((c) =>
  fc.constantFrom(
    signJws('HS256', secret, { alg: 'HS256' }, c),
    dirJwe(jweKey, signJws('HS256', secret, { alg: 'HS256' }, c)),
    dirJwe(jweKey, JSON.stringify(c)),
  ),
)

/** JWEs that look right (allowed alg and enc) with random or bit-flipped parts. */
const forgedJwe = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('dir', 'A256KW'),
      b64urlSegment,
      b64urlSegment,
      b64urlSegment,
      b64urlSegment,
    )
    .map(([alg, key, iv, ct, tag]) =>
      [b64url({ alg, enc: 'A256GCM' }), alg === 'dir' ? '' : key, iv, ct, tag].join('.'),
    ),
  fc.tuple(liveToken, fc.nat(), fc.nat(7)).map(([token, at, bit]) => {
    const bytes = Buffer.from(token)
    const i = at % bytes.length
    // flip one bit of one character, keeping it in the base64url alphabet when possible
    const flipped = String.fromCharCode((bytes[i] as number) ^ (1 << (bit % 6)))
    return /[A-Za-z0-9_.-]/.test(flipped) ? token.slice(0, i) + flipped + token.slice(i + 1) : token
  }),
)

const anyToken = fc.oneof(
  { weight: 3, arbitrary: tokenShape },
  { weight: 2, arbitrary: genuineToken },
  { weight: 2, arbitrary: liveToken },
  { weight: 1, arbitrary: forgedJwe },
  { weight: 1, arbitrary: headerValue(80) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(joseHeader, b64urlSegment, b64urlSegment, b64urlSegment, b64urlSegment)
      .map(([h, ...rest]) => [b64url(JSON.stringify(h)), ...rest].join('.')),
  },
)

describe.each(ALL_DRIVERS)('fuzz on $name', (driver) => {
  let app: RunningApp
  const params = { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }), endOnFailure: true }

  beforeAll(async () => {
    app = await driver.start({ options })
  })

  afterAll(async () => {
    await app.close()
  })

  it(
    `Authorization: scheme, separator, token (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(repeated(fc.tuple(scheme, separator, anyToken)), async (values) => {
          const headers = values.map(([s, sep, token]) => `${s}${sep}${token}`.trim())
          const response = await guarded(app, {
            path: '/protected',
            headers: { authorization: headers.length === 1 ? (headers[0] as string) : headers },
          })
          check(response, nowSeconds())
        }),
        params,
      )
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `Bearer with genuine signatures over fuzzed headers and claims (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(genuineToken, async (token) => {
          check(
            await guarded(app, {
              path: '/protected',
              headers: { authorization: `Bearer ${token}` },
            }),
            nowSeconds(),
          )
        }),
        params,
      )
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `Cookie headers on safe and unsafe methods, with CSRF headers (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          repeated(cookieHeader(COOKIE, anyToken)),
          fc.constantFrom('GET', 'POST', 'HEAD'),
          fc.record(
            {
              origin: fc.constantFrom(
                'http://api.example.test',
                'https://evil.example',
                'null',
                '',
                'garbage',
              ),
              referer: fc.constantFrom('http://api.example.test/x', 'https://evil.example/', '::'),
              'sec-fetch-site': fc.constantFrom(
                'same-origin',
                'cross-site',
                'same-site',
                'none',
                'bogus',
              ),
            },
            { requiredKeys: [] },
          ),
          async (cookies, method, extra) => {
            const headers: Record<string, string | string[]> = { ...extra }
            headers.cookie = cookies.length === 1 ? (cookies[0] as string) : cookies
            const response = await guarded(app, { method, path: '/protected', headers })
            if (method === 'HEAD') {
              if (response.status >= 500) throw new Error(`HEAD status ${response.status}`)
              return
            }
            check(response, nowSeconds())
          },
        ),
        params,
      )
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `token segments: 1-6 segments, valid and broken base64url (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(tokenShape, async (token) => {
          check(
            await guarded(app, {
              path: '/protected',
              headers: { authorization: `Bearer ${token}` },
            }),
            nowSeconds(),
          )
        }),
        params,
      )
    },
    TEST_TIMEOUT_MS,
  )

  it(
    `Authorization and Cookie together: junk, tokens, both (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            headerValue(300),
            anyToken.map((t) => `Bearer ${t}`),
          ),
          fc.oneof(headerValue(300), cookieHeader(COOKIE, anyToken)),
          async (authorization, cookie) => {
            const headers: Record<string, string> = {}
            if (authorization !== '') headers.authorization = authorization
            if (cookie !== '') headers.cookie = cookie
            check(await guarded(app, { path: '/protected', headers }), nowSeconds())
          },
        ),
        params,
      )
    },
    TEST_TIMEOUT_MS,
  )
})
