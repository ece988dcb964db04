// The conformance app on Fastify 5: the plugin's hook on an encapsulated context, guards as preHandlers.
import { isAuthError, type AuthContext } from '@tokengate/core'
import {
  authErrorHandler,
  authHook,
  clearAuthCookie,
  requireAuthentication,
  requireClaims,
  requireRoles,
  requireScopes,
  setAuthCookie,
  tokengate,
} from '@tokengate/fastify'
import Fastify, { type FastifyInstance, type RouteHandlerMethod } from 'fastify'
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

export async function buildFastifyApp(spec: AppSpec): Promise<FastifyInstance> {
  const app = Fastify()
  const property = spec.adapterOptions?.property ?? 'auth'
  const ok: RouteHandlerMethod = async (request) => {
    const context = (request as unknown as Record<string, AuthContext | undefined>)[property]
    return protectedBody(context, request.authError)
  }
  // The app's own error handler: marks the path taken and lets tokengate's handler render AuthErrors;
  // handlerTimeout's error is the /timed 503; anything else a bare 500 (no message: it may be a bug's).
  app.setErrorHandler((error, request, reply) => {
    if (isAuthError(error))
      return authErrorHandler(error, request, reply.header(DELEGATE_MARKER, 'fastify'))
    if ((error as { code?: unknown }).code === 'FST_ERR_HANDLER_TIMEOUT')
      return reply.code(503).send({ timeout: true })
    return reply.code(500).send({ error: 'Internal Server Error' })
  })
  // POST /session reads the raw body whatever its type, as express.text({ type: '*/*' }) does.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  app.get('/public', async () => ({ public: true }))
  app.post('/session', async (request, reply) => {
    reply.header('set-cookie', 'other=1; Path=/')
    setAuthCookie(reply, SESSION_COOKIE, String(request.body), { maxAge: 3600 })
    return { ok: true }
  })
  app.post('/logout', async (_request, reply) => {
    reply.header('set-cookie', 'other=; Max-Age=0; Path=/')
    clearAuthCookie(reply, SESSION_COOKIE)
    return { ok: true }
  })
  // Everything below authenticates: the plugin's onRequest hook on this encapsulated context only.
  await app.register(async (api) => {
    await api.register(tokengate, { authenticator: spec.options, ...spec.adapterOptions })
    // RFC 9728 §3.1: the same hook answers the metadata paths (and authenticates anything else).
    api.all('/.well-known/*', async (_request, reply) => reply.callNotFound())
    api.get('/protected', ok)
    api.post('/protected', ok)
    api.options('/protected', ok)
    api.get('/admin', { preHandler: requireRoles('admin') }, ok)
    api.get('/reports', { preHandler: requireScopes(REPORTS_SCOPE) }, ok)
    api.get('/verified', { preHandler: requireClaims(isVerified) }, ok)
    api.get('/any-role', { preHandler: requireRoles(ANY_ROLES, { mode: 'any' }) }, ok)
    api.get('/step-up', { preHandler: requireAuthentication(STEP_UP) }, ok)
    if (spec.second) {
      // Route-level hooks run after the context's: the second authenticator speaks last.
      const second = authHook(spec.second, spec.adapterOptions)
      api.get('/stacked', { onRequest: [second] }, ok)
      api.get('/stacked-admin', { onRequest: [second], preHandler: requireRoles('admin') }, ok)
    }
    // Fastify's own request timeout (handlerTimeout): its 503 goes through the error handler above.
    if (spec.timeoutMs !== undefined) api.get('/timed', { handlerTimeout: spec.timeoutMs }, ok)
  })
  return app
}
