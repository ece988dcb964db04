// authenticateOn and nodeWrite: the request flow and the Node write every Node adapter shares.
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
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
    expect(modes.get(key)).toBe(setup)
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
