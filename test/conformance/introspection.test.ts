// Token introspection (RFC 7662) through every adapter, against a real authorization server
// (oidc-provider on 127.0.0.1) issuing opaque tokens: accepted tokens and their scopes, the scope
// guard fed by the introspected `scope`, revoked and unknown tokens, a signed answer (RFC 9701), and
// an endpoint down or answering garbage. Each answer is asserted, then compared across drivers; the
// options are plain JSON, so the same table runs in workerd (Hono through miniflare) too.
import { createServer } from 'node:http'
import type { AuthErrorCode, AuthenticatorOptions } from '@tokengate/core'
import { CODE_TABLE } from '@tokengate/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  API_RESOURCE,
  RS_CLIENTS,
  refusedUrl,
  startAuthorizationServer,
  type AuthorizationServer,
} from '../support/authorization-server.js'
import {
  drivers,
  honoDriver,
  type Driver,
  type DriverRequest,
  type DriverResponse,
  type ProtectedBody,
  type RunningApp,
} from '../support/drivers.js'
import { closeServer, listen } from '../support/http.js'
import { workersDriver } from '../support/workers.js'
import { comparable } from './harness.js'

const REALM = 'introspection'

interface World {
  as: AuthorizationServer
  /** An endpoint nobody listens on (refused), and one answering an HTML login page. */
  down: string
  garbage: string
}

const SETUPS = {
  /** The endpoint from discovery, client_secret_basic. */
  basic: (w: World) => base(w, { introspection: { client: { ...RS_CLIENTS.basic } } }),
  /** Explicit endpoint, client_secret_post, a signed answer (RFC 9701). */
  jwt: (w: World) =>
    base(w, {
      introspection: {
        endpoint: w.as.introspectionEndpoint,
        client: { ...RS_CLIENTS.jwtResponse, auth: 'client_secret_basic' },
        jwtResponse: true,
      },
    }),
  down: (w: World) =>
    base(w, { introspection: { endpoint: w.down, client: { ...RS_CLIENTS.basic } } }),
  garbage: (w: World) =>
    base(w, { introspection: { endpoint: w.garbage, client: { ...RS_CLIENTS.basic } } }),
} satisfies Record<string, (w: World) => AuthenticatorOptions>
type Setup = keyof typeof SETUPS

function base(w: World, extra: Partial<AuthenticatorOptions>): AuthenticatorOptions {
  return {
    algorithms: ['RS256'],
    key: { discovery: w.as.issuer },
    audience: API_RESOURCE,
    realm: REALM,
    ...extra,
  } as AuthenticatorOptions
}

type Expect =
  { status: 200; scopes?: string[]; clientId?: string } | { status: number; code: AuthErrorCode }

interface Scenario {
  name: string
  setup: Setup
  request(w: World): Promise<DriverRequest>
  expect: Expect
}

const get = (path: string, token: string): DriverRequest => ({
  path,
  headers: { authorization: `Bearer ${token}` },
})

const scenarios: Scenario[] = [
  {
    name: 'an opaque token is accepted; the answer is the payload, its scope the scopes (RFC 7662 §2.2)',
    setup: 'basic',
    request: async (w) =>
      get('/protected', await w.as.token({ scope: 'orders:read reports:read' })),
    expect: { status: 200, scopes: ['orders:read', 'reports:read'], clientId: 'app' },
  },
  {
    name: 'the scope guard reads the introspected scope: granted',
    setup: 'basic',
    request: async (w) => get('/reports', await w.as.token({ scope: 'reports:read' })),
    expect: { status: 200 },
  },
  {
    name: 'the scope guard reads the introspected scope: 403 insufficient_scope (RFC 6750 §3.1)',
    setup: 'basic',
    request: async (w) => get('/reports', await w.as.token({ scope: 'orders:read' })),
    expect: { status: 403, code: 'insufficient_scope' },
  },
  {
    name: 'a token revoked at the server (RFC 7009) is 401 token_inactive',
    setup: 'basic',
    request: async (w) => {
      const token = await w.as.token()
      await w.as.revoke(token)
      return get('/protected', token)
    },
    expect: { status: 401, code: 'token_inactive' },
  },
  {
    name: 'a token the server never issued is 401 token_inactive',
    setup: 'basic',
    request: async () => get('/protected', 'never-issued-by-the-server-0123456789'),
    expect: { status: 401, code: 'token_inactive' },
  },
  {
    name: 'a signed answer (RFC 9701) verified with the issuer keys',
    setup: 'jwt',
    request: async (w) => get('/protected', await w.as.token({ scope: 'orders:read' })),
    expect: { status: 200, scopes: ['orders:read'], clientId: 'app' },
  },
  {
    name: 'the endpoint down: 503 introspection_unavailable with Retry-After',
    setup: 'down',
    request: async (w) => get('/protected', await w.as.token()),
    expect: { status: 503, code: 'introspection_unavailable' },
  },
  {
    name: 'the endpoint answers an HTML page: 503, never 401, never an accept',
    setup: 'garbage',
    request: async (w) => get('/protected', await w.as.token()),
    expect: { status: 503, code: 'introspection_unavailable' },
  },
]

