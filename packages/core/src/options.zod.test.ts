// Options and the zod split (issue 14 item 4): the core validates its own options with its own rules and
// runs the app's `claims` schema through the schema's own safeParseAsync, importing no full zod.
import { keysFor, signToken } from '@tokengate/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createAuthenticator } from './authenticate.js'

type Keys = Awaited<ReturnType<typeof keysFor>>
let es256: Keys
beforeAll(async () => {
  es256 = await keysFor('ES256')
})

describe('claims schema: run through its own safeParseAsync (the core imports no full zod)', () => {
  it("a zod schema's output becomes the payload, and a failing claim is claim_invalid (RFC 7519 §7.2 step 10)", async () => {
    const auth = createAuthenticator({
      algorithms: ['ES256'],
      key: es256.publicKey,
      claims: z.object({ sub: z.string(), n: z.coerce.number() }),
    })
    const good = await signToken({ sub: 'u1', n: '7' }, { alg: 'ES256', key: es256 })
    const ctx = await auth.authenticate({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${good}` },
    })
    expect(ctx?.payload).toMatchObject({ sub: 'u1', n: 7 })
    const bad = await signToken({ sub: 'u1', n: 'x' }, { alg: 'ES256', key: es256 })
    await expect(
      auth.authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${bad}` } }),
    ).rejects.toMatchObject({ code: 'claim_invalid' })
  })
})

describe('default messages stay English, as zod worded them (no locale is read)', () => {
  it("an empty claim name gets zod's English message, as with full zod", () => {
    expect(() =>
      createAuthenticator({ algorithms: ['ES256'], key: es256.publicKey, requiredClaims: [''] }),
    ).toThrow(
      'tokengate: options.requiredClaims.0 Too small: expected string to have >=1 characters',
    )
  })
})
