// The Koa example: sign-in with an encrypted token in an HttpOnly cookie, guarded APIs, logout with revocation.
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
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
  type OptionalAuthState,
} from '@tokengate/koa'
import Koa from 'koa'

export type { ExampleConfig } from '@tokengate/example-shared'

type State = OptionalAuthState<ExampleClaims>

/**
 * Builds the app; keys are generated unless `config` provides them.
 *
 * @example
 * const app = await createApp({ insecureDevCookies: true })
 * app.listen(3001)
 */
export async function createApp(
  config: ExampleConfig = {},
): Promise<Koa<State> & { keysGenerated: boolean }> {
  const auth = await createExampleAuth(config)
  const authenticate = tokengate(auth.authenticator)
  const app = new Koa<State>()
  const router = new Router<State>()

  // Small bodies only: a sign-in form is a few hundred bytes.
  const parseBody = bodyParser({
    enableTypes: ['json', 'form'],
    jsonLimit: '4kb',
    formLimit: '4kb',
  })

  app.use(async (ctx, next) => {
    ctx.set(auth.securityHeaders(ctx.href))
    try {
      await next()
    } catch (err) {
      // Body-parser failures (bad JSON, too large) carry a 4xx status; anything else is our bug.
      if (isAuthError(err)) throw err
      const status = (err as { status?: unknown }).status
      if (typeof status !== 'number' || status < 400 || status >= 500) throw err
      ctx.status = status
      ctx.body = {
        error: 'invalid_request',
        error_description: 'The request body could not be read.',
      }
    }
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.status = 404
      ctx.body = { error: 'not_found', error_description: 'No such route.' }
    }
  })

  for (const [path, asset] of Object.entries(pageAssets('Koa'))) {
    router.get(path, (ctx) => {
      ctx.type = asset.type
      ctx.body = asset.body
    })
  }

  router.get('/.well-known/jwks.json', (ctx) => {
    ctx.body = auth.jwks
  })

  router.post('/login', parseBody, async (ctx) => {
    const isForm =
      ctx.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded'
    if (!isForm && !ctx.is('application/json')) {
      ctx.status = 415
      ctx.body = { error: 'invalid_request', error_description: 'Send a form or JSON.' }
      return
    }
    // Login CSRF: a sign-in from another site would log the victim into the attacker's account.
    const refused = auth.checkSignInOrigin({
      method: ctx.method,
      url: ctx.href,
      headers: ctx.req.headersDistinct,
    })
    if (refused) {
      ctx.status = refused.status
      ctx.set(refused.headers)
      ctx.body = refused.body
      return
    }
    // The socket's address: no proxy header is trusted unless `app.proxy` is set behind one.
    const result = await auth.signIn(ctx.request.body, ctx.ip)
    ctx.set('cache-control', 'no-store')
    if (!result.ok) {
      ctx.status = result.status
      ctx.set(result.headers)
      ctx.body = result.body
      return
    }
    setAuthCookie(ctx, auth.cookie.name, result.token, auth.cookie.options)
    if (isForm) {
      ctx.status = 303
      ctx.redirect('/')
    } else {
      ctx.body = auth.profile(result.user, result.expiresIn)
    }
  })

  router.post('/token', parseBody, async (ctx) => {
    ctx.set('cache-control', 'no-store')
    if (!ctx.is('application/json')) {
      ctx.status = 415
      ctx.body = { error: 'invalid_request', error_description: 'Send JSON.' }
      return
    }
    const result = await auth.signIn(ctx.request.body, ctx.ip)
    if (!result.ok) {
      ctx.status = result.status
      ctx.set(result.headers)
      ctx.body = result.body
      return
    }
    ctx.body = { access_token: result.token, token_type: 'Bearer', expires_in: result.expiresIn }
  })

  // Logout is an authenticated, CSRF-checked request like any other unsafe cookie request.
  router.post('/logout', authenticate, async (ctx) => {
    await auth.signOut(ctx.state.auth!)
    clearAuthCookie(ctx, auth.cookie.name, auth.cookie.clearOptions)
    if (ctx.is('application/x-www-form-urlencoded')) {
      ctx.status = 303
      ctx.redirect('/')
    } else {
      ctx.status = 204
    }
  })

  const api = new Router<State>({ prefix: '/api' })
  api.use(authenticate, async (ctx, next) => {
    ctx.set('cache-control', 'no-store')
    await next()
  })
  api.get('/me', (ctx) => {
    ctx.body = auth.me(ctx.state.auth!)
  })
  api.get('/admin', requireRoles('admin'), (ctx) => {
    ctx.body = auth.admin(ctx.state.auth!)
  })
  api.get('/reports', requireScopes('reports:read'), (ctx) => {
    ctx.body = auth.reports(ctx.state.auth!)
  })

  app.use(router.routes()).use(router.allowedMethods())
  app.use(api.routes()).use(api.allowedMethods())
  return Object.assign(app, { keysGenerated: auth.keysGenerated })
}
