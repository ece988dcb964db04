// The guard: maps the Express or Fastify request under Nest onto the core, checks the route's
// requirements, and keeps every refusal whole (Nest's own guards answer a bare 403).
import { Inject, Injectable } from '@nestjs/common'
import type { CanActivate, ExecutionContext } from '@nestjs/common'
import type { NestMiddleware, Type } from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import { createAuthenticator, type AuthContext } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, AdapterSetup, GuardCheck } from '@tokengate/core/adapter'
import { TokengateException, answered, appendHeader, type Reply } from './reply.js'
import type { TokengateOptions } from './types.js'

/** Injection token of the module's resolved authenticator and adapter options. */
export const TOKENGATE = Symbol.for('@tokengate/nestjs:setup')
/** Metadata key of `@Public()`. */
export const IS_PUBLIC = 'tokengate:public'
/** Metadata key of the checks `@Roles()`, `@Scopes()`, `@RequireClaims()`, `@StepUp()` add. */
export const CHECKS = 'tokengate:checks'
const reflector = new Reflector()
const modes = new kit.RequestModes<object>()
// What Express, Fastify and Node already keep on a request: `property` may not take these names.
const RESERVED =
  'app,baseUrl,body,context,cookies,fresh,headers,host,hostname,id,ip,ips,log,method,next,originalUrl,params,path,port,protocol,query,raw,res,route,routeOptions,secure,server,signal,signedCookies,socket,stale,subdomains,url,xhr'.split(
    ',',
  )
type Req = Record<string, unknown> & { raw?: kit.NodeIncoming; method: string; url: string }

/** Resolves the options once (a bad option throws at start-up), as every adapter's tokengate(). */
export function setupOf(options: TokengateOptions<any>, adapterOptions?: AdapterOptions) {
  // DEBUG=tokengate: explain mode (docs/debugging.md).
  return kit.setupAdapter(createAuthenticator, options, adapterOptions, RESERVED, process.env.DEBUG)
}

/** The context the guard attached to a request (Express `req` or Fastify `request`). */
export function contextOf(req: object): AuthContext<any> | undefined {
  return (req as Req)[modes.property(req)] as AuthContext<any> | undefined
}

async function activate(setup: AdapterSetup<unknown>, context: ExecutionContext) {
  if (context.getType() !== 'http') return true
  const targets = [context.getHandler(), context.getClass()]
  if (reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true
  const req = context.switchToHttp().getRequest<Req>()
  const res = context.switchToHttp().getResponse<Reply>()
  const raw = req.raw ?? (req as unknown as kit.NodeIncoming)
  const target = (req.originalUrl as string | undefined) ?? raw.url ?? '/'
  try {
    const result = await kit.authenticateOn(
      modes,
      req,
      setup,
      kit.nodeRequestLike(req.method, () => req.protocol as string, target, raw),
      {
        set: (name, value) => (req[name] = value),
        header: (name, value) => appendHeader(res, name, value),
        answered: () => answered(res),
      },
    )
    // Something else answered meanwhile (a request timeout): the handler must not run as well.
    if (!result) throw new TokengateException(undefined)
    // Controller's requirements, then the handler's: every one must pass.
    for (const target of targets.reverse())
      for (const check of (Reflect.getOwnMetadata(CHECKS, target) as GuardCheck[]) ?? [])
        check(result.context, setup)
    return true
  } catch (err) {
    req[setup.property] = undefined
    const error = modes.refusal(req, err)
    if (!error) throw err
    if (setup.onError === 'respond') throw new TokengateException(error)
    // 'delegate': the app's exception filters decide; `headers`, `statusCode` and `expose` as
    // http-errors has them, so Nest's default handler still answers with the status.
    const headers = kit.challengeHeaders(error)
    throw Object.assign(error, { headers, statusCode: error.status, expose: true })
  }
}

/**
 * Authenticates with the module's authenticator, then checks the route's `@Roles()`, `@Scopes()`,
 * `@RequireClaims()` and `@StepUp()`. Global (`APP_GUARD`) or `@UseGuards(TokengateGuard)`.
 *
 * @example
 * providers: [{ provide: APP_GUARD, useClass: TokengateGuard }]
 */
export class TokengateGuard implements CanActivate {
  constructor(private readonly setup: AdapterSetup<unknown>) {}
  canActivate(context: ExecutionContext): Promise<boolean> {
    return activate(this.setup, context)
  }
}
// Nest's decorators applied as calls, here and below: the sources compile the same under any
// transform (tsc, tsdown, tsx, vitest) whether or not it enables TypeScript's legacy decorators,
// and no injection depends on emitDecoratorMetadata (every dependency names its token).
Injectable()(TokengateGuard)
Inject(TOKENGATE)(TokengateGuard, undefined, 0)

/**
 * A guard over another authenticator (a second issuer on some routes): it authenticates again and
 * its context replaces the first. Options are checked now, at start-up.
 *
 * @example
 * const PartnerGuard = createTokengateGuard({ algorithms: ['ES256'], key: { jwksUri }, issuer })
 * @UseGuards(PartnerGuard) @Get('partner') partner(@Auth() auth: AuthOf) {}
 */
export function createTokengateGuard(
  options: TokengateOptions<any>,
  adapterOptions?: AdapterOptions,
): Type<CanActivate> {
  const setup = setupOf(options, adapterOptions)
  class TokengateGuardFor implements CanActivate {
    canActivate(context: ExecutionContext): Promise<boolean> {
      return activate(setup, context)
    }
  }
  Injectable()(TokengateGuardFor)
  return TokengateGuardFor
}

/** Answers the RFC 9728 metadata paths before any guard (the document is public, §3). */
export class TokengateMetadataMiddleware implements NestMiddleware {
  constructor(private readonly setup: AdapterSetup<unknown>) {}
  use(req: Req, res: Reply, next: (err?: unknown) => void): void {
    const target = (req.originalUrl as string | undefined) ?? req.url
    const metadata = kit.metadataFor(this.setup, req.method, target)
    if (!metadata) return next()
    metadata.then((answer) => kit.nodeWrite(res, answer), next)
  }
}
Injectable()(TokengateMetadataMiddleware)
Inject(TOKENGATE)(TokengateMetadataMiddleware, undefined, 0)
