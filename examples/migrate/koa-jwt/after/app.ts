// AFTER: the same API on @tokengate/koa (docs/migrate/koa-jwt.md).
import { createServer, type Server } from 'node:http'
import Koa from 'koa'
import { requireRoles, tokengate, type AuthState } from '@tokengate/koa'

export interface Config {
  secret: Uint8Array
  issuer: string
  audience: string
  cookie: string
}

export function createApp(config: Config): Server {
  const app = new Koa<AuthState>()
  const adminOnly = requireRoles('admin:write')
  // `.unless({ path: ['/health'] })`: the public route answers before tokengate runs.
  app.use(async (ctx, next) => {
    if (ctx.path === '/health') ctx.body = { ok: true }
    else await next()
  })
  app.use(
    tokengate({
      algorithms: ['HS256'],
      key: config.secret,
      issuer: config.issuer,
      audience: config.audience,
      from: { header: true, cookie: config.cookie },
      roles: { claim: 'permissions' },
    }),
  )
  app.use(async (ctx, next) => {
    const sub = ctx.state.auth?.payload.sub
    if (ctx.method === 'OPTIONS') ctx.status = 204
    else if (ctx.method === 'GET' && ctx.path === '/api/me') ctx.body = { sub }
    else if (ctx.method === 'POST' && ctx.path === '/api/notes') {
      ctx.status = 201
      ctx.body = { by: sub }
    } else if (ctx.method === 'GET' && ctx.path === '/api/admin') {
      await adminOnly(ctx, async () => {
        ctx.body = { admin: true }
      })
    } else await next()
  })
  return createServer(app.callback())
}
