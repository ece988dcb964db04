// The conformance app on NestJS (11+), on the Express or the Fastify platform: the same routes as
// apps/express.ts, written as a Nest app is (a controller, decorators, a global guard).
import 'reflect-metadata'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { All, Catch, Controller, Get, Module, NotFoundException, Options } from '@nestjs/common'
import { HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common'
import type { ArgumentsHost, ExceptionFilter, INestApplication } from '@nestjs/common'
import type { MiddlewareConsumer, NestModule } from '@nestjs/common'
import { APP_GUARD, NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { AuthError, type AuthContext } from '@tokengate/core'
import {
  Auth,
  Public,
  RequireClaims,
  Roles,
  Scopes,
  StepUp,
  TokengateGuard,
  TokengateModule,
  clearAuthCookie,
  createTokengateGuard,
  sendAuthError,
  setAuthCookie,
} from '@tokengate/nestjs'
import express from 'express'
import type { AppSpec } from '../drivers.js'
import {
  ANY_ROLES,
  DELEGATE_MARKER,
  REPORTS_SCOPE,
  STEP_UP,
  SESSION_COOKIE,
  isVerified,
  protectedBody,
} from '../routes.js'

export type NestPlatform = 'express' | 'fastify'

/** A response header through either platform (Fastify's reply, or Node's res under Express). */
function header(res: any, name: string, value: string): void {
  if (typeof res.header === 'function' && res.raw) res.header(name, value)
  else res.append(name, value)
}

/** Starts the app on 127.0.0.1 (an ephemeral port); Nest's own logger stays quiet. */
export async function startNestApp(
  spec: AppSpec,
  platform: NestPlatform,
): Promise<{ port: number; app: INestApplication }> {
  const marker = `nest-${platform}`
  const ok = (auth: AuthContext | undefined, req: { authError?: AuthError }) =>
    protectedBody(auth, req.authError)

  @Controller()
  class RoutesController {
    @Public() @Get('public') public() {
      return { public: true }
    }
    @Get('protected') get(@Auth() auth: AuthContext, @Req() req: any) {
      return ok(auth, req)
    }
    // 200 as on the other frameworks (Nest answers a POST 201 by default).
    @HttpCode(200) @Post('protected') post(@Auth() auth: AuthContext, @Req() req: any) {
      return ok(auth, req)
    }
    @Options('protected') options(@Auth() auth: AuthContext, @Req() req: any) {
      return ok(auth, req)
    }
    @Roles('admin') @Get('admin') admin(@Auth() auth: AuthContext, @Req() req: any) {
      return ok(auth, req)
    }
    @Scopes(REPORTS_SCOPE) @Get('reports') reports(@Auth() auth: AuthContext, @Req() req: any) {
      return ok(auth, req)
    }
    @RequireClaims(isVerified) @Get('verified') verified(
      @Auth() auth: AuthContext,
      @Req() req: any,
    ) {
      return ok(auth, req)
    }
    @Roles(ANY_ROLES, { mode: 'any' }) @Get('any-role') anyRole(
      @Auth() auth: AuthContext,
      @Req() req: any,
    ) {
      return ok(auth, req)
    }
    @StepUp(STEP_UP) @Get('step-up') stepUp(@Auth() auth: AuthContext, @Req() req: any) {
      return ok(auth, req)
    }
    // RFC 9728 §3.1: the module answers the metadata paths; anything else here needs a token.
    // (Fastify's router spells a trailing wildcard `*`, Express 5's `*name`.)
    @All(['.well-known', platform === 'fastify' ? '.well-known/*' : '.well-known/*path'])
    wellKnown() {
      throw new NotFoundException()
    }
    @Get('timed') timed(@Auth() auth: AuthContext, @Req() req: any) {
      return ok(auth, req)
    }
    @Public() @HttpCode(200) @Post('session') session(
      @Req() req: any,
      @Res({ passthrough: true }) res: any,
    ) {
      header(res, 'Set-Cookie', 'other=1; Path=/')
      setAuthCookie(res, SESSION_COOKIE, String(req.body), { maxAge: 3600 })
      return { ok: true }
    }
    @Public() @HttpCode(200) @Post('logout') logout(@Res({ passthrough: true }) res: any) {
      header(res, 'Set-Cookie', 'other=; Max-Age=0; Path=/')
      clearAuthCookie(res, SESSION_COOKIE)
      return { ok: true }
    }
  }

  const controllers: (new () => unknown)[] = [RoutesController]
  if (spec.second) {
    const Second = createTokengateGuard(spec.second, spec.adapterOptions)
    @Controller()
    class StackedController {
      @UseGuards(Second) @Get('stacked') stacked(@Auth() auth: AuthContext, @Req() req: any) {
        return ok(auth, req)
      }
      @UseGuards(Second) @Roles('admin') @Get('stacked-admin') stackedAdmin(
        @Auth() auth: AuthContext,
        @Req() req: any,
      ) {
        return ok(auth, req)
      }
    }
    controllers.push(StackedController)
  }

  @Module({
    imports: [TokengateModule.forRoot(spec.options, spec.adapterOptions)],
    controllers,
    providers: [{ provide: APP_GUARD, useClass: TokengateGuard }],
  })
  class AppModule implements NestModule {
    configure(consumer: MiddlewareConsumer) {
      const ms = spec.timeoutMs
      if (ms === undefined) return
      // A request-timeout middleware as apps write them: answer 503 and let the chain run on.
      // Nest hands middleware Node's req/res on Fastify, Express's on Express.
      consumer
        .apply((_req: unknown, res: any, next: () => void) => {
          const timer = setTimeout(() => {
            if (res.headersSent) return
            res.statusCode = 503
            res.setHeader('content-type', 'application/json')
            res.end(JSON.stringify({ timeout: true }))
          }, ms)
          res.on('close', () => clearTimeout(timer))
          next()
        })
        .forRoutes('timed')
    }
  }

  // The app's own filter under onError 'delegate': marks the path taken, then renders as the module does.
  @Catch(AuthError)
  class AppAuthFilter implements ExceptionFilter {
    catch(err: AuthError, host: ArgumentsHost) {
      const res = host.switchToHttp().getResponse()
      header(res, DELEGATE_MARKER, marker)
      sendAuthError(res, err)
    }
  }

  let app: INestApplication
  if (platform === 'express') {
    const instance = express()
    // POST /session reads its body as text, as apps/express.ts does; nothing else parses bodies.
    instance.use('/session', express.text({ type: '*/*' }))
    app = await NestFactory.create(AppModule, new ExpressAdapter(instance), {
      logger: false,
      bodyParser: false,
    })
  } else {
    const adapter = new FastifyAdapter()
    adapter
      .getInstance()
      .addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
    app = await NestFactory.create(AppModule, adapter as never, { logger: false })
  }
  app.useGlobalFilters(new AppAuthFilter())
  await app.listen(0, '127.0.0.1')
  const port = ((app.getHttpServer() as Server).address() as AddressInfo).port
  return { port, app }
}
