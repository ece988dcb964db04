// setupAdapter: what every adapter resolves once at start-up.
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { setupAdapter, toList } from './index.js'

const options = { algorithms: ['HS256'] as const, key: 'k'.repeat(32), realm: 'api' }

describe('setupAdapter', () => {
  it('builds an authenticator from options, with respond as the default error mode', () => {
    const setup = setupAdapter(createAuthenticator, options)
    expect(typeof setup.authenticator.authenticate).toBe('function')
    expect(setup).toMatchObject({ onError: 'respond', realm: 'api' })
  })

  it('uses an existing authenticator as it is', () => {
    const authenticator = createAuthenticator(options)
    const setup = setupAdapter(createAuthenticator, authenticator, { onError: 'delegate' })
    expect(setup.authenticator).toBe(authenticator)
    expect(setup.onError).toBe('delegate')
  })

  it('a bad option fails at start-up, not per request', () => {
    expect(() =>
      setupAdapter(createAuthenticator, { ...options, algorithms: ['none'] as never }),
    ).toThrow(/algorithms/)
  })

  it('an unknown onError fails at start-up with the accepted values', () => {
    expect(() => setupAdapter(createAuthenticator, options, { onError: 'throw' as never })).toThrow(
      /onError must be 'respond' or 'delegate', got "throw"/,
    )
  })
})

describe('toList', () => {
  it.each([
    ['admin', ['admin']],
    [
      ['a', 'b'],
      ['a', 'b'],
    ],
    [[], []],
  ] as const)('%j gives %j', (input, list) => {
    expect(toList(input)).toEqual(list)
  })

  it('copies, so a caller mutating its array cannot change a guard', () => {
    const roles = ['admin']
    const list = toList(roles)
    roles.push('other')
    expect(list).toEqual(['admin'])
  })
})

describe('@tokengate/core/adapter: a subpath of its own', () => {
  it("the main entry exports none of the adapters' kit, so apps never see it", async () => {
    const main = Object.keys(await import('../index.js'))
    const kit = Object.keys(await import('./index.js'))
    expect(kit.length).toBeGreaterThan(0)
    expect(kit.filter((name) => main.includes(name))).toEqual([])
  })

  it("'@tokengate/core/adapter' resolves to this module", async () => {
    const pkg = await import('@tokengate/core/adapter')
    expect(pkg.setupAdapter).toBe(setupAdapter)
  })
})
