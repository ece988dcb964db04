// @tokengate/testing used as its README shows: the loopback issuer against real tokengate apps
// (Express, Koa, Hono on Node), and the hostile corpus against them and against a naive app.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createAuthenticator, isAuthError } from '@tokengate/core'
import { tokengate as expressTokengate } from '@tokengate/express'
import { tokengate as honoTokengate, type AuthVariables } from '@tokengate/hono'
import { tokengate as koaTokengate, type AuthState } from '@tokengate/koa'
import express from 'express'
import { Hono } from 'hono'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  expectRejectsHostileTokens,
  hostileRequests,
  runHostileRequests,
  startIssuer,
  type LoopbackIssuer,
} from './index.js'

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
const authenticate = (a: ReturnType<typeof createAuthenticator>, token: string) =>
  a.authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } })
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: unknown) => (isAuthError(err) ? `${err.status} ${err.code}` : String(err)),
  )

describe('startIssuer', () => {
  let issuer: LoopbackIssuer
  beforeAll(async () => {
    issuer = await startIssuer({
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      encryption: 'RSA-OAEP-256',
    })
  })
  afterAll(() => issuer.close())

  it('serves discovery and a JWKS of public keys that tokengate verifies with, for each algorithm', async () => {
    const auth = createAuthenticator({
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      key: { discovery: issuer.discovery },
      audience: issuer.audience,
    })
    for (const alg of issuer.algorithms) {
      const ctx = await authenticate(auth, await issuer.sign({ sub: 'alice' }, { alg }))
      expect(ctx?.payload).toMatchObject({ sub: 'alice', iss: issuer.url, aud: issuer.audience })
      expect(ctx?.protectedHeader.alg).toBe(alg)
    }
    const jwks = issuer.jwks()
    expect(jwks.keys).toHaveLength(3)
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d')
  })

  it('signs the shapes a test needs: expired, not yet valid, other audience, no exp', async () => {
    const auth = createAuthenticator({
      algorithms: ['RS256'],
      key: { jwksUri: issuer.jwksUri },
      issuer: issuer.url,
      audience: issuer.audience,
    })
    const shapes = {
      expired: await issuer.sign({}, { alg: 'RS256', expiresIn: -60 }),
      notYetValid: await issuer.sign({}, { alg: 'RS256', notBefore: 600 }),
      otherAudience: await issuer.sign({}, { alg: 'RS256', audience: 'https://other.test' }),
      otherIssuer: await issuer.sign({}, { alg: 'RS256', issuer: 'https://other.test' }),
      withoutExp: await issuer.sign({}, { alg: 'RS256', withoutExp: true }),
    }
    const codes = Object.fromEntries(
      await Promise.all(
        Object.entries(shapes).map(async ([k, t]) => [k, await codeOf(authenticate(auth, t))]),
      ),
    )
    expect(codes).toEqual({
      expired: '401 token_expired',
      notYetValid: '401 token_not_yet_valid',
      otherAudience: '401 claim_invalid',
      otherIssuer: '401 claim_invalid',
      withoutExp: '401 claim_invalid',
    })
  })

  it('encrypts nested tokens to the API decryption key', async () => {
    const auth = createAuthenticator({
      algorithms: ['ES256'],
      key: { jwksUri: issuer.jwksUri },
      audience: issuer.audience,
      decrypt: {
        keys: issuer.decryptionKey!.privateJwk,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
        required: true,
      },
    })
    const jwe = await issuer.encrypt({ sub: 'carol' }, { alg: 'ES256' })
    expect(jwe.split('.')).toHaveLength(5)
    const ctx = await authenticate(auth, jwe)
    expect(ctx?.payload).toMatchObject({ sub: 'carol' })
    expect(ctx?.encryption?.protectedHeader).toMatchObject({ alg: 'RSA-OAEP-256', cty: 'JWT' })
  })

  it('rotates: old tokens verify while the old key is kept, and stop once it is retired', async () => {
    const own = await startIssuer({ algorithms: ['ES256'] })
    try {
      const options = {
        algorithms: ['ES256'] as const,
        key: { jwksUri: own.jwksUri, cooldown: '1s' },
        audience: own.audience,
        cache: false as const,
      }
      const old = await own.sign({ sub: 'a' })
      const oldKid = own.key().kid
      await own.rotate()
      expect(own.key().kid).not.toBe(oldKid)
      expect(own.jwks().keys.map((k) => k.kid)).toEqual([own.key().kid, oldKid])
      const fresh = createAuthenticator(options)
      expect(await codeOf(authenticate(fresh, old))).toBe('accepted')
      expect(await codeOf(authenticate(fresh, await own.sign({ sub: 'b' })))).toBe('accepted')
      await own.rotate({ retire: true })
      expect(own.jwks().keys.map((k) => k.kid)).toEqual([own.key().kid])
      expect(await codeOf(authenticate(createAuthenticator(options), old))).toBe(
        '401 key_not_found',
      )
    } finally {
      await own.close()
    }
  })

  it('goes down and comes back: 503 keys_unavailable, then verification', async () => {
    const own = await startIssuer()
    try {
      own.down()
      const options = { algorithms: ['ES256'] as const, key: { jwksUri: own.jwksUri } }
      const token = await own.sign({ sub: 'a' })
      expect(await codeOf(authenticate(createAuthenticator(options), token))).toBe(
        '503 keys_unavailable',
      )
      expect(own.requests).toBe(1)
      own.up()
      expect(await codeOf(authenticate(createAuthenticator(options), token))).toBe('accepted')
    } finally {
      await own.close()
    }
  })

  it('goes slow: a key fetch past the timeout is 503 keys_unavailable', async () => {
    const own = await startIssuer()
    try {
      own.slow(2_000)
      const auth = createAuthenticator({
        algorithms: ['ES256'],
        key: { jwksUri: own.jwksUri, timeout: '100ms' },
      })
      expect(await codeOf(authenticate(auth, await own.sign()))).toBe('503 keys_unavailable')
    } finally {
      own.slow(0)
      await own.close()
    }
  })

  it('refuses a key it does not hold with a message naming the fix', async () => {
    await expect(issuer.sign({}, { alg: 'HS256' })).rejects.toThrow(
      /no HS256 key; list HS256 in startIssuer\(\{ algorithms \}\)/,
    )
    const plain = await startIssuer()
    await expect(plain.encrypt()).rejects.toThrow(/startIssuer\(\{ encryption/)
    await plain.close()
  })
})

// The README's three framework examples, as they are written there.
describe('expectRejectsHostileTokens on tokengate apps', () => {
  let issuer: LoopbackIssuer
  const servers: Server[] = []
  beforeAll(async () => {
    issuer = await startIssuer({ algorithms: ['ES256'] })
  })
  afterAll(async () => {
    await Promise.all(servers.map(close))
    await issuer.close()
  })
  const options = () => ({
    algorithms: ['ES256'] as const,
    key: { jwksUri: issuer.jwksUri },
    issuer: issuer.url,
    audience: issuer.audience,
    from: { header: true, cookie: 'session' },
  })

  it('Express', async () => {
    const app = express()
    app.use(expressTokengate(options()))
    app.all('/api/me', (req, res) => res.json({ sub: req.auth?.payload.sub }))
    const server = createServer(app)
    servers.push(server)
    const report = await expectRejectsHostileTokens(await listen(server), {
      issuer,
      path: '/api/me',
      cookie: 'session',
    })
    expect(report.control).toBe(200)
    expect(report.sent).toBeGreaterThanOrEqual(40)
  })

  it('Koa', async () => {
    const app = new Koa<AuthState>()
    app.use(koaTokengate(options()))
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.auth?.payload.sub }
    })
    const server = createServer(app.callback())
    servers.push(server)
    await expectRejectsHostileTokens(await listen(server), {
      issuer,
      path: '/api/me',
      cookie: 'session',
    })
  })

  it('Hono', async () => {
    const app = new Hono<{ Variables: AuthVariables }>()
    app.use('/api/*', honoTokengate(options()))
    app.all('/api/me', (c) => c.json({ sub: c.get('auth').payload.sub }))
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    await new Promise<void>((resolve) => server.once('listening', resolve))
    servers.push(server)
    await expectRejectsHostileTokens(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      issuer,
      path: '/api/me',
      cookie: 'session',
    })
  })
})

