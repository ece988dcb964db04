// The same requests for a "before" app (express-jwt, koa-jwt, hono/jwt) and its "after" app on
// tokengate, and the comparison: equal statuses, or a difference the migration guide explains.
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { b64url, unsecuredJws, withSegment, type LoopbackIssuer } from '@tokengate/testing'

/** One request sent to both apps. */
export interface MigrationRequest {
  method: string
  path: string
  headers: Record<string, string | string[]>
}

/** The routes every example pair mounts. */
export interface Routes {
  /** GET: the caller's `sub`. */
  read: string
  /** POST: a state-changing route (the CSRF cases). */
  write: string
  /** GET: a route guarded by a permission. */
  admin: string
  /** GET: a route left public (express-jwt's `.unless`). */
  public: string
}

/** What both apps are configured with. */
export interface PairConfig {
  issuer: LoopbackIssuer
  /** The signing algorithm the apps trust. */
  alg: string
  /** The cookie both apps read a token from. */
  cookie: string
  /** The permission `routes.admin` requires, from the `permissions` claim. */
  permission: string
}

/** The request names, in order; each test's table must cover all of them. */
export const REQUEST_NAMES = [
  'valid token',
  'no token',
  'expired token',
  'token not yet valid',
  'wrong signature',
  'wrong audience',
  'wrong issuer',
  'alg none',
  'token without exp',
  'Basic scheme',
  'malformed Authorization header (three parts)',
  'two Authorization headers',
  'token in header and cookie',
  'cookie token, GET',
  'cookie token, cross-site POST',
  'cookie token, same-origin POST',
  'header token, cross-site POST',
  'permission present',
  'permission missing',
  'public route without a token',
  'CORS preflight',
] as const

/** One of {@link REQUEST_NAMES}. */
export type RequestName = (typeof REQUEST_NAMES)[number]

/** Builds the requests, with fresh tokens from the loopback issuer. */
export async function migrationRequests(
  config: PairConfig,
  routes: Routes,
): Promise<Record<RequestName, MigrationRequest>> {
  const { issuer, alg, cookie, permission } = config
  const sign = (
    claims: Record<string, unknown> = {},
    o: Parameters<LoopbackIssuer['sign']>[1] = {},
  ) => issuer.sign({ sub: 'alice', permissions: [permission], ...claims }, { alg, ...o })
  const valid = await sign()
  const get = (path: string, headers: MigrationRequest['headers'] = {}): MigrationRequest => ({
    method: 'GET',
    path,
    headers,
  })
  const bearer = (token: string, path = routes.read) =>
    get(path, { authorization: `Bearer ${token}` })
  const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }
  return {
    'valid token': bearer(valid),
    'no token': get(routes.read),
    'expired token': bearer(await sign({}, { expiresIn: -3600, issuedAt: -7200 })),
    'token not yet valid': bearer(await sign({}, { notBefore: 3600 })),
    'wrong signature': bearer(
      withSegment(valid, 2, b64url(new Uint8Array(alg.startsWith('HS') ? 32 : 64))),
    ),
    'wrong audience': bearer(await sign({}, { audience: 'https://another-api.test' })),
    'wrong issuer': bearer(await sign({}, { issuer: 'https://another-issuer.test' })),
    'alg none': bearer(unsecuredJws({ sub: 'alice', iss: issuer.url, aud: issuer.audience })),
    'token without exp': bearer(await sign({}, { withoutExp: true })),
    'Basic scheme': get(routes.read, { authorization: 'Basic YWxpY2U6d29uZGVybGFuZA==' }),
    'malformed Authorization header (three parts)': get(routes.read, {
      authorization: `Bearer ${valid} extra`,
    }),
    'two Authorization headers': get(routes.read, {
      authorization: [`Bearer ${valid}`, `Bearer ${await sign({ sub: 'mallory' })}`],
    }),
    'token in header and cookie': get(routes.read, {
      authorization: `Bearer ${valid}`,
      cookie: `${cookie}=${valid}`,
    }),
    'cookie token, GET': get(routes.read, { cookie: `${cookie}=${valid}` }),
    'cookie token, cross-site POST': {
      method: 'POST',
      path: routes.write,
      headers: { cookie: `${cookie}=${valid}`, ...crossSite },
    },
    'cookie token, same-origin POST': {
      method: 'POST',
      path: routes.write,
      headers: { cookie: `${cookie}=${valid}`, 'sec-fetch-site': 'same-origin' },
    },
    'header token, cross-site POST': {
      method: 'POST',
      path: routes.write,
      headers: { authorization: `Bearer ${valid}`, ...crossSite },
    },
    'permission present': bearer(valid, routes.admin),
    'permission missing': bearer(await sign({ permissions: ['notes:read'] }), routes.admin),
    'public route without a token': get(routes.public),
    'CORS preflight': {
      method: 'OPTIONS',
      path: routes.read,
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    },
  }
}

