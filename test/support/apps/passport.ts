// The conformance app on Passport (Express 5): the tokengate strategy through authenticate(), which
// answers refusals exactly; the strategy is registered on a Passport instance of the app's own.
import { isAuthError, type AuthContext } from '@tokengate/core'
import {
  TokengateStrategy,
  authErrorHandler,
  authenticate,
  clearAuthCookie,
  requireAuthentication,
  requireClaims,
  requireRoles,
  requireScopes,
  setAuthCookie,
} from '@tokengate/passport'
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express'
import { Passport } from 'passport'
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

export function buildPassportApp(spec: AppSpec): Express {
  const app = express()
  // The default 500 page must not print stacks; this is the setting production apps run with.
  app.set('env', 'production')
  const passport = new Passport()
  passport.use(new TokengateStrategy(spec.options, spec.adapterOptions))
  app.use(passport.initialize())
  const auth = authenticate('tokengate', { passport })
  const property = spec.adapterOptions?.property ?? 'auth'
  const ok: RequestHandler = (req, res) => {
    const context = (req as unknown as Record<string, AuthContext | undefined>)[property]
    res.json(protectedBody(context, req.authError))
  }
  app.get('/public', (_req, res) => {
    res.json({ public: true })
  })
  // RFC 9728 §3.1: the strategy answers the metadata paths (and authenticates anything else).
  app.use('/.well-known', auth)
  app.get('/protected', auth, ok)
  app.post('/protected', auth, ok)
  app.options('/protected', auth, ok)
  app.get('/admin', auth, requireRoles('admin'), ok)
  app.get('/reports', auth, requireScopes(REPORTS_SCOPE), ok)
  app.get('/verified', auth, requireClaims(isVerified), ok)
  app.get('/any-role', auth, requireRoles(ANY_ROLES, { mode: 'any' }), ok)
  app.get('/step-up', auth, requireAuthentication(STEP_UP), ok)
  if (spec.second) {
    passport.use(new TokengateStrategy(spec.second, { ...spec.adapterOptions, name: 'second' }))
    const second = authenticate('second', { passport })
    app.get('/stacked', auth, second, ok)
    app.get('/stacked-admin', auth, second, requireRoles('admin'), ok)
  }
  if (spec.timeoutMs !== undefined) {
    const ms = spec.timeoutMs
    // What connect-timeout and hand-written equivalents do: answer 503 and let the chain run on.
    const timeout: RequestHandler = (_req, res, next) => {
      const timer = setTimeout(() => {
        if (!res.headersSent) res.status(503).json({ timeout: true })
      }, ms)
      res.on('close', () => clearTimeout(timer))
      next()
    }
    app.get('/timed', timeout, auth, ok)
  }
  app.post('/session', express.text({ type: '*/*' }), (req, res) => {
    res.append('Set-Cookie', 'other=1; Path=/')
    setAuthCookie(res, SESSION_COOKIE, String(req.body), { maxAge: 3600 })
    res.json({ ok: true })
  })
  app.post('/logout', (_req, res) => {
    res.append('Set-Cookie', 'other=; Max-Age=0; Path=/')
    clearAuthCookie(res, SESSION_COOKIE)
    res.json({ ok: true })
  })
  // The app's own error handler: marks the path taken, then lets tokengate's handler render.
  const onError: ErrorRequestHandler = (err, req, res, next) => {
    if (isAuthError(err)) res.setHeader(DELEGATE_MARKER, 'passport')
    authErrorHandler(err, req, res, next)
  }
  app.use(onError)
  return app
}
