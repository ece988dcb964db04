// BEFORE: a Koa API on koa-jwt 4, written the way its README shows. docs/migrate/koa-jwt.md ports
// it to after/app.ts.
import { createServer, type Server } from 'node:http'
import Koa from 'koa'
import jwt from 'koa-jwt'

export interface Config {
  secret: Uint8Array
  issuer: string
  audience: string
  cookie: string
}

export function createApp(config: Config): Server {
  const app = new Koa()
  app.use(
    jwt({
      secret: Buffer.from(config.secret),
      algorithms: ['HS256'],
      issuer: config.issuer,
      audience: config.audience,
      cookie: config.cookie,
      key: 'user',
    }).unless({ path: ['/health'] }),
  )
  app.use(async (ctx) => {
    const user = ctx.state.user as { sub?: string; permissions?: string[] } | undefined
    if (ctx.method === 'OPTIONS') ctx.status = 204
    else if (ctx.path === '/health') ctx.body = { ok: true }
    else if (ctx.method === 'GET' && ctx.path === '/api/me') ctx.body = { sub: user?.sub }
    else if (ctx.method === 'POST' && ctx.path === '/api/notes') {
      ctx.status = 201
      ctx.body = { by: user?.sub }
    } else if (ctx.method === 'GET' && ctx.path === '/api/admin') {
      if (!user?.permissions?.includes('admin:write')) ctx.throw(403, 'Forbidden')
      ctx.body = { admin: true }
    }
  })
  return createServer(app.callback())
}
