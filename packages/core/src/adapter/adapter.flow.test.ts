// authenticateOn and nodeWrite: the request flow and the Node write every Node adapter shares.
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { AuthError } from '../errors.js'
import { authenticateOn, nodeWrite, RequestModes, setupAdapter } from './index.js'

const options = { algorithms: ['HS256'] as const, key: 'k'.repeat(32), passthrough: true }
const request = {
  method: 'GET',
  url: 'http://api.test/x',
  headers: { authorization: 'Bearer not-a-jwt' },
}

function run(answered: boolean) {
  const setup = setupAdapter(createAuthenticator, options)
  const modes = new RequestModes<object>()
  const key = {}
  // What an earlier tokengate() left on the request: it must not survive this one.
  const slots: Record<string, unknown> = { auth: 'earlier', authError: 'earlier' }
  const target = {
    set: (n: string, v: unknown) => (slots[n] = v),
    header: () => {},
    answered: () => answered,
  }
  return { setup, modes, key, slots, result: authenticateOn(modes, key, setup, request, target) }
}

describe('authenticateOn', () => {
  it('records the mode, forgets an earlier context and attaches the passthrough refusal', async () => {
    const { setup, modes, key, slots, result } = run(false)
    const attempt = await result
    // A default mode is not stored (issue 17): it reads exactly as the setup would.
    expect(modes.get(key)).toBeUndefined()
    expect([modes.property(key), modes.delegates(key)]).toEqual([setup.property, false])
    expect(attempt?.context).toBeNull()
    expect(attempt?.refusal?.status).toBe(401)
    expect(slots).toEqual({ auth: undefined, authError: attempt?.refusal })
  })

  it('attaches nothing when someone answered meanwhile (the route must not run)', async () => {
    const { slots, result } = run(true)
    expect(await result).toBeUndefined()
    expect(slots).toEqual({ auth: undefined, authError: undefined })
  })
})

describe('RequestModes', () => {
  const refused = () => {
    throw new AuthError('insufficient_scope', 'short')
  }
  /** Everything a guard or a failure reads of a request's mode. */
  const reads = (modes: RequestModes<object>, key: object) => {
    const refusal = modes.refusal(key, new AuthError('token_missing', 'none'))
    return {
      property: modes.property(key),
      delegates: modes.delegates(key),
      challenge: refusal?.toResponse().headers['www-authenticate'],
      guard: (modes.check(key, refused, () => undefined)?.error as AuthError).code,
    }
  }

  it('a default mode reads as none, and replaces an earlier non-default one', () => {
    const modes = new RequestModes<object>()
    const plain = setupAdapter(createAuthenticator, options)
    const none = reads(modes, {})
    const key = {}
    modes.set(key, plain)
    expect(reads(modes, key)).toEqual(none)
    // An earlier tokengate() with a realm, delegating, under `user`: the later default one speaks.
    const earlier = setupAdapter(
      createAuthenticator,
      { ...options, realm: 'api' },
      { onError: 'delegate', property: 'user' },
    )
    const other = {}
    modes.set(other, earlier)
    expect(reads(modes, other)).toEqual({
      property: 'user',
      delegates: true,
      challenge: 'Bearer realm="api"',
      guard: 'insufficient_scope',
    })
    modes.set(other, plain)
    expect(reads(modes, other)).toEqual(none)
    expect(modes.get(other)).toBeUndefined()
  })
})

describe('nodeWrite', () => {
  it("writes status, headers and body with Node's own calls", () => {
    const written: Record<string, unknown> = {}
    const res = {
      statusCode: 200,
      setHeader: (name: string, value: string) => (written[name] = value),
      end: (body: string) => (written.body = body),
    }
    nodeWrite(res, { status: 401, headers: { 'cache-control': 'no-store' }, body: '{}' })
    expect(res.statusCode).toBe(401)
    expect(written).toEqual({ 'cache-control': 'no-store', body: '{}' })
  })
})
