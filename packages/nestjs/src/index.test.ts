// What the conformance table cannot see: Nest's module wiring (forRootAsync from ConfigService, a
// guard per controller, requirements on class and handler), start-up errors, delegate fallbacks.
import 'reflect-metadata'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common'
import { ConfigModule, ConfigService } from '@nestjs/config'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  Auth,
  Public,
  Roles,
  Scopes,
  TokengateGuard,
  TokengateModule,
  createTokengateGuard,
  type AdapterOptions,
  type AuthOf,
} from './index.js'

let keys: TestKeys
beforeAll(async () => {
  keys = await keysFor('ES256')
})
const token = (claims = {}) => signToken({ sub: 'alice', ...claims }, { alg: 'ES256', key: keys })
const apps: INestApplication[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

@Controller('guarded')
@UseGuards(TokengateGuard)
@Roles('admin')
class GuardedController {
  @Get('me') me(@Auth() auth: AuthOf) {
    return { sub: auth?.payload.sub }
  }
  @Scopes('reports:read') @Get('reports') reports(@Auth('payload') payload: unknown) {
    return payload
  }
  @Public() @Get('open') open(@Auth() auth: AuthOf) {
    return { auth: auth ?? null }
  }
}

@Controller('free')
class FreeController {
  @Get() free() {
    return { free: true }
  }
}

async function start(
  module: unknown,
  platform: 'express' | 'fastify' = 'express',
): Promise<(path: string, token?: string) => Promise<Response>> {
  @Module({ imports: [module as never], controllers: [GuardedController, FreeController] })
  class AppModule {}
  const app =
    platform === 'express'
      ? await NestFactory.create(AppModule, { logger: false })
      : await NestFactory.create(AppModule, new FastifyAdapter() as never, { logger: false })
  apps.push(app)
  await app.listen(0, '127.0.0.1')
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo
  return (path, bearer) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    })
}

describe.each(['express', 'fastify'] as const)('on platform-%s', (platform) => {
  it('forRootAsync reads its options from ConfigService, once, at start-up', async () => {
    let calls = 0
    const request = await start(
      TokengateModule.forRootAsync({
        imports: [
          ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ jwk: keys.publicJwk })] }),
        ],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => {
          calls++
          return { algorithms: ['ES256'], key: config.getOrThrow('jwk'), realm: 'api' }
        },
      }),
      platform,
    )
    const ok = await request('/guarded/me', await token({ roles: ['admin'] }))
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ sub: 'alice' })
    await request('/guarded/me', await token({ roles: ['admin'] }))
    expect(calls).toBe(1)
  })

  it('a per-controller guard: its routes need a token, other controllers do not', async () => {
    const request = await start(
      TokengateModule.forRoot({ algorithms: ['ES256'], key: keys.publicJwk, realm: 'api' }),
      platform,
    )
    const refused = await request('/guarded/me')
    // Exactly the core's answer, not Nest's bare 403 `{"message":"Forbidden resource"}`.
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="api"')
    expect(refused.headers.get('content-type')).toBe('application/json')
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(await refused.text()).toBe(
      '{"error_description":"the request has no bearer token","code":"token_missing"}',
    )
    expect((await request('/free')).status).toBe(200)
    expect(await (await request('/guarded/open')).json()).toEqual({ auth: null })
  })

  it("the controller's @Roles and the handler's @Scopes both apply", async () => {
    const request = await start(
      TokengateModule.forRoot({ algorithms: ['ES256'], key: keys.publicJwk }),
      platform,
    )
    const notAdmin = await request('/guarded/reports', await token({ scope: 'reports:read' }))
    expect(notAdmin.status).toBe(403)
    expect(await notAdmin.json()).toMatchObject({ code: 'insufficient_role' })
    const noScope = await request('/guarded/reports', await token({ roles: ['admin'] }))
    expect(noScope.status).toBe(403)
    expect(noScope.headers.get('www-authenticate')).toContain('scope="reports:read"')
    const both = await request(
      '/guarded/reports',
      await token({ roles: ['admin'], scope: 'reports:read' }),
    )
    expect(both.status).toBe(200)
    expect(await both.json()).toMatchObject({ sub: 'alice', scope: 'reports:read' })
  })

  it("onError 'delegate' with no filter of the app's: Nest's own handler keeps the status", async () => {
    const request = await start(
      TokengateModule.forRoot(
        { algorithms: ['ES256'], key: keys.publicJwk },
        { onError: 'delegate' },
      ),
      platform,
    )
    const refused = await request('/guarded/me', 'not.a.token')
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ statusCode: 401 })
  })
})

describe('start-up errors', () => {
  it('forRoot refuses bad options now, naming them', () => {
    expect(() => TokengateModule.forRoot({ algorithms: ['none'] as never, key: 'x' })).toThrow(
      TypeError,
    )
    expect(() =>
      TokengateModule.forRoot({ algorithms: ['ES256'], key: keys.publicJwk }, {
        onError: 'throw',
      } as unknown as AdapterOptions),
    ).toThrow(/adapterOptions\.onError/)
    expect(() =>
      createTokengateGuard({ algorithms: ['ES256'], key: keys.publicJwk }, { property: 'raw' }),
    ).toThrow(/property 'raw' is taken/)
  })

  it('forRootAsync: a bad option fails the app start, not a request', async () => {
    @Module({
      imports: [
        TokengateModule.forRootAsync({
          useFactory: async () => ({ algorithms: ['HS256'], key: 'short' }),
        }),
      ],
    })
    class BadModule {}
    // abortOnError: false, or Nest would end the process (its default on a failed start).
    await expect(
      NestFactory.create(BadModule, { logger: false, abortOnError: false }),
    ).rejects.toThrow(/tokengate: options\.key/)
  })
})
