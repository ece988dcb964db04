// Typing promises of @tokengate/hono: c.get('auth') is typed, and claims from a zod schema flow through.
import type { AuthContext, AuthError } from '@tokengate/core'
import { Hono } from 'hono'
import type { Context } from 'hono'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { requireClaims, requireScopes, tokengate } from './index.js'
import type { AuthVariables } from './index.js'

const claims = z.object({ sub: z.string(), tenant: z.string() })
type Claims = z.output<typeof claims>

describe('@tokengate/hono types', () => {
  test('new Hono<{ Variables: AuthVariables<Claims> }>() types c.get and c.var', () => {
    const app = new Hono<{ Variables: AuthVariables<Claims> }>()
    app.use(tokengate({ algorithms: ['ES256'], key: 'k', claims }))
    app.get('/', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext<Claims>>()
      expectTypeOf(c.var.auth.payload.tenant).toEqualTypeOf<string>()
      return c.text('ok')
    })
  })

  test('route-level middleware carries the claims into the handler', () => {
    new Hono().get('/', tokengate({ algorithms: ['ES256'], key: 'k', claims }), (c) => {
      expectTypeOf(c.get('auth').payload).toEqualTypeOf<Claims>()
      return c.text('ok')
    })
  })

  test('optional mode: the context may be absent', () => {
    new Hono().get('/', tokengate({ algorithms: ['ES256'], key: 'k', optional: true }), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext | undefined>()
      return c.text('ok')
    })
  })

  test('guards fit any Hono app', () => {
    const app = new Hono<{ Variables: AuthVariables<Claims> }>()
    app.get(
      '/r',
      requireScopes('reports:read'),
      requireClaims<Claims>((p) => p.tenant === 'acme'),
      (c) => c.text(c.get('auth').payload.sub),
    )
  })

  test("property 'user': c.get('user') is typed, and the guard types still fit", () => {
    new Hono().get(
      '/',
      tokengate({ algorithms: ['ES256'], key: 'k', claims }, { property: 'user' }),
      (c) => {
        expectTypeOf(c.get('user').payload).toEqualTypeOf<Claims>()
        // @ts-expect-error -- the context is at 'user' now, not at 'auth'
        c.get('auth')
        return c.text('ok')
      },
    )
  })

  test("passthrough: the context may be absent, and c.get('authError') says why", () => {
    new Hono().get('/', tokengate({ algorithms: ['ES256'], key: 'k', passthrough: true }), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext | undefined>()
      expectTypeOf(c.get('authError')).toEqualTypeOf<AuthError | undefined>()
      return c.text('ok')
    })
  })

  test('Workers: tokengate<{ Bindings }>((c) => options) types c.env in the factory and the routes', () => {
    type Bindings = { JWT_SECRET: string }
    const app = new Hono<{ Bindings: Bindings }>()
      .use(
        tokengate<{ Bindings: Bindings }>((c) => {
          expectTypeOf(c.env.JWT_SECRET).toEqualTypeOf<string>()
          return { algorithms: ['HS256'], key: c.env.JWT_SECRET }
        }),
      )
      .get('/', (c) => {
        expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext>()
        expectTypeOf(c.env.JWT_SECRET).toEqualTypeOf<string>()
        return c.text('ok')
      })
    expectTypeOf(app).not.toBeAny()
  })

  test('Workers: an annotated factory infers the env, the claims and the property', () => {
    new Hono<{ Bindings: { S: string } }>().get(
      '/',
      tokengate(
        // Inferred from the return value, so the literal list needs `as const` (see the README).
        (c: Context<{ Bindings: { S: string } }>) => ({
          algorithms: ['HS256'] as const,
          key: c.env.S,
          claims,
        }),
        { property: 'user' },
      ),
      (c) => {
        expectTypeOf(c.get('user').payload).toEqualTypeOf<Claims>()
        return c.text('ok')
      },
    )
  })

  test('Workers: a factory of optional options gives an optional context', () => {
    new Hono().get(
      '/',
      tokengate(() => ({ algorithms: ['HS256'] as const, key: 'k', optional: true })),
      (c) => {
        expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext | undefined>()
        return c.text('ok')
      },
    )
  })
})
