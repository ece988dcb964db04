// The Express example: sign-in with an encrypted token in an HttpOnly cookie, guarded APIs, logout with revocation.
import {
  createExampleAuth,
  pageAssets,
  type ExampleClaims,
  type ExampleConfig,
} from '@tokengate/example-shared'
import {
  clearAuthCookie,
  isAuthError,
  requireRoles,
  requireScopes,
  setAuthCookie,
  tokengate,
} from '@tokengate/express'
import express, { type ErrorRequestHandler, type Express, type Request } from 'express'

// Types req.auth.payload with the example's claims, everywhere in this app.
declare module '@tokengate/express' {
  interface Register {
    claims: ExampleClaims
  }
}

export type { ExampleConfig } from '@tokengate/example-shared'

/**
 * Builds the app; keys are generated unless `config` provides them.
 *
 * @example
 * const app = await createApp({ insecureDevCookies: true })
 * app.listen(3000)
 */
export async function createApp(
  config: ExampleConfig = {},
): Promise<Express & { keysGenerated: boolean }> {
  const auth = await createExampleAuth(config)
  const authenticate = tokengate(auth.authenticator)
  const app = express()
  app.disable('x-powered-by')
  app.use((req, res, next) => {
    res.set(auth.securityHeaders(`${req.protocol}://${req.get('host')}${req.originalUrl}`))
    next()
  })

  for (const [path, asset] of Object.entries(pageAssets('Express'))) {
    app.get(path, (_req, res) => {
      res.type(asset.type).send(asset.body)
    })
  }

  app.get('/.well-known/jwks.json', (_req, res) => {
    res.json(auth.jwks)
  })

  // Small bodies only: a sign-in form is a few hundred bytes.
  const form = express.urlencoded({ extended: false, limit: '4kb' })
  const json = express.json({ limit: '4kb', strict: false })

  app.post('/login', form, json, async (req, res) => {
    const isForm =
      req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded'
    if (!isForm && !req.is('application/json')) {
      res.status(415).json({ error: 'invalid_request', error_description: 'Send a form or JSON.' })
      return
    }
    // Login CSRF: a sign-in from another site would log the victim into the attacker's account.
    const refused = auth.checkSignInOrigin(toRequestLike(req))
    if (refused) {
      res.status(refused.status).set(refused.headers).json(refused.body)
      return
    }
    // The socket's address: no proxy header is trusted unless `trust proxy` is set behind one.
    const result = await auth.signIn(req.body, req.ip)
    res.set('cache-control', 'no-store')
    if (!result.ok) {
      res.status(result.status).set(result.headers).json(result.body)
      return
    }
    setAuthCookie(res, auth.cookie.name, result.token, auth.cookie.options)
    if (isForm) res.redirect(303, '/')
    else res.json(auth.profile(result.user, result.expiresIn))
  })

  app.post('/token', json, async (req, res) => {
    res.set('cache-control', 'no-store')
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'invalid_request', error_description: 'Send JSON.' })
      return
    }
    const result = await auth.signIn(req.body, req.ip)
    if (!result.ok) {
      res.status(result.status).set(result.headers).json(result.body)
      return
    }
    res.json({ access_token: result.token, token_type: 'Bearer', expires_in: result.expiresIn })
  })

  // Logout is an authenticated, CSRF-checked request like any other unsafe cookie request.
  app.post('/logout', authenticate, async (req, res) => {
    await auth.signOut(req.auth!)
    clearAuthCookie(res, auth.cookie.name, auth.cookie.clearOptions)
    if (req.is('application/x-www-form-urlencoded')) res.redirect(303, '/')
    else res.status(204).end()
  })

  app.use('/api', authenticate, (_req, res, next) => {
    res.set('cache-control', 'no-store')
    next()
  })
  app.get('/api/me', (req, res) => {
    res.json(auth.me(req.auth!))
  })
  app.get('/api/admin', requireRoles('admin'), (req, res) => {
    res.json(auth.admin(req.auth!))
  })
  app.get('/api/reports', requireScopes('reports:read'), (req, res) => {
    res.json(auth.reports(req.auth!))
  })

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'No such route.' })
  })
  app.use(errorHandler)
  return Object.assign(app, { keysGenerated: auth.keysGenerated })
}

// Body-parser failures (bad JSON, too large) carry a 4xx status; anything else is our bug: 500.
const errorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) return next(err)
  if (isAuthError(err)) {
    const { status, headers, body } = err.toResponse()
    res.status(status).set(headers).json(body)
    return
  }
  const status =
    typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500
  if (status === 500) console.error(err)
  res.status(status).json({
    error: status === 500 ? 'server_error' : 'invalid_request',
    error_description:
      status === 500 ? 'Something went wrong.' : 'The request body could not be read.',
  })
}

function toRequestLike(req: Request) {
  return {
    method: req.method,
    url: `${req.protocol}://${req.get('host')}${req.originalUrl}`,
    headers: req.headersDistinct,
  }
}
