// The conformance app on Hono; runtime-neutral so the Workers run bundles the very same file.
import { isAuthError } from '@tokengate/core'
import {
  authErrorResponse,
  clearAuthCookie,
  requireAuthentication,
  requireClaims,
  requireRoles,
  requireScopes,
  setAuthCookie,
  tokengate,
} from '@tokengate/hono'
import type { OptionalAuthVariables } from '@tokengate/hono'
import { Hono } from 'hono'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { timeout } from 'hono/timeout'
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

type Env = { Variables: OptionalAuthVariables }

export function buildHonoApp(spec: AppSpec): Hono<Env> {
  const app = new Hono<Env>()
  const auth = tokengate(spec.options, spec.adapterOptions)
  const property = spec.adapterOptions?.property ?? 'auth'
  const ok = (c: Context<Env>) =>
    c.json(protectedBody(c.get(property as 'auth'), c.get('authError')))
  app.get('/public', (c) => c.json({ public: true }))
  // RFC 9728 §3.1: the same middleware answers the metadata paths (and authenticates anything else).
  app.use('/.well-known/*', auth)
  app.on(['GET', 'POST', 'OPTIONS'], '/protected', auth, ok)
  app.get('/admin', auth, requireRoles('admin'), ok)
  app.get('/reports', auth, requireScopes(REPORTS_SCOPE), ok)
  app.get('/verified', auth, requireClaims(isVerified), ok)
  app.get('/any-role', auth, requireRoles(ANY_ROLES, { mode: 'any' }), ok)
  app.get('/step-up', auth, requireAuthentication(STEP_UP), ok)
  if (spec.second) {
    const second = tokengate(spec.second, spec.adapterOptions)
    app.get('/stacked', auth, second, ok)
    app.get('/stacked-admin', auth, second, requireRoles('admin'), ok)
  }
  if (spec.timeoutMs !== undefined) {
    // Hono's own request-timeout middleware: its HTTPException(503) is rendered by app.onError.
    const limit = timeout(
      spec.timeoutMs,
      () =>
        new HTTPException(503, {
          res: Response.json({ timeout: true }, { status: 503 }),
        }),
    )
    app.get('/timed', limit, auth, ok)
  }
  app.post('/session', async (c) => {
    c.header('Set-Cookie', 'other=1; Path=/', { append: true })
    setAuthCookie(c, SESSION_COOKIE, await c.req.text(), { maxAge: 3600 })
    return c.json({ ok: true })
  })
  app.post('/logout', (c) => {
    c.header('Set-Cookie', 'other=; Max-Age=0; Path=/', { append: true })
    clearAuthCookie(c, SESSION_COOKIE)
    return c.json({ ok: true })
  })
  // The app's own error handling: app.onError renders AuthErrors, anything else is Hono's 500.
  app.onError((err, c) => {
    if (err instanceof HTTPException && isAuthError(err.cause)) {
      const res = authErrorResponse(err.cause)
      res.headers.set(DELEGATE_MARKER, 'hono')
      return res
    }
    // Another HTTPException (hono/timeout's 503): its own response, as Hono's default handler does.
    if (err instanceof HTTPException) return err.getResponse()
    return c.text('Internal Server Error', 500)
  })
  return app
}
