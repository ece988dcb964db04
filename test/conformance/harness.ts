// Runs the table: one app per (driver, setup), one request per scenario, and the checks every answer must pass.
import { CODE_TABLE } from '@tokengate/core'
import { expect } from 'vitest'
import { DELEGATE_MARKER } from '../support/drivers.js'
import type {
  Driver,
  DriverRequest,
  DriverResponse,
  ProtectedBody,
  RunningApp,
} from '../support/drivers.js'
import { REALM, SETUPS, specOf } from './fixtures.js'
import type { Fixtures, SetupName } from './fixtures.js'
import type { Scenario } from './scenarios.js'

/** The apps of one driver, started on first use and closed together. */
export class Apps {
  readonly #started = new Map<SetupName, Promise<RunningApp>>()
  constructor(readonly driver: Driver) {}

  get(setup: SetupName, fixtures: Fixtures): Promise<RunningApp> {
    let app = this.#started.get(setup)
    if (!app) {
      app = this.driver.start(specOf(setup, fixtures))
      this.#started.set(setup, app)
    }
    return app
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#started.values()].map(async (app) => (await app).close()))
    this.#started.clear()
  }
}

/** Each scenario's request is built once, so every driver gets the very same bytes. */
export class Requests {
  readonly #built = new Map<Scenario, Promise<DriverRequest>>()
  constructor(readonly fixtures: () => Fixtures) {}

  of(scenario: Scenario): Promise<DriverRequest> {
    let request = this.#built.get(scenario)
    if (!request) {
      request = Promise.resolve(scenario.request(this.fixtures()))
      this.#built.set(scenario, request)
    }
    return request
  }
}

/** Everything that must be byte-identical across drivers (success bodies compared parsed). */
export function comparable(res: DriverResponse): Record<string, unknown> {
  const isError = res.status >= 400 && res.status !== 500
  return {
    status: res.status,
    'www-authenticate': res.headers['www-authenticate'],
    // Retry-After counts down the JWKS cooldown: present on every driver, its value time-dependent.
    'retry-after': res.headers['retry-after'] !== undefined,
    'content-type': isError ? res.headers['content-type'] : undefined,
    'cache-control': isError ? res.headers['cache-control'] : undefined,
    delegated: res.headers[DELEGATE_MARKER] !== undefined,
    body: res.status === 500 ? undefined : isError ? res.text : res.body,
    // On a framework's own 500 page, whether earlier Set-Cookie lines survive is the framework's affair.
    setCookie: res.status === 500 ? undefined : res.setCookie,
  }
}

/** Asserts one response against the scenario's expectation. */
export function assertConforms(
  res: DriverResponse,
  scenario: Scenario,
  request: DriverRequest,
): void {
  const want = scenario.expect
  expect(res.status, `status of ${scenario.name}`).toBe(want.status)

  if ('unhandled' in want) {
    // Not ours to render: no challenge, no JSON of ours, no secret of the request echoed.
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.text).not.toMatch(/extractor bug|"code"/)
    assertNoTokenLeak(res, request)
    return
  }

  if ('code' in want) {
    const info = CODE_TABLE[want.code]
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.body as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(
      info.error === undefined
        ? ['code', 'error_description']
        : ['code', 'error', 'error_description'],
    )
    expect(body.code).toBe(want.code)
    expect(body.error).toBe(info.error)
    expect(typeof body.error_description).toBe('string')

    const challenge = res.headers['www-authenticate']
    const kind = want.challenge ?? 'error'
    // RFC 9728 §5.1: a protected resource names its metadata on every challenge, after the realm.
    const metadata = 'resourceMetadata' in want && want.resourceMetadata
    const head = `Bearer realm="${REALM}"${metadata ? `, resource_metadata="${metadata}"` : ''}`
    if (kind === 'bare') expect(challenge).toBe(head)
    if (kind === 'none') {
      expect(challenge).toBeUndefined()
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    }
    if (kind === 'error') {
      expect(challenge?.startsWith(`${head}, error="${info.error}", error_description="`)).toBe(
        true,
      )
      if (!metadata) expect(challenge).not.toContain('resource_metadata=')
      if (want.scope === undefined) expect(challenge).not.toMatch(/[ _]scope=/)
      else expect(challenge).toMatch(new RegExp(`, scope="${want.scope}"$`))
      // RFC 9470 §3: what a step-up needs, at the end of the challenge.
      if (want.stepUp === undefined) expect(challenge).not.toMatch(/acr_values=|max_age=/)
      else expect(challenge).toMatch(new RegExp(`", ${want.stepUp}$`))
    }
    expect(res.headers[DELEGATE_MARKER] !== undefined, 'rendered by the app error handler').toBe(
      SETUPS[scenario.setup].delegate,
    )
    assertNoTokenLeak(res, request)
    return
  }

  expect(res.headers['www-authenticate']).toBeUndefined()
  expect(res.headers[DELEGATE_MARKER]).toBeUndefined()
  if (want.body !== undefined) expect(res.body).toEqual(want.body)
  if (want.setCookie !== undefined) {
    expect(res.setCookie).toHaveLength(want.setCookie.length)
    want.setCookie.forEach((pattern, i) => expect(res.setCookie[i]).toMatch(pattern))
  }
  if (want.body !== undefined) return
  const body = res.body as ProtectedBody
  if (want.claims !== undefined) expect(body.payload).toMatchObject(want.claims)
  if (want.payload !== undefined) expect(body.payload).toEqual(want.payload)
  if (want.source !== undefined) expect(body.source).toBe(want.source)
  if (want.encrypted !== undefined) expect(body.encrypted).toBe(want.encrypted)
  if (want.roles !== undefined) expect(body.roles).toEqual(want.roles)
  if (want.scopes !== undefined) expect(body.scopes).toEqual(want.scopes)
  if (want.authError !== undefined) expect(body.authError).toBe(want.authError)
}

// No token (nor any part of one) from the request may come back in an error body or challenge.
function assertNoTokenLeak(res: DriverResponse, request: DriverRequest): void {
  const sent = Object.values(request.headers ?? {})
    .flat()
    .flatMap((value) => value.split(/[\s;,=]+/))
    .flatMap((value) => value.split('.'))
    .filter((part) => part.length >= 16)
  const echoed = `${res.text}\n${res.headers['www-authenticate'] ?? ''}`
  for (const part of sent) expect(echoed, 'a token segment was echoed back').not.toContain(part)
}
