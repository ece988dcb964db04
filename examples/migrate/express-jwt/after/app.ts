// AFTER: the same API on @tokengate/express (docs/migrate/express-jwt.md).
import { createServer, type Server } from 'node:http'
import express from 'express'
import { requireRoles, tokengate } from '@tokengate/express'

export interface Config {
  jwksUri: string
  issuer: string
  audience: string
  cookie: string
}

export function createApp(config: Config): Server {
  const app = express()

  app.use(
    tokengate({
      algorithms: ['ES256'],
      key: { jwksUri: config.jwksUri }, // jwks-rsa's cache, rate limit and timeout are built in
      issuer: config.issuer,
      audience: config.audience,
      from: { header: true, cookie: config.cookie }, // getToken
      roles: { claim: 'permissions' }, // express-jwt-permissions' permissionsProperty
      skip: { path: ['/health'] }, // .unless({ path: ['/health'] })
    }),
  )

  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/api/me', (req, res) => {
    res.json({ sub: req.auth?.payload.sub })
  })
  app.post('/api/notes', (req, res) => {
    res.status(201).json({ by: req.auth?.payload.sub })
  })
  app.get('/api/admin', requireRoles('admin:write'), (_req, res) => {
    res.json({ admin: true })
  })
  return createServer(app)
}
