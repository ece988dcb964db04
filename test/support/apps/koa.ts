// The conformance app on Koa, with @koa/router.
import Router from '@koa/router'
import { isAuthError, type AuthContext, type AuthError } from '@tokengate/core'
import {
  clearAuthCookie,
  requireAuthentication,
  requireClaims,
  requireRoles,
  requireScopes,
  setAuthCookie,
  tokengate,
} from '@tokengate/koa'
import Koa from 'koa'
import type { Middleware } from 'koa'
import type { AppSpec } from '../drivers.js'
import {
  ANY_ROLES,
  DELEGATE_MARKER,
  REPORTS_SCOPE,
  STEP_UP,
  SESSION_COOKIE,
  isVerified,
  protectedBody,
} from '../routes.js'

// Koa 3 by default; the Koa 2 driver passes its own class (the `koa2` alias of koa@2).
export function buildKoaApp(spec: AppSpec, App: typeof Koa = Koa, marker = 'koa'): Koa {
  const app = new App()
  // The default 500 handler logs every error; the suite provokes some on purpose.
  app.silent = true
  const auth = tokengate(spec.options, spec.adapterOptions)
  const property = spec.adapterOptions?.property ?? 'auth'
  const ok: Middleware = (ctx) => {
    const state = ctx.state as Record<string, unknown>
    ctx.body = protectedBody(
      state[property] as AuthContext | undefined,
      state.authError as AuthError,
    )
  }
  // The app's own error handling: a try/catch middleware that renders AuthErrors its way.
  app.use(async (ctx, next) => {
    try {
      await next()
    } catch (err) {
      if (!isAuthError(err)) throw err
      const { status, headers, body } = err.toResponse()
      ctx.status = status
      ctx.set(headers)
      ctx.set(DELEGATE_MARKER, marker)
      ctx.body = JSON.stringify(body)
    }
  })
  // RFC 9728 §3.1: the same middleware answers the metadata paths (and authenticates anything else).
  app.use((ctx, next) => (ctx.path.startsWith('/.well-known/') ? auth(ctx, next) : next()))
  const router = new Router()
  router.get('/public', (ctx) => {
    ctx.body = { public: true }
  })
  router.get('/protected', auth, ok)
  router.post('/protected', auth, ok)
  router.options('/protected', auth, ok)
  router.get('/admin', auth, requireRoles('admin'), ok)
  router.get('/reports', auth, requireScopes(REPORTS_SCOPE), ok)
  router.get('/verified', auth, requireClaims(isVerified), ok)
  router.get('/any-role', auth, requireRoles(ANY_ROLES, { mode: 'any' }), ok)
  router.get('/step-up', auth, requireAuthentication(STEP_UP), ok)
  if (spec.second) {
    const second = tokengate(spec.second, spec.adapterOptions)
    router.get('/stacked', auth, second, ok)
    router.get('/stacked-admin', auth, second, requireRoles('admin'), ok)
  }
  if (spec.timeoutMs !== undefined) {
    const ms = spec.timeoutMs
    // The usual Koa timeout: race the rest of the chain against a timer that answers 503.
    const timeout: Middleware = async (ctx, next) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms)
      }).then(() => {
        ctx.status = 503
        ctx.body = { timeout: true }
      })
      try {
        await Promise.race([next(), timedOut])
      } finally {
        clearTimeout(timer)
      }
    }
    router.get('/timed', timeout, auth, ok)
  }
  router.post('/session', async (ctx) => {
    let token = ''
    for await (const chunk of ctx.req) token += String(chunk)
    ctx.append('Set-Cookie', 'other=1; Path=/')
    setAuthCookie(ctx, SESSION_COOKIE, token, { maxAge: 3600 })
    ctx.body = { ok: true }
  })
  router.post('/logout', (ctx) => {
    ctx.append('Set-Cookie', 'other=; Max-Age=0; Path=/')
    clearAuthCookie(ctx, SESSION_COOKIE)
    ctx.body = { ok: true }
  })
  app.use(router.routes())
  return app
}