/** Listens on 127.0.0.1 and returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Closes a server and its keep-alive connections. */
export function close(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

/** Sends one request (repeated headers as repeated lines) and resolves its status. */
export function statusOf(base: string, r: MigrationRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(r.path, base),
      { method: r.method, headers: { host: 'api.example.test', ...r.headers }, agent: false },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function anchors(markdown: string): Set<string> {
  const out = new Set<string>()
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,4} (.+)$/.exec(line)?.[1]
    if (heading === undefined) continue
    out.add(
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    )
  }
  return out
}

/** The expected outcome of one request: the same status from both apps, or a documented difference. */
export interface Expectation {
  /** The status of the tokengate app. */
  status: number
  /** When the peer's app answers otherwise: its status and the guide's section that says why. */
  differs?: { before: number; section: string }
}

/** The statuses the pair must give for one request: the tokengate app's, and the peer's. */
export function wanted(expectation: Expectation): { before: number; after: number } {
  return { before: expectation.differs?.before ?? expectation.status, after: expectation.status }
}

/**
 * The guide sections a table's differences name that the guide lacks, and the request names the
 * table leaves out or adds: both empty when the table and the guide agree.
 */
export function tableProblems(
  expected: Record<string, Expectation>,
  guide: string,
): { missingSections: string[]; names: { missing: string[]; extra: string[] } } {
  const sections = anchors(guide)
  const names = Object.keys(expected)
  return {
    missingSections: Object.values(expected)
      .flatMap(({ differs }) => (differs ? [differs.section] : []))
      .filter((section) => !sections.has(section)),
    names: {
      missing: REQUEST_NAMES.filter((name) => !names.includes(name)),
      extra: names.filter((name) => !(REQUEST_NAMES as readonly string[]).includes(name)),
    },
  }
}

/** A running pair: the issuer, both apps listening, the requests built for them. */
export interface RunningPair {
  issuer: LoopbackIssuer
  requests: Record<RequestName, MigrationRequest>
  /** The base URL of each app. */
  urls: { before: string; after: string }
  /** Both apps' statuses for one request. */
  statuses(name: RequestName): Promise<{ before: number; after: number }>
  close(): Promise<void>
}

/**
 * Starts the issuer and both apps of a pair (each built from the same config), and builds the
 * requests: the shared set-up of every pair's test.
 */
export async function startPair<Config>(options: {
  issuer: LoopbackIssuer
  config: (issuer: LoopbackIssuer) => Config
  before: (config: Config) => Server
  after: (config: Config) => Server
  alg: string
}): Promise<RunningPair> {
  const { issuer } = options
  const config = options.config(issuer)
  const servers = [options.before(config), options.after(config)] as const
  const [beforeUrl, afterUrl] = await Promise.all(servers.map(listen))
  const requests = await migrationRequests(
    { issuer, alg: options.alg, cookie: 'access_token', permission: 'admin:write' },
    { read: '/api/me', write: '/api/notes', admin: '/api/admin', public: '/health' },
  )
  return {
    issuer,
    requests,
    urls: { before: beforeUrl!, after: afterUrl! },
    async statuses(name) {
      return {
        before: await statusOf(beforeUrl!, requests[name]),
        after: await statusOf(afterUrl!, requests[name]),
      }
    },
    async close() {
      await Promise.all(servers.map(close))
      await issuer.close()
    },
  }
}
