// BEFORE: a Hono API on hono/jwt (an HMAC secret) and hono/jwk (an issuer's JWKS), written the
// way Hono's docs show. docs/migrate/hono-jwt.md ports it to after/app.ts.
import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { Hono, type MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { jwk } from 'hono/jwk'
import { jwt, type JwtVariables } from 'hono/jwt'

export interface Config {
  /** The HS256 secret as an `oct` JWK (Hono takes a string, a JWK or a CryptoKey). */
  secret: { kty: 'oct'; k: string }
  jwksUri: string
  issuer: string
  audience: string
  cookie: string
}

type Env = { Variables: JwtVariables<{ sub: string; permissions?: string[] }> }

export function createApp(config: Config): Server {
  const app = new Hono<Env>()
  const verification = { iss: config.issuer, aud: config.audience }
  app.get('/health', (c) => c.json({ ok: true }))
  app.use(
    '/api/*',
    jwt({ secret: config.secret, alg: 'HS256', cookie: config.cookie, verification }),
  )
  app.use('/jwk/*', jwk({ jwks_uri: config.jwksUri, alg: ['ES256'], verification }))

  const permission =
    (name: string): MiddlewareHandler<Env> =>
    async (c, next) => {
      if (!(c.get('jwtPayload').permissions ?? []).includes(name))
        throw new HTTPException(403, { message: 'Forbidden' })
      await next()
    }
  app.get('/api/me', (c) => c.json({ sub: c.get('jwtPayload').sub }))
  app.post('/api/notes', (c) => c.json({ by: c.get('jwtPayload').sub }, 201))
  app.get('/api/admin', permission('admin:write'), (c) => c.json({ admin: true }))
  // What a CORS set-up answers to a preflight that reaches the routes.
  app.options('/api/*', (c) => c.body(null, 204))
  app.get('/jwk/me', (c) => c.json({ sub: c.get('jwtPayload').sub }))
  return createAdaptorServer({ fetch: app.fetch }) as Server
}
