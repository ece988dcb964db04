// Typing promises of @tokengate/koa: ctx.state.auth is typed, and claims from a zod schema flow through.
import Router from '@koa/router'
import type { AuthContext, AuthError } from '@tokengate/core'
import Koa from 'koa'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { requireClaims, tokengate } from './index.js'
import type { AuthState } from './index.js'

const claims = z.object({ sub: z.string(), tenant: z.string() })
type Claims = z.output<typeof claims>

describe('@tokengate/koa types', () => {
  test('app.use(tokengate(...)) types ctx.state.auth from the zod schema', () => {
    const app = new Koa().use(tokengate({ algorithms: ['ES256'], key: 'k', claims }))
    app.use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthContext<Claims>>()
      expectTypeOf(ctx.state.auth.payload.tenant).toEqualTypeOf<string>()
    })
  })

  test("property 'user' (koa-jwt's default): ctx.state.user is typed", () => {
    const app = new Koa().use(
      tokengate({ algorithms: ['ES256'], key: 'k', claims }, { property: 'user' }),
    )
    app.use((ctx) => {
      expectTypeOf(ctx.state.user).toEqualTypeOf<AuthContext<Claims>>()
      expectTypeOf(ctx.state.user.payload.tenant).toEqualTypeOf<string>()
    })
  })

  test('passthrough: the context may be absent and ctx.state.authError says why', () => {
    const app = new Koa().use(tokengate({ algorithms: ['ES256'], key: 'k', passthrough: true }))
    app.use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthContext | undefined>()
      expectTypeOf(ctx.state.authError).toEqualTypeOf<AuthError | undefined>()
    })
  })

  test('optional mode: the context may be absent', () => {
    const app = new Koa().use(
      tokengate({ algorithms: ['ES256'], key: 'k', claims, optional: true }),
    )
    app.use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthContext<Claims> | undefined>()
    })
  })

  test('a router typed with AuthState', () => {
    const router = new Router<AuthState<Claims>>()
    router.get(
      '/',
      requireClaims<Claims>((payload) => payload.tenant === 'acme'),
      (ctx) => {
        expectTypeOf(ctx.state.auth.payload).toEqualTypeOf<Claims>()
      },
    )
  })

  test('requireClaims passes the claims type to the predicate', () => {
    requireClaims<Claims>((payload, ctx) => {
      expectTypeOf(payload).toEqualTypeOf<Claims>()
      expectTypeOf(ctx).toEqualTypeOf<AuthContext<Claims>>()
      return true
    })
  })
})
