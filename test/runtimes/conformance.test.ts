// The conformance table over real HTTP against Hono served by Bun.serve and Deno.serve, and Express 5
// and Koa 3 on Bun's node:http: each answer checked against the scenario, then compared with the same
// framework's answer on Node (the table's comparison: error bytes, challenge, status, cookies, claims).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { express5Driver, honoDriver, koaDriver } from '../support/drivers.js'
import type { Driver } from '../support/drivers.js'
import { makeFixtures } from '../conformance/fixtures.js'
import type { Fixtures } from '../conformance/fixtures.js'
import { Apps, Requests, assertConforms, comparable } from '../conformance/harness.js'
import { scenarios } from '../conformance/scenarios.js'
import { startRuntime } from './runtimes.js'
import type { Framework, Runtime, RuntimeApps } from './runtimes.js'

const runs: { runtime: Runtime; framework: Framework; node: Driver }[] = [
  { runtime: 'bun', framework: 'hono', node: honoDriver },
  { runtime: 'deno', framework: 'hono', node: honoDriver },
  { runtime: 'bun', framework: 'express', node: express5Driver },
  { runtime: 'bun', framework: 'koa', node: koaDriver },
]

let fixtures: Fixtures | undefined
const requests = new Requests(() => fixtures!)

beforeAll(async () => {
  fixtures = await makeFixtures()
})

describe.each(runs)('$framework on $runtime', ({ runtime, framework, node }) => {
  let served: RuntimeApps | undefined
  const onNode = new Apps(node)
  beforeAll(async () => {
    served = await startRuntime(runtime, framework, fixtures!)
  })
  afterAll(async () => {
    await Promise.all([served?.close(), onNode.closeAll()])
  })

  it(`really runs in ${runtime}, every setup served`, () => {
    expect(served!.ready).toMatchObject({ runtime, framework })
    // Bun and Deno both honour the `node` condition: the core's node:crypto path, on their node:crypto.
    expect(served!.ready.signaturePath).toBe('node:crypto')
    expect(Object.keys(served!.ready.ports).length).toBeGreaterThanOrEqual(20)
  })

  it.each(scenarios)('$name', async (scenario) => {
    const request = await requests.of(scenario)
    const res = await served!.request(scenario.setup, request)
    assertConforms(res, scenario, request)
    const reference = await (await onNode.get(scenario.setup, fixtures!)).request(request)
    expect(comparable(res)).toEqual(comparable(reference))
  })
})
