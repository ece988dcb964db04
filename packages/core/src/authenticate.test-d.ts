// Type-level promises of createAuthenticator: the claims type flows from the zod schema to the context.
import type { JWTPayload } from 'jose'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  createAuthenticator,
  requireClaimsOf,
  type AuthContext,
  type Authenticator,
} from './index.js'

const base = { algorithms: ['HS256'] as const, key: 'x'.repeat(32) }

describe('createAuthenticator typing', () => {
  it('defaults the claims to JWTPayload', () => {
    const authenticator = createAuthenticator(base)
    expectTypeOf(authenticator).toEqualTypeOf<Authenticator<JWTPayload>>()
    expectTypeOf(
      authenticator.authenticate,
    ).returns.resolves.toEqualTypeOf<AuthContext<JWTPayload> | null>()
  })

  it('infers the claims from the zod schema output', () => {
    const claims = z.object({
      sub: z.string(),
      tenant: z.string().transform((t) => t.length),
      exp: z.number(),
    })
    const authenticator = createAuthenticator({ ...base, claims })
    type Ctx = NonNullable<Awaited<ReturnType<typeof authenticator.authenticate>>>
    expectTypeOf(authenticator.realm).toEqualTypeOf<string | undefined>()
    expectTypeOf<Ctx['payload']>().toEqualTypeOf<{ sub: string; tenant: number; exp: number }>()
  })

  it('types isRevoked and guards with the same claims', () => {
    const claims = z.object({ sub: z.string(), email_verified: z.boolean() })
    createAuthenticator({
      ...base,
      claims,
      isRevoked: (ctx) => {
        expectTypeOf(ctx.payload.sub).toEqualTypeOf<string>()
        return false
      },
    })
    const ctx = {} as AuthContext<z.infer<typeof claims>>
    requireClaimsOf(ctx, (payload) => {
      expectTypeOf(payload.email_verified).toEqualTypeOf<boolean>()
      return payload.email_verified
    })
  })

  it('rejects options that are not in the contract', () => {
    // @ts-expect-error unknown option
    createAuthenticator({ ...base, algorithm: ['HS256'] })
    // @ts-expect-error algorithms is required
    createAuthenticator({ key: 'x'.repeat(32) })
  })
})
