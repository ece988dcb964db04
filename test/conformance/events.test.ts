// Decision events through the conformance table (issue 16): every scenario on every Node driver
// with an onDecision listener; each refusal's event names its code (guards: step 'guard'), and the
// events are the same on every framework. (workerd: options with a function cannot cross into a
// worker; the otel package's workerd test covers events there.)
import type { Authenticator, AuthenticatorOptions, DecisionEvent } from '@tokengate/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { drivers, type DriverResponse, type RunningApp } from '../support/drivers.js'
import { makeFixtures, specOf, type Fixtures, type SetupName } from './fixtures.js'
import { Requests } from './harness.js'
import { scenarios } from './scenarios.js'

let fixtures: Fixtures | undefined
const requests = new Requests(() => fixtures!)
// One app per (driver, setup), each with its own event list.
const apps = new Map<string, Promise<{ app: RunningApp; events: DecisionEvent[] }>>()

function appOf(driver: (typeof drivers)[number], setup: SetupName) {
  const id = `${driver.name} ${setup}`
  let entry = apps.get(id)
  if (!entry) {
    const events: DecisionEvent[] = []
    const spec = specOf(setup, fixtures!)
    const observed =
      typeof (spec.options as Authenticator).authenticate === 'function'
        ? spec.options // an authenticator built by the setup: its options are its own
        : ({
            ...(spec.options as AuthenticatorOptions),
            onDecision: (e: DecisionEvent) => events.push(e),
          } as AuthenticatorOptions)
    entry = driver.start({ ...spec, options: observed }).then((app) => ({ app, events }))
    apps.set(id, entry)
  }
  return entry
}

beforeAll(async () => {
  fixtures = await makeFixtures()
})
afterAll(async () => {
  await Promise.all([...apps.values()].map(async (entry) => (await entry).app.close()))
})

/** An event without what differs by nature between runs (its duration). */
const comparable = ({ durationMs, ...event }: DecisionEvent) => {
  expect(durationMs).toBeGreaterThanOrEqual(0)
  return event
}

it.each(scenarios)('$name: its events, identical on every driver', async (scenario) => {
  const request = await requests.of(scenario)
  const seen: Array<[string, Array<Omit<DecisionEvent, 'durationMs'>>, DriverResponse]> = []
  for (const driver of drivers) {
    const { app, events } = await appOf(driver, scenario.setup)
    events.length = 0
    const response = await app.request(request)
    seen.push([driver.name, events.map(comparable), response])
  }
  const [, reference, response] = seen[0]!
  for (const [name, events] of seen.slice(1)) expect(events, name).toEqual(reference)

  const body = response.body as { code?: string } | undefined
  const json = JSON.stringify(reference)
  // Never the token in an event.
  for (const value of Object.values(request.headers ?? {}).flat()) {
    for (const run of value.match(/[A-Za-z0-9_-]{40,}/g) ?? []) expect(json).not.toContain(run)
  }
  if (reference.length === 0) return // an authenticator of the setup's own, or a public route
  const last = reference.at(-1)!
  // With passthrough a refused token answers 200, anonymous; its event is still the refusal.
  const passedThrough = (response.body as { authError?: string | null } | undefined)?.authError
  if (response.status === 200 && typeof passedThrough === 'string') {
    expect(last).toMatchObject({ outcome: 'refused', code: passedThrough })
  } else if (response.status === 200) {
    expect(reference.every((e) => e.outcome === 'accepted')).toBe(true)
  } else if (typeof body?.code === 'string' && !request.path.startsWith('/stacked')) {
    // (On /stacked the refusal may come from the second, unobserved tokengate().)
    expect(last).toMatchObject({ outcome: 'refused', code: body.code, status: response.status })
    const guarded = /^\/(admin|reports|verified|any-role|step-up)\b/.test(request.path)
    if (body.code === 'insufficient_role' || body.code === 'insufficient_scope')
      expect(last.step).toBe('guard')
    if (last.step === 'guard') expect(guarded).toBe(true)
  }
})
