// DEBUG=tokengate through setupAdapter (issue 16): explain mode and a logging listener, unless the
// options chose otherwise; the adapters pass process.env.DEBUG, the core reads no environment.
import { keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { AuthExplanation } from '../events.js'
import type { AuthError } from '../errors.js'
import type { AuthenticatorOptions } from '../types.js'
import { setupAdapter } from './setup.js'

let keys: TestKeys
beforeAll(async () => {
  keys = await keysFor('ES256', { kid: 'k1' })
})
afterEach(() => {
  vi.restoreAllMocks()
})

const options = (extra: Record<string, unknown> = {}) =>
  ({
    algorithms: ['ES256'],
    key: keys.publicJwk,
    audience: 'api',
    ...extra,
  }) as AuthenticatorOptions
const wrongAudience = async () => ({
  method: 'GET',
  url: '/',
  headers: {
    authorization: `Bearer ${await signToken({ sub: 'alice', aud: 'other' }, { alg: 'ES256', key: keys })}`,
  },
})
const refuse = async (debug: string | undefined, extra: Record<string, unknown> = {}) => {
  const { authenticator } = setupAdapter(createAuthenticator, options(extra), {}, [], debug)
  return (await authenticator.authenticate(await wrongAudience()).catch((e) => e)) as AuthError
}

describe('DEBUG=tokengate through setupAdapter', () => {
  it('turns explain on and logs each decision with console.warn', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const err = await refuse('express:*,tokengate')
    expect(err.cause).toBeInstanceOf(AuthExplanation)
    const lines = warn.mock.calls.map((c) => String(c[0]))
    expect(lines.some((l) => /^tokengate GET refused 401 claim_invalid at claims/.test(l))).toBe(
      true,
    )
    expect(lines.some((l) => l.includes('aud: expected ["api"], received "other"'))).toBe(true)
  })

  it('leaves explain: false and an app listener alone', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const onDecision = vi.fn()
    const err = await refuse('tokengate', { explain: false, onDecision })
    expect(err.cause).toBeUndefined()
    expect(onDecision).toHaveBeenCalledTimes(1)
  })

  it('does nothing without DEBUG naming tokengate', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    expect((await refuse(undefined)).cause).toBeUndefined()
    expect((await refuse('express:*')).cause).toBeUndefined()
    expect(warn).not.toHaveBeenCalled()
  })
})
