// AFTER: the same API on @tokengate/koa (docs/migrate/koa-jwt.md).
import { createServer, type Server } from 'node:http'
import Koa from 'koa'
import type { DefaultClaims } from '@tokengate/core'
import { requireRoles, tokengate, type AuthState } from '@tokengate/koa'

export interface Config {
  secret: Uint8Array
  issuer: string
  audience: string
  cookie: string
}

export function createApp(config: Config): Server {
  const app = new Koa<Partial<AuthState<DefaultClaims, 'user'>>>()
  const adminOnly = requireRoles('admin:write')
  app.use(
    tokengate(
      {
        algorithms: ['HS256'],
        key: config.secret,
        issuer: config.issuer,
        audience: config.audience,
        from: { header: true, cookie: config.cookie },
        roles: { claim: 'permissions' },
        skip: { path: ['/health'] }, // .unless({ path: ['/health'] })
      },
      { property: 'user' }, // koa-jwt's key: 'user' (the default here is ctx.state.auth)
    ),
  )
  app.use(async (ctx, next) => {
    const sub = ctx.state.user?.payload.sub
    if (ctx.method === 'OPTIONS') ctx.status = 204
    else if (ctx.path === '/health') ctx.body = { ok: true }
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
