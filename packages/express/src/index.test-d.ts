// Typing promises of @tokengate/express: req.auth is typed, and claims from a zod schema flow through.
import type { AuthContext, AuthError } from '@tokengate/core'
import express from 'express'
import type { RequestHandler } from 'express'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { authErrorHandler, requireClaims, requireRoles, requireScopes, tokengate } from './index.js'
import type { AuthSlot } from './index.js'

const claims = z.object({ sub: z.string(), tenant: z.string(), email_verified: z.boolean() })
type Claims = z.output<typeof claims>

// The recipe from the README: register the claims once for the whole app.
declare module './index.js' {
  interface Register {
    claims: Claims
  }
}

describe('@tokengate/express types', () => {
  test('req.auth is the registered AuthContext, undefined when absent', () => {
    const app = express()
    app.use(tokengate({ algorithms: ['ES256'], key: 'jwk-or-pem', claims }))
    app.get('/', (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<AuthContext<Claims> | undefined>()
      expectTypeOf(req.auth!.payload.tenant).toEqualTypeOf<string>()
      expectTypeOf(req.auth!.scopes).toEqualTypeOf<string[]>()
      res.end()
    })
  })

  test('with passthrough, req.authError is the refusal (an AuthError) or undefined', () => {
    express().get(
      '/',
      tokengate({ algorithms: ['ES256'], key: 'k', passthrough: true }),
      (req, res) => {
        expectTypeOf(req.authError).toEqualTypeOf<AuthError | undefined>()
        res.end()
      },
    )
  })

  test('the context property follows Register (default auth): AuthSlot names it', () => {
    expectTypeOf<AuthSlot>().toEqualTypeOf<{ auth?: AuthContext<Claims> }>()
  })

  test('the zod schema types the claims inside the options', () => {
    tokengate({
      algorithms: ['ES256'],
      key: 'jwk-or-pem',
      claims,
      isRevoked: (ctx) => {
        expectTypeOf(ctx.payload).toEqualTypeOf<Claims>()
        return false
      },
    })
  })

  test('requireClaims sees the registered claims', () => {
    requireClaims((payload, ctx) => {
      expectTypeOf(payload).toEqualTypeOf<Claims>()
      expectTypeOf(ctx).toEqualTypeOf<AuthContext<Claims>>()
      return payload.email_verified
    })
  })

  test('middleware and error handler are plain Express handlers', () => {
    expectTypeOf(tokengate({ algorithms: ['ES256'], key: 'k' })).toEqualTypeOf<RequestHandler>()
    expectTypeOf(requireRoles(['a', 'b'], { mode: 'any' })).toEqualTypeOf<RequestHandler>()
    expectTypeOf(requireScopes('reports:read')).toEqualTypeOf<RequestHandler>()
    expectTypeOf(authErrorHandler).parameters.toHaveProperty('length')
    // @ts-expect-error: onError takes only 'respond' or 'delegate'
    tokengate({ algorithms: ['ES256'], key: 'k' }, { onError: 'throw' })
  })
})
