// The cross-framework suite: every scenario against Express 5, Express 4, Koa and Hono, then compared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { drivers } from '../support/drivers.js'
import { makeFixtures } from './fixtures.js'
import type { Fixtures } from './fixtures.js'
import { Apps, Requests, assertConforms, comparable } from './harness.js'
import { scenarios } from './scenarios.js'

let fixtures: Fixtures | undefined
const requests = new Requests(() => {
  if (!fixtures) throw new Error('fixtures not ready')
  return fixtures
})
const apps = new Map(drivers.map((driver) => [driver.name, new Apps(driver)]))

beforeAll(async () => {
  fixtures = await makeFixtures()
})
afterAll(async () => {
  await Promise.all([...apps.values()].map((a) => a.closeAll()))
})

it('has at least 40 scenarios, each with a unique name', () => {
  expect(scenarios.length).toBeGreaterThanOrEqual(40)
  expect(new Set(scenarios.map((s) => s.name)).size).toBe(scenarios.length)
})

describe.each(drivers)('$name', (driver) => {
  it.each(scenarios)('$name', async (scenario) => {
    const app = await apps.get(driver.name)!.get(scenario.setup, fixtures!)
    const request = await requests.of(scenario)
    assertConforms(await app.request(request), scenario, request)
  })
})

describe('identical on every driver: status, challenge, error bytes, exposed claims', () => {
  it.each(scenarios)('$name', async (scenario) => {
    const request = await requests.of(scenario)
    const answers = await Promise.all(
      drivers.map(async (driver) => {
        const app = await apps.get(driver.name)!.get(scenario.setup, fixtures!)
        return [driver.name, comparable(await app.request(request))] as const
      }),
    )
    const [, reference] = answers[0]!
    for (const [name, answer] of answers.slice(1)) expect(answer, name).toEqual(reference)
  })
})
