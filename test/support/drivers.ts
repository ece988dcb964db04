// The one driver interface: start the same conformance app on a framework, send real HTTP to it.
//
// Every driver mounts the same routes (see apps/*.ts and routes.ts):
//   GET|POST|OPTIONS /protected  tokengate; 200 JSON ProtectedBody { payload, source, scopes, roles,
//                        encrypted, authError }, the context read where adapterOptions.property says
//   GET /admin           requireRoles('admin')
//   GET /reports         requireScopes('reports:read')
//   GET /verified        requireClaims((p) => p.email_verified === true)
//   GET /any-role        requireRoles(['admin', 'editor'], { mode: 'any' })
//   GET /step-up         requireAuthentication(STEP_UP): acr 'mfa', auth_time at most 300 s ago
//   GET /public          no auth
//   ANY /.well-known/*   tokengate (answers RFC 9728 metadata paths itself)
//   POST /session        sets `other=1` then setAuthCookie('tg', <body>, { maxAge: 3600 })
//   POST /logout         clears `other` then clearAuthCookie('tg')
//   GET /stacked         tokengate(options), then tokengate(second); only when `second` is given
//   GET /stacked-admin   the same two, then requireRoles('admin')
//   GET /timed           a request-timeout middleware (503 `{"timeout":true}` after `timeoutMs`),
//                        then tokengate; only when `timeoutMs` is given
// With adapterOptions.onError 'delegate', the framework's own error handler (Express error
// middleware, Koa try/catch middleware, Hono app.onError) renders the AuthError and adds the
// DELEGATE_MARKER header (`x-error-handler: express5|express4|koa|koa2|hono|fastify|passport|nest-express|nest-fastify`).
// Fastify mounts the authenticated routes in an encapsulated context with the plugin's hook, `/stacked`
// with a route-level authHook(), and `/timed` with Fastify's own `handlerTimeout`; Passport uses the
// strategy through authenticate() (tokengate's exact answer) on Express 5.
//
// Transport: the Node drivers listen on 127.0.0.1 and are called with node:http, so a string[]
// header goes out as repeated header lines (Hono through @hono/node-server, which, like every
// Fetch runtime, joins repeated lines into one `a, b` value). The Workers driver (workers.ts)
// uses miniflare's dispatchFetch with Headers.append. Requests carry `Host: api.example.test`
// unless the scenario sets one, so the app's own origin is `http://api.example.test` (ORIGIN).
import type { Server } from 'node:http'
import { createServer } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import type { Authenticator, AuthenticatorOptions } from '@tokengate/core'
import express5 from 'express'
import express4 from 'express4'
import type Koa from 'koa'
import koa2 from 'koa2'
import { buildExpressApp } from './apps/express.js'
import { buildFastifyApp } from './apps/fastify.js'
import type { ExpressFactory } from './apps/express.js'
import { buildHonoApp } from './apps/hono.js'
import { buildKoaApp } from './apps/koa.js'
import { buildPassportApp } from './apps/passport.js'
import { startNestApp, type NestPlatform } from './apps/nest.js'
import { DEFAULT_HOST, closeServer, listen, send } from './http.js'

export { DELEGATE_MARKER, SESSION_COOKIE } from './routes.js'
export type { ProtectedBody } from './routes.js'

/** The app's own origin as the adapters see it (scheme + default Host). */
export const ORIGIN = `http://${DEFAULT_HOST}`

export interface DriverRequest {
  method?: string
  path: string
  /** A string[] is sent as repeated header lines. */
  headers?: Record<string, string | string[]>
  body?: string
}

export interface DriverResponse {
  status: number
  /** Lower-case names; `set-cookie` is left out here and listed in `setCookie`. */
  headers: Record<string, string>
  /** Every Set-Cookie line, in order. */
  setCookie: string[]
  /** JSON-parsed when the content type is JSON, else the text. */
  body: unknown
  /** The raw body text, for byte-level comparisons. */
  text: string
}

export interface AppSpec {
  options: AuthenticatorOptions<any> | Authenticator<any>
  adapterOptions?: { onError?: 'respond' | 'delegate'; property?: string }
  /** A second tokengate() stacked behind the first on `/stacked` and `/stacked-admin`. */
  second?: AuthenticatorOptions<any>
  /** Mounts `/timed`: each framework's usual request-timeout middleware answers 503 first. */
  timeoutMs?: number
}

export interface RunningApp {
  request(r: DriverRequest): Promise<DriverResponse>
  close(): Promise<void>
}

export interface Driver {
  name: string
  start(spec: AppSpec): Promise<RunningApp>
}

function nodeDriver(name: string, createHandler: (spec: AppSpec) => Server): Driver {
  return {
    name,
    async start(spec) {
      const server = createHandler(spec)
      const port = await listen(server)
      return { request: (r) => send(port, r), close: () => closeServer(server) }
    },
  }
}

export const express5Driver = nodeDriver('express5', (spec) =>
  createServer(buildExpressApp(express5 as unknown as ExpressFactory, spec, 'express5')),
)
export const express4Driver = nodeDriver('express4', (spec) =>
  createServer(buildExpressApp(express4 as unknown as ExpressFactory, spec, 'express4')),
)
export const koaDriver = nodeDriver('koa', (spec) => createServer(buildKoaApp(spec).callback()))
export const koa2Driver = nodeDriver('koa2', (spec) =>
  createServer(buildKoaApp(spec, koa2 as unknown as typeof Koa, 'koa2').callback()),
)
export const honoDriver = nodeDriver(
  'hono',
  (spec) => createAdaptorServer({ fetch: buildHonoApp(spec).fetch }) as Server,
)

export const fastifyDriver: Driver = {
  name: 'fastify',
  async start(spec) {
    const app = await buildFastifyApp(spec)
    await app.ready()
    const port = await listen(app.server)
    return { request: (r) => send(port, r), close: () => closeServer(app.server) }
  },
}

export const passportDriver = nodeDriver('passport', (spec) => createServer(buildPassportApp(spec)))

/** express5, express4, koa (3), koa2, hono (on Node), fastify (5), passport (Express 5). The Workers driver lives in workers.ts. */
/** NestJS on the Express or the Fastify platform (apps/nest.ts). */
function nestDriver(platform: NestPlatform): Driver {
  return {
    name: `nest-${platform}`,
    async start(spec) {
      const { port, app } = await startNestApp(spec, platform)
      return { request: (r) => send(port, r), close: () => app.close() }
    },
  }
}
export const nestExpressDriver = nestDriver('express')
export const nestFastifyDriver = nestDriver('fastify')

/**
 * express5, express4, koa (3), koa2, hono (on Node), nest-express, nest-fastify. The Workers
 * driver lives in workers.ts.
 */
export const drivers: Driver[] = [
  express5Driver,
  express4Driver,
  koaDriver,
  koa2Driver,
  honoDriver,
  fastifyDriver,
  passportDriver,
  nestExpressDriver,
  nestFastifyDriver,
]
