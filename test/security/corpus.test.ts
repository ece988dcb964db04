// The hostile-token corpus through every adapter: exact status and code, never 200, never a 5xx, no leaks.
import { CODE_TABLE } from '@tokengate/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningApp } from '../support/drivers.js'
import { allDrivers } from '../support/workers.js'
import {
  buildFixtures,
  controls,
  corpus,
  profileOptions,
  type Fixtures,
  type Profile,
} from './cases.js'
import { startJwksServer, type JwksServer } from './support/jwks-server.js'
import { keySecrets, leaksIn, tokenFragments } from './support/leaks.js'

let fx: Fixtures
let attackerServer: JwksServer
let secrets: string[]

beforeAll(async () => {
  attackerServer = await startJwksServer()
  fx = await buildFixtures(attackerServer.origin)
  attackerServer.setKeys({ keys: [fx.attacker.publicJwk] })
  secrets = keySecrets(
    [fx.rsa, fx.rsaOther, fx.ec, fx.ec384, fx.ed, fx.encRsa, fx.encRsaOther, fx.encEc],
    [fx.dirKey, fx.password],
  )
})

afterAll(async () => {
  await attackerServer.close()
})

it('has at least 60 cases, each naming its rule and reference', () => {
  expect(corpus.length).toBeGreaterThanOrEqual(60)
  for (const c of corpus) {
    expect(c.ref.length).toBeGreaterThan(0)
    expect(c.status).not.toBe(200)
    expect(CODE_TABLE[c.code].status).toBe(c.status)
  }
  expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length)
})

const profiles = [...new Set([...corpus, ...controls].map((c) => c.profile))]

// Node drivers run the core's node:crypto fast path; workerd runs the portable Web Crypto path.
describe.each(allDrivers)('corpus on $name', (driver) => {
  const apps = new Map<Profile, RunningApp>()

  beforeAll(async () => {
    for (const profile of profiles) {
      apps.set(profile, await driver.start({ options: profileOptions(profile, fx) }))
    }
  })

  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => app.close()))
    // A token's jku/x5u URL must never be fetched (RFC 8725 §3.10).
    expect(attackerServer.strayHits + attackerServer.hits).toBe(0)
  })

  it.each(corpus)('refuses: $name ($ref)', async (c) => {
    const request = await c.request(fx)
    const response = await apps.get(c.profile)!.request(request)
    const body = response.body as { code?: unknown; error?: unknown }
    expect({ status: response.status, code: body.code }).toEqual({ status: c.status, code: c.code })
    expect(body.error).toBe(CODE_TABLE[c.code].error)
    if (c.status === 401) {
      expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/)
    }
    expect(leaksIn(response, [...tokenFragments(request), ...secrets])).toEqual([])
  })

  it.each(controls)('accepts (control): $name ($ref)', async (c) => {
    const response = await apps.get(c.profile)!.request(await c.request(fx))
    expect(response.status).toBe(200)
    expect((response.body as { payload?: { sub?: unknown } }).payload?.sub).toBe('alice')
  })
})
