// The Hono example: sign-in with an encrypted token in an HttpOnly cookie, guarded APIs, logout with revocation.
// Runtime-neutral: the same app runs on Node (serve.ts) and on Cloudflare Workers (worker.ts).
import {
  createExampleAuth,
  pageAssets,
  type ExampleClaims,
  type ExampleConfig,
} from '@tokengate/example-shared'
import {
  clearAuthCookie,
  requireRoles,
  requireScopes,
  setAuthCookie,
  tokengate,
  type OptionalAuthVariables,
} from '@tokengate/hono'
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'

export type { ExampleConfig } from '@tokengate/example-shared'

type Env = { Variables: OptionalAuthVariables<ExampleClaims> }
export type App = Hono<Env> & { keysGenerated: boolean }

/**
 * Builds the app; keys are generated unless `config` provides them.
 *
 * @example
 * const app = await createApp({ insecureDevCookies: true })
 * const res = await app.request('/.well-known/jwks.json')
 */
export async function createApp(config: ExampleConfig = {}): Promise<App> {
  const auth = await createExampleAuth(config)
  const authenticate = tokengate(auth.authenticator)
  const app = new Hono<Env>()

  app.use(async (c, next) => {
    await next()
    for (const [name, value] of Object.entries(auth.securityHeaders(c.req.url)))
      c.res.headers.set(name, value)
  })

  for (const [path, asset] of Object.entries(pageAssets('Hono'))) {
    app.get(path, (c) => c.body(asset.body, 200, { 'content-type': asset.type }))
  }

  app.get('/.well-known/jwks.json', (c) => c.json(auth.jwks))

  // Small bodies only: a sign-in form is a few hundred bytes.
  const limit = bodyLimit({
    maxSize: 4 * 1024,
    onError: (c) =>
      c.json(
        { error: 'invalid_request', error_description: 'The request body is too large.' },
        413,
      ),
  })

  app.post('/login', limit, async (c) => {
    const type = mediaType(c)
    if (type !== 'form' && type !== 'json') {
      return c.json({ error: 'invalid_request', error_description: 'Send a form or JSON.' }, 415)
    }
    // Login CSRF: a sign-in from another site would log the victim into the attacker's account.
    const refused = auth.checkSignInOrigin(c.req.raw)
    if (refused) return c.json(refused.body, refused.status as 403, refused.headers)
    const body = await readBody(c, type)
    if (body === INVALID) return unreadable(c)
    const result = await auth.signIn(body, clientAddress(c))
    c.header('cache-control', 'no-store')
    if (!result.ok) return c.json(result.body, result.status, result.headers)
    setAuthCookie(c, auth.cookie.name, result.token, auth.cookie.options)
    return type === 'form'
      ? c.redirect('/', 303)
      : c.json(auth.profile(result.user, result.expiresIn))
  })

  app.post('/token', limit, async (c) => {
    c.header('cache-control', 'no-store')
    if (mediaType(c) !== 'json')
      return c.json({ error: 'invalid_request', error_description: 'Send JSON.' }, 415)
    const body = await readBody(c, 'json')
    if (body === INVALID) return unreadable(c)
    const result = await auth.signIn(body, clientAddress(c))
    if (!result.ok) return c.json(result.body, result.status, result.headers)
    return c.json({
      access_token: result.token,
      token_type: 'Bearer',
      expires_in: result.expiresIn,
    })
  })

  // Logout is an authenticated, CSRF-checked request like any other unsafe cookie request.
  app.post('/logout', authenticate, async (c) => {
    await auth.signOut(c.get('auth')!)
    clearAuthCookie(c, auth.cookie.name, auth.cookie.clearOptions)
    return mediaType(c) === 'form' ? c.redirect('/', 303) : c.body(null, 204)
  })

  app.use('/api/*', authenticate, async (c, next) => {
    await next()
    c.header('cache-control', 'no-store')
  })
  app.get('/api/me', (c) => c.json(auth.me(c.get('auth')!)))
  app.get('/api/admin', requireRoles('admin'), (c) => c.json(auth.admin(c.get('auth')!)))
  app.get('/api/reports', requireScopes('reports:read'), (c) =>
    c.json(auth.reports(c.get('auth')!)),
  )

  app.notFound((c) => c.json({ error: 'not_found', error_description: 'No such route.' }, 404))
  return Object.assign(app, { keysGenerated: auth.keysGenerated })
}

const INVALID = Symbol('invalid body')

/**
 * The client's address, where the runtime gives it: on Node the socket @hono/node-server passes as
 * `env.incoming`; on Cloudflare Workers `CF-Connecting-IP`, which Cloudflare's edge sets itself
 * (overwriting any the client sent). Read only when there is no socket, so on Node a client can
 * never choose its own key with that header.
 */
function clientAddress(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
    ?.incoming
  if (incoming) return incoming.socket?.remoteAddress
  return c.req.header('cf-connecting-ip')
}

function mediaType(c: Context): 'form' | 'json' | undefined {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded') return 'form'
  if (type === 'application/json') return 'json'
  return undefined
}

async function readBody(c: Context, type: 'form' | 'json'): Promise<unknown> {
  try {
    return type === 'form'
      ? Object.fromEntries(new URLSearchParams(await c.req.text()))
      : await c.req.json()
  } catch {
    return INVALID
  }
}

function unreadable(c: Context) {
  return c.json(
    { error: 'invalid_request', error_description: 'The request body could not be read.' },
    400,
  )
}
