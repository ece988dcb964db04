// The NestJS example: sign-in with an encrypted token in an HttpOnly cookie, guarded APIs, logout
// with revocation. CommonJS, compiled by tsc (`pnpm build`), as Nest apps usually are.
import 'reflect-metadata'
import {
  Catch,
  Controller,
  Get,
  Header,
  HttpCode,
  Module,
  NotFoundException,
  Post,
  Req,
  Res,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common'
import { APP_GUARD, NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import {
  createExampleAuth,
  pageAssets,
  type ExampleClaims,
  type ExampleConfig,
} from '@tokengate/example-shared'
import {
  Auth,
  Public,
  Roles,
  Scopes,
  TokengateGuard,
  TokengateModule,
  clearAuthCookie,
  setAuthCookie,
  type AuthOf,
} from '@tokengate/nestjs'
import express, { type Request, type Response } from 'express'

// Types @Auth() with the example's claims, everywhere in this app.
declare module '@tokengate/nestjs' {
  interface Register {
    claims: ExampleClaims
  }
}

export type { ExampleConfig } from '@tokengate/example-shared'

/**
 * Builds the app (not yet listening); keys are generated unless `config` provides them.
 *
 * @example
 * const { app } = await createApp({ insecureDevCookies: true })
 * await app.listen(3000)
 */
export async function createApp(
  config: ExampleConfig = {},
): Promise<{ app: INestApplication; keysGenerated: boolean }> {
  const auth = await createExampleAuth(config)
  const assets = pageAssets('Nest')

  // Controllers close over `auth`: nothing to inject, so the app runs under tsx (no decorator
  // metadata) exactly as when tsc compiles it.
  @Controller()
  class PageController {
    @Public() @Get(Object.keys(assets)) page(@Req() req: Request, @Res() res: Response) {
      const asset = assets[req.path]!
      res.type(asset.type).send(asset.body)
    }

    @Public() @Get('.well-known/jwks.json') jwks() {
      return auth.jwks
    }
  }

  @Controller()
  class SessionController {
    // 200, not Nest's default 201 for a POST: nothing is created.
    @Public() @HttpCode(200) @Post('login') async login(@Req() req: Request, @Res() res: Response) {
      const isForm =
        req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded'
      if (!isForm && !req.is('application/json')) {
        res
          .status(415)
          .json({ error: 'invalid_request', error_description: 'Send a form or JSON.' })
        return
      }
      // Login CSRF: a sign-in from another site would log the victim into the attacker's account.
      const refused = auth.checkSignInOrigin(toRequestLike(req))
      if (refused) {
        res.status(refused.status).set(refused.headers).json(refused.body)
        return
      }
      // The socket's address: no proxy header is trusted unless `trust proxy` is set behind one.
      const result = await auth.signIn(req.body, req.ip)
      res.set('cache-control', 'no-store')
      if (!result.ok) {
        res.status(result.status).set(result.headers).json(result.body)
        return
      }
      setAuthCookie(res, auth.cookie.name, result.token, auth.cookie.options)
      if (isForm) res.redirect(303, '/')
      else res.json(auth.profile(result.user, result.expiresIn))
    }

    @Public() @HttpCode(200) @Post('token') async token(@Req() req: Request, @Res() res: Response) {
      res.set('cache-control', 'no-store')
      if (!req.is('application/json')) {
        res.status(415).json({ error: 'invalid_request', error_description: 'Send JSON.' })
        return
      }
      const result = await auth.signIn(req.body, req.ip)
      if (!result.ok) {
        res.status(result.status).set(result.headers).json(result.body)
        return
      }
      res.json({ access_token: result.token, token_type: 'Bearer', expires_in: result.expiresIn })
    }

    // Logout is an authenticated, CSRF-checked request like any other unsafe cookie request.
    @Post('logout') async logout(@Auth() ctx: AuthOf, @Req() req: Request, @Res() res: Response) {
      await auth.signOut(ctx!)
      clearAuthCookie(res, auth.cookie.name, auth.cookie.clearOptions)
      if (req.is('application/x-www-form-urlencoded')) res.redirect(303, '/')
      else res.status(204).end()
    }
  }

  // Every route here needs a token (the global guard); two need more.
  @Controller('api')
  class ApiController {
    @Get('me') @Header('cache-control', 'no-store') me(@Auth() ctx: AuthOf) {
      return auth.me(ctx!)
    }

    @Roles('admin') @Get('admin') @Header('cache-control', 'no-store') admin(@Auth() ctx: AuthOf) {
      return auth.admin(ctx!)
    }

    @Scopes('reports:read')
    @Get('reports')
    @Header('cache-control', 'no-store')
    reports(@Auth() ctx: AuthOf) {
      return auth.reports(ctx!)
    }
  }

  @Module({
    imports: [TokengateModule.forRoot(auth.authenticator)],
    controllers: [PageController, SessionController, ApiController],
    // Every route is authenticated unless it says @Public().
    providers: [{ provide: APP_GUARD, useClass: TokengateGuard }],
  })
  class AppModule {}

  const server = express()
  server.disable('x-powered-by')
  server.use((req, res, next) => {
    res.set(auth.securityHeaders(`${req.protocol}://${req.get('host')}${req.originalUrl}`))
    next()
  })
  // Small bodies only: a sign-in form is a few hundred bytes.
  server.use(express.urlencoded({ extended: false, limit: '4kb' }))
  server.use(express.json({ limit: '4kb', strict: false }))
  const app = await NestFactory.create(AppModule, new ExpressAdapter(server), {
    bodyParser: false,
    logger: ['error', 'warn'],
  })
  app.useGlobalFilters(new NotFoundFilter())
  await app.init()
  // Body-parser failures (bad JSON, too large) carry a 4xx status; anything else is our bug: 500.
  server.use(bodyErrors)
  // (Nest's app is a Proxy that takes no new members.)
  return { app, keysGenerated: auth.keysGenerated }
}

/** Unknown routes: the examples' JSON 404 rather than Nest's own body. */
@Catch(NotFoundException)
class NotFoundFilter implements ExceptionFilter {
  catch(_err: NotFoundException, host: ArgumentsHost) {
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(404)
      .json({ error: 'not_found', error_description: 'No such route.' })
  }
}

function bodyErrors(err: any, _req: Request, res: Response, next: (err: unknown) => void) {
  if (res.headersSent) return next(err)
  const status =
    typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500
  if (status === 500) console.error(err)
  res.status(status).json({
    error: status === 500 ? 'server_error' : 'invalid_request',
    error_description:
      status === 500 ? 'Something went wrong.' : 'The request body could not be read.',
  })
}

function toRequestLike(req: Request) {
  return {
    method: req.method,
    url: `${req.protocol}://${req.get('host')}${req.originalUrl}`,
    headers: req.headersDistinct,
  }
}