// ── runner ─────────────────────────────────────────────────────────────────────────────────────
let world: World
let garbageServer: ReturnType<typeof createServer>
beforeAll(async () => {
  garbageServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in</html>')
  })
  const port = await listen(garbageServer)
  world = {
    as: await startAuthorizationServer(),
    down: await refusedUrl(),
    garbage: `http://127.0.0.1:${port}/introspect`,
  }
})

class Apps {
  readonly #apps = new Map<string, Promise<RunningApp>>()
  get(driver: Driver, setup: Setup): Promise<RunningApp> {
    const id = `${driver.name} ${setup}`
    let app = this.#apps.get(id)
    if (!app) this.#apps.set(id, (app = driver.start({ options: SETUPS[setup](world) })))
    return app
  }
  async closeAll(): Promise<void> {
    await Promise.all([...this.#apps.values()].map(async (a) => (await a).close()))
  }
}
const apps = new Apps()
afterAll(async () => {
  await apps.closeAll()
  await world.as.close()
  await closeServer(garbageServer)
})

function check(res: DriverResponse, scenario: Scenario): void {
  const want = scenario.expect
  expect(res.status, scenario.name).toBe(want.status)
  if (!('code' in want)) {
    expect(res.headers['www-authenticate']).toBeUndefined()
    if (want.scopes === undefined) return
    const body = res.body as ProtectedBody
    expect(body.scopes).toEqual(want.scopes)
    expect(body.payload).toMatchObject({
      active: true,
      client_id: want.clientId,
      aud: API_RESOURCE,
    })
    return
  }
  const body = res.body as Record<string, unknown>
  expect(body.code).toBe(want.code)
  expect(body.error).toBe(CODE_TABLE[want.code].error)
  expect(res.headers['cache-control']).toBe('no-store')
  if (want.status === 503) {
    expect(res.headers['retry-after']).toBe('5')
    expect(res.headers['www-authenticate']).toBeUndefined()
  } else {
    expect(res.headers['www-authenticate']).toMatch(new RegExp(`^Bearer realm="${REALM}", error=`))
  }
  // The client's credentials never reach a response.
  for (const client of Object.values(RS_CLIENTS))
    if ('secret' in client) expect(res.text).not.toContain(client.secret)
}

it('has a unique name per scenario', () => {
  expect(new Set(scenarios.map((s) => s.name)).size).toBe(scenarios.length)
})

describe('introspection on every driver, answers identical across drivers', () => {
  it.each(scenarios)('$name', async (scenario) => {
    const request = await scenario.request(world)
    const answers = await Promise.all(
      drivers.map(async (driver) => (await apps.get(driver, scenario.setup)).request(request)),
    )
    answers.forEach((res) => check(res, scenario))
    const [reference, ...rest] = answers.map(comparable)
    rest.forEach((other, i) => expect(other, drivers[i + 1]!.name).toEqual(reference))
  })
})

describe('introspection in workerd (Hono through miniflare), identical to Hono on Node', () => {
  it.each(scenarios)('$name', async (scenario) => {
    const request = await scenario.request(world)
    const [onWorkers, onNode] = await Promise.all([
      (await apps.get(workersDriver, scenario.setup)).request(request),
      (await apps.get(honoDriver, scenario.setup)).request(request),
    ])
    check(onWorkers, scenario)
    expect(comparable(onWorkers)).toEqual(comparable(onNode))
  })
})
