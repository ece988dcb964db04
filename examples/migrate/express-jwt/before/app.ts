// BEFORE: an Express API on express-jwt 8, jwks-rsa and express-jwt-permissions, written the way
// their READMEs show. docs/migrate/express-jwt.md ports it line by line to after/app.ts.
import { createServer, type Server } from 'node:http'
import express, { type ErrorRequestHandler } from 'express'
import { expressjwt, type Request as JwtRequest } from 'express-jwt'
import guardFactory from 'express-jwt-permissions'
import jwksRsa from 'jwks-rsa'

export interface Config {
  jwksUri: string
  issuer: string
  audience: string
  cookie: string
}

export function createApp(config: Config): Server {
  const app = express()
  const guard = guardFactory({ requestProperty: 'auth', permissionsProperty: 'permissions' })

  app.use(
    expressjwt({
      secret: jwksRsa.expressJwtSecret({
        jwksUri: config.jwksUri,
        cache: true,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
      }),
      algorithms: ['ES256'],
      issuer: config.issuer,
      audience: config.audience,
      // The README's getToken recipe: the Authorization header, else a cookie.
      getToken: (req) => {
        const [scheme, token] = req.headers.authorization?.split(' ') ?? []
        if (scheme === 'Bearer') return token
        const cookies = (req.headers.cookie ?? '').split(';').map((pair) => pair.trim().split('='))
        return cookies.find(([name]) => name === config.cookie)?.[1]
      },
    }).unless({ path: ['/health'] }),
  )

  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/api/me', (req: JwtRequest, res) => {
    res.json({ sub: req.auth?.sub })
  })
  app.post('/api/notes', (req: JwtRequest, res) => {
    res.status(201).json({ by: req.auth?.sub })
  })
  app.get('/api/admin', guard.check('admin:write'), (_req, res) => {
    res.json({ admin: true })
  })

  // express-jwt and express-jwt-permissions hand their errors to next(err).
  const onError: ErrorRequestHandler = (err, _req, res, next) => {
    if (err.name === 'UnauthorizedError') {
      res.status(err.status ?? 401).json({ error: err.code, message: err.message })
      return
    }
    if (err.code === 'permission_denied') {
      res.status(403).json({ error: err.code })
      return
    }
    next(err)
  }
  app.use(onError)
  return createServer(app)
}
