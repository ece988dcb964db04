// Typing promises of @tokengate/fastify: request.auth is typed by declaration merging, and claims
// from a zod schema flow through.
import type { AuthContext, AuthError } from '@tokengate/core'
import Fastify from 'fastify'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { authHook, requireClaims, requireRoles, tokengate } from './index.js'
import type { AuthHook, AuthSlot } from './index.js'

const claims = z.object({ sub: z.string(), tenant: z.string(), email_verified: z.boolean() })
type Claims = z.output<typeof claims>

// The recipe from the README: register the claims once for the whole app.
declare module './index.js' {
  interface Register {
    claims: Claims
  }
}

describe('@tokengate/fastify types', () => {
  test('request.auth is the registered AuthContext, undefined when absent', () => {
    const app = Fastify()
    void app.register(tokengate, { authenticator: { algorithms: ['ES256'], key: 'k', claims } })
    app.get('/', async (request) => {
      expectTypeOf(request.auth).toEqualTypeOf<AuthContext<Claims> | undefined>()
      expectTypeOf(request.auth!.payload.tenant).toEqualTypeOf<string>()
      expectTypeOf(request.authError).toEqualTypeOf<AuthError | undefined>()
      return null
    })
  })

  test('fastify.authenticate and the guards are hooks a route lists', () => {
    const app = Fastify()
    expectTypeOf(app.authenticate).toEqualTypeOf<AuthHook>()
    app.get(
      '/',
      { onRequest: [app.authenticate], preHandler: requireRoles('admin') },
      async () => 1,
    )
    app.get('/b', { onRequest: authHook({ algorithms: ['ES256'], key: 'k' }) }, async () => 1)
  })

  test('the context property follows Register (default auth): AuthSlot names it', () => {
    expectTypeOf<AuthSlot>().toEqualTypeOf<{ auth?: AuthContext<Claims> }>()
  })

  test('the plugin options: the core options typed by the schema, adapter options beside them', () => {
    void Fastify().register(tokengate, {
      authenticator: { algorithms: ['ES256'], key: 'k' },
      onError: 'delegate',
      property: 'user',
      hook: false,
      decorator: 'authenticateAdmin',
    })
    const wrong = { authenticator: { algorithms: ['ES256' as const], key: 'k' }, onError: 'x' }
    // @ts-expect-error onError takes 'respond' or 'delegate'
    void Fastify().register(tokengate, wrong)
  })

  test('requireClaims sees the registered claims', () => {
    requireClaims((payload) => {
      expectTypeOf(payload).toEqualTypeOf<Claims>()
      return payload.email_verified
    })
  })
})