describe('expectRejectsHostileTokens on an app that does not verify', () => {
  let issuer: LoopbackIssuer
  let server: Server
  let url: string
  beforeAll(async () => {
    issuer = await startIssuer()
    // Decodes the payload and trusts it: what the corpus exists to catch.
    server = createServer((req, res) => {
      const token = /^Bearer (\S+)/.exec(req.headers.authorization ?? '')?.[1]
      try {
        const payload = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString())
        res.writeHead(200).end(JSON.stringify(payload))
      } catch {
        res.writeHead(401).end()
      }
    })
    url = await listen(server)
  })
  afterAll(async () => {
    await close(server)
    await issuer.close()
  })

  it('fails, listing each hostile request the app accepted', async () => {
    const error = await expectRejectsHostileTokens(url, { issuer }).then(
      () => undefined,
      (err: unknown) => err as Error,
    )
    expect(error).toBeInstanceOf(Error)
    expect(error!.message).toMatch(/should refuse every hostile request with a 4xx; \d+ of \d+/)
    expect(error!.message).toContain('accepted (200): alg "none" (unsigned token) [RFC 8725 §3.1')
    expect(error!.message).toContain('accepted (200): expired an hour ago')
    expect(error!.message).toContain(
      "accepted (200): HS256 keyed with the issuer's public key (pem)",
    )
    expect(error!.message).not.toContain('no credentials')
  })

  it('reports without throwing through runHostileRequests', async () => {
    const report = await runHostileRequests(url, { issuer })
    expect(report.control).toBe(200)
    expect(report.accepted.length).toBeGreaterThan(20)
    expect(report.crashed).toEqual([])
  })

  it('refuses to pass when the app refuses the valid control request too', async () => {
    const other = await startIssuer()
    const app = express()
    app.use(expressTokengate({ algorithms: ['ES256'], key: { jwksUri: issuer.jwksUri } }))
    app.get('/', (_req, res) => res.json({}))
    const strict = createServer(app)
    try {
      await expect(
        expectRejectsHostileTokens(await listen(strict), { issuer: other }),
      ).rejects.toThrow(
        /answered 401 to a valid token from http:\/\/127\.0\.0\.1:\d+, so refusals prove nothing/,
      )
    } finally {
      await close(strict)
      await other.close()
    }
  })

  it('names a skipped case that does not exist', async () => {
    await expect(hostileRequests({ issuer, skip: ['no such case'] })).rejects.toThrow(
      /options.skip names no case: "no such case"/,
    )
  })
})
