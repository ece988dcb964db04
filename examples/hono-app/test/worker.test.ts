// The Hono example in a real Workers runtime: bundled with esbuild as wrangler would, served by miniflare (workerd).
import { fileURLToPath } from 'node:url'
import { DEMO_USERS } from '@tokengate/example-shared'
import { parseSetCookie } from '@tokengate/example-shared/testing'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ORIGIN = 'http://localhost:8787'
const alice = DEMO_USERS.find((u) => u.username === 'alice')!
const bob = DEMO_USERS.find((u) => u.username === 'bob')!

describe('Hono example on Cloudflare Workers (miniflare)', () => {
  let mf: Miniflare

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('../src/worker.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      // The export conditions wrangler uses for workerd; `@tokengate/source` bundles our sources.
      conditions: ['@tokengate/source', 'workerd', 'worker', 'browser'],
      logLevel: 'silent',
    })
    const script = bundle.outputFiles[0]!.text
    // Proof that the bundle is runtime-neutral: nothing from Node was pulled in.
    expect(script).not.toMatch(/from\s*["']node:/)
    mf = new Miniflare({ modules: true, script, compatibilityDate: '2025-09-01' })
  })
  afterAll(() => mf?.dispose())

  const signIn = async (user: { username: string; password: string }) => {
    const res = await mf.dispatchFetch(`${ORIGIN}/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: ORIGIN,
        'sec-fetch-site': 'same-origin',
      },
      body: JSON.stringify({ username: user.username, password: user.password }),
    })
    expect(res.status).toBe(200)
    const cookie = parseSetCookie(res.headers.getSetCookie()[0]!)
    return `${cookie.name}=${cookie.value}`
  }

  // Issue 21: Secure is decided per request from its own URL, not by the first request an isolate
  // saw (which, in this suite as in `wrangler dev`, was plain http on localhost).
  it('decides Secure cookies per request: http://localhost without, https with __Host- and HSTS', async () => {
    const login = (origin: string) =>
      mf.dispatchFetch(`${origin}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, 'sec-fetch-site': 'same-origin' },
        body: JSON.stringify({ username: bob.username, password: bob.password }),
      })
    const dev = await login(ORIGIN)
    expect(dev.status).toBe(200)
    const devCookie = parseSetCookie(dev.headers.getSetCookie()[0]!)
    expect(devCookie.attributes.has('secure')).toBe(false)
    expect(dev.headers.get('strict-transport-security')).toBeNull()

    const deployed = 'https://tokengate-example.workers.dev'
    const prod = await login(deployed)
    expect(prod.status).toBe(200)
    const prodCookie = parseSetCookie(prod.headers.getSetCookie()[0]!)
    expect(prodCookie.name).toBe('__Host-tokengate')
    expect(prodCookie.attributes.has('secure')).toBe(true)
    expect(prod.headers.get('strict-transport-security')).toBe('max-age=31536000')
    const me = await mf.dispatchFetch(`${deployed}/api/me`, {
      headers: { cookie: `${prodCookie.name}=${prodCookie.value}` },
    })
    expect(me.status).toBe(200)
    // Both modes share the isolate's keys: a token minted in one is accepted by the other.
    const minted = await mf.dispatchFetch(`${ORIGIN}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: bob.username, password: bob.password }),
    })
    const { access_token: bearer } = (await minted.json()) as { access_token: string }
    const across = await mf.dispatchFetch(`${deployed}/api/me`, {
      headers: { authorization: `Bearer ${bearer}` },
    })
    expect(across.status).toBe(200)
    // And the first mode is still decided by its own requests.
    const again = await login(ORIGIN)
    expect(parseSetCookie(again.headers.getSetCookie()[0]!).attributes.has('secure')).toBe(false)
  })

  it('signs alice in (PBKDF2 within the Workers limit) and sets an HttpOnly cookie with a JWE', async () => {
    const res = await mf.dispatchFetch(`${ORIGIN}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
      body: new URLSearchParams({ username: alice.username, password: alice.password }).toString(),
      redirect: 'manual',
    })
    expect(res.status).toBe(303)
    const cookie = parseSetCookie(res.headers.getSetCookie()[0]!)
    expect(cookie.attributes.has('httponly')).toBe(true)
    expect(cookie.value.split('.')).toHaveLength(5)
  })

  it('answers /api/me from the cookie, and 401 without it', async () => {
    const cookie = await signIn(alice)
    const me = await mf.dispatchFetch(`${ORIGIN}/api/me`, { headers: { cookie } })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ sub: alice.id, roles: alice.roles, source: 'cookie' })
    const anonymous = await mf.dispatchFetch(`${ORIGIN}/api/me`)
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ code: 'token_missing' })
  })

  it('guards /api/admin by role: alice 200, bob 403 insufficient_role', async () => {
    const asAlice = await mf.dispatchFetch(`${ORIGIN}/api/admin`, {
      headers: { cookie: await signIn(alice) },
    })
    expect(asAlice.status).toBe(200)
    const asBob = await mf.dispatchFetch(`${ORIGIN}/api/admin`, {
      headers: { cookie: await signIn(bob) },
    })
    expect(asBob.status).toBe(403)
    expect(await asBob.json()).toMatchObject({ code: 'insufficient_role' })
  })

  it('issues bearer tokens on /token and revokes them on /logout', async () => {
    const res = await mf.dispatchFetch(`${ORIGIN}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: bob.username, password: bob.password }),
    })
    const { access_token } = (await res.json()) as { access_token: string }
    const authorization = `Bearer ${access_token}`
    expect(
      (await mf.dispatchFetch(`${ORIGIN}/api/reports`, { headers: { authorization } })).status,
    ).toBe(200)
    const out = await mf.dispatchFetch(`${ORIGIN}/logout`, {
      method: 'POST',
      headers: { authorization },
    })
    expect(out.status).toBe(204)
    const after = await mf.dispatchFetch(`${ORIGIN}/api/me`, { headers: { authorization } })
    expect(after.status).toBe(401)
    expect(await after.json()).toMatchObject({ code: 'token_revoked' })
  })

  it('publishes the public signing key only', async () => {
    const res = await mf.dispatchFetch(`${ORIGIN}/.well-known/jwks.json`)
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] }
    expect(keys).toHaveLength(1)
    expect(keys[0]).not.toHaveProperty('d')
  })
})
