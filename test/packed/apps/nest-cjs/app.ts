// A CommonJS Nest app as the Nest CLI sets one up (tsc, decorators with metadata), from the packed
// @tokengate/nestjs, on Express and on Fastify. Prints one JSON line for test/packed/nest.test.ts.
import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common'
import { APP_GUARD, NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { createTokenIssuer, generateKeys, publicJwks } from '@tokengate/core'
import {
  Auth,
  Public,
  Roles,
  TokengateGuard,
  TokengateModule,
  type AuthOf,
} from '@tokengate/nestjs'

const ISSUER = 'https://issuer.test'
const AUDIENCE = 'https://api.test'

// Constructor injection by type, as Nest apps write it: needs emitDecoratorMetadata.
@Injectable()
class Greeter {
  greet(name: string) {
    return `hello ${name}`
  }
}

@Controller()
class AppController {
  constructor(private readonly greeter: Greeter) {}
  @Public() @Get('health') health() {
    return { ok: true }
  }
  @Get('me') me(@Auth() auth: AuthOf) {
    return { greeting: this.greeter.greet(String(auth?.payload.sub)) }
  }
  @Roles('admin') @Get('admin') admin() {
    return { admin: true }
  }
}

async function run(
  platform: 'express' | 'fastify',
  jwks: ReturnType<typeof publicJwks>,
  token: string,
) {
  @Module({
    imports: [
      TokengateModule.forRoot({
        algorithms: ['ES256'],
        key: { jwks },
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
    ],
    controllers: [AppController],
    providers: [Greeter, { provide: APP_GUARD, useClass: TokengateGuard }],
  })
  class AppModule {}
  const app: INestApplication =
    platform === 'express'
      ? await NestFactory.create(AppModule, { logger: false })
      : await NestFactory.create(AppModule, new FastifyAdapter() as never, { logger: false })
  await app.listen(0, '127.0.0.1')
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo
  const call = async (path: string, authorization?: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: authorization ? { authorization } : {},
    })
    return {
      status: res.status,
      challenge: res.headers.get('www-authenticate'),
      contentType: res.headers.get('content-type'),
      text: await res.text(),
    }
  }
  const result = {
    health: await call('/health'),
    valid: await call('/me', `Bearer ${token}`),
    missing: await call('/me'),
    forged: await call('/me', `Bearer ${token.slice(0, -4)}AAAA`),
    notAdmin: await call('/admin', `Bearer ${token}`),
  }
  await app.close()
  return result
}

async function main() {
  const keys = await generateKeys('ES256')
  const issuer = createTokenIssuer({
    signingKey: keys.privateKey,
    alg: 'ES256',
    kid: keys.kid,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: '5m',
  })
  const token = await issuer.issue({ sub: 'alice' })
  const jwks = publicJwks([keys])
  console.log(
    JSON.stringify({
      node: process.version,
      nest: JSON.parse(readFileSync(require.resolve('@nestjs/core/package.json'), 'utf8')).version,
      nestjsEntry: require.resolve('@tokengate/nestjs'),
      express: await run('express', jwks, token),
      fastify: await run('fastify', jwks, token),
    }),
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
