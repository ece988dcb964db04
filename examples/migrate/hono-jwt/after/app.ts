// AFTER: the same API on @tokengate/hono (docs/migrate/hono-jwt.md).
import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { requireRoles, tokengate, type AuthVariables } from '@tokengate/hono'

export interface Config {
  /** The HS256 secret as an `oct` JWK. */
  secret: { kty: 'oct'; k: string }
  jwksUri: string
  issuer: string
  audience: string
  cookie: string
}

export function createApp(config: Config): Server {
  const app = new Hono<{ Variables: AuthVariables }>()
  const common = { issuer: config.issuer, audience: config.audience }
  app.get('/health', (c) => c.json({ ok: true }))
  app.use(
    '/api/*',
    tokengate({
      ...common,
      algorithms: ['HS256'],
      key: config.secret,
      from: { header: true, cookie: config.cookie },
      roles: { claim: 'permissions' },
    }),
  )
  app.use(
    '/jwk/*',
    tokengate({ ...common, algorithms: ['ES256'], key: { jwksUri: config.jwksUri } }),
  )

  app.get('/api/me', (c) => c.json({ sub: c.get('auth').payload.sub }))
  app.post('/api/notes', (c) => c.json({ by: c.get('auth').payload.sub }, 201))
  app.get('/api/admin', requireRoles('admin:write'), (c) => c.json({ admin: true }))
  // What a CORS set-up answers to a preflight that reaches the routes.
  app.options('/api/*', (c) => c.body(null, 204))
  app.get('/jwk/me', (c) => c.json({ sub: c.get('auth').payload.sub }))
  return createAdaptorServer({ fetch: app.fetch }) as Server
}
