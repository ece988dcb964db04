// The Hono adapter inside a real Workers runtime (workerd via miniflare): the JSON-serialisable part
// of the table, asserted the same way and compared byte for byte with Hono on Node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { honoDriver } from '../support/drivers.js'
import { workersDriver } from '../support/workers.js'
import { SETUPS, makeFixtures } from './fixtures.js'
import type { Fixtures } from './fixtures.js'
import { Apps, Requests, assertConforms, comparable } from './harness.js'
import { scenarios } from './scenarios.js'

const onWorkers = scenarios.filter((s) => SETUPS[s.setup].workers)
let fixtures: Fixtures | undefined
const requests = new Requests(() => fixtures!)
const workers = new Apps(workersDriver)
const node = new Apps(honoDriver)

beforeAll(async () => {
  fixtures = await makeFixtures()
})
afterAll(async () => {
  await Promise.all([workers.closeAll(), node.closeAll()])
})

describe('hono on workerd (miniflare)', () => {
  it('runs a substantial subset of the table', () => {
    expect(onWorkers.length).toBeGreaterThanOrEqual(30)
  })

  it('really runs inside workerd', async () => {
    const app = await workers.get('jws', fixtures!)
    expect((await app.request({ path: '/__runtime' })).body).toBe('Cloudflare-Workers')
  })

  it.each(onWorkers)('$name', async (scenario) => {
    const request = await requests.of(scenario)
    const res = await (await workers.get(scenario.setup, fixtures!)).request(request)
    assertConforms(res, scenario, request)
    const onNode = await (await node.get(scenario.setup, fixtures!)).request(request)
    expect(comparable(res)).toEqual(comparable(onNode))
  })
})
