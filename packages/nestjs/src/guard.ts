// The guard: maps the Express or Fastify request under Nest onto the core, checks the route's
// requirements, and keeps every refusal whole (Nest's own guards answer a bare 403).
import { Catch, HttpException, Inject, Injectable } from '@nestjs/common'
import type { ArgumentsHost, CanActivate, ExceptionFilter, ExecutionContext } from '@nestjs/common'
import type { NestMiddleware, Type } from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import { createAuthenticator, isAuthError, type AuthContext, type AuthError } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, AdapterSetup, GuardCheck } from '@tokengate/core/adapter'
import type { TokengateOptions } from './types.js'

/** Injection token of the module's resolved authenticator and adapter options. */
export const TOKENGATE = Symbol.for('@tokengate/nestjs:setup')
/** Metadata key of `@Public()`. */
export const IS_PUBLIC = 'tokengate:public'
/** Metadata key of the checks `@Roles()`, `@Scopes()`, `@RequireClaims()`, `@StepUp()` add. */
export const CHECKS = 'tokengate:checks'
const reflector = new Reflector()
const modes = new WeakMap<object, AdapterSetup<unknown>>()
// What Express, Fastify and Node already keep on a request: `property` may not take these names.
const RESERVED =
  'app,baseUrl,body,context,cookies,fresh,headers,host,hostname,id,ip,ips,log,method,next,originalUrl,params,path,port,protocol,query,raw,res,route,routeOptions,secure,server,signal,signedCookies,socket,stale,subdomains,url,xhr'.split(
    ',',
  )
type Req = Record<string, unknown> & { raw?: kit.NodeIncoming; method: string; url: string }
// Express's res is Node's ServerResponse; Fastify's reply wraps it (`raw`) and sends through `send`.
interface Reply {
  raw?: Reply
  headersSent: boolean
  writableEnded: boolean
  code?(status: number): Reply
  header?(name: string, value: string): Reply
  send?(body: Uint8Array): Reply
  append?(name: string, value: string): void
  getHeader(name: string): unknown
  setHeader(name: string, value: string | string[]): void
  end(body?: string): void
  statusCode: number
}

/** Resolves the options once (a bad option throws at start-up), as every adapter's tokengate(). */
export function setupOf(options: TokengateOptions<any>, adapterOptions?: AdapterOptions) {
  // DEBUG=tokengate: explain mode (docs/debugging.md).
  return kit.setupAdapter(createAuthenticator, options, adapterOptions, RESERVED, process.env.DEBUG)
}

/** The context the guard attached to a request (Express `req` or Fastify `request`). */
export function contextOf(req: object): AuthContext<any> | undefined {
  return (req as Req)[modes.get(req)?.property ?? 'auth'] as AuthContext<any> | undefined
}

/** A refusal on its way to the module's exception filter (`onError: 'respond'`, the default). */
export class TokengateException extends HttpException {
  constructor(readonly authError: AuthError | undefined) {
    // undefined: someone else answered first (a timeout); there is nothing left to say.
    super(authError?.toJSON() ?? 'answered', authError?.status ?? 503, { cause: authError })
  }
}

async function activate(setup: AdapterSetup<unknown>, context: ExecutionContext) {
  if (context.getType() !== 'http') return true
  const targets = [context.getHandler(), context.getClass()]
  if (reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true
  const req = context.switchToHttp().getRequest<Req>()
  const res = context.switchToHttp().getResponse<Reply>()
  const raw = req.raw ?? (req as unknown as kit.NodeIncoming)
  modes.set(req, setup)
  // Only the guard that ran last speaks for the request (a second authenticator on a route).
  req[setup.property] = req.authError = undefined
  try {
    const target = (req.originalUrl as string | undefined) ?? raw.url ?? '/'
    const { context: auth, refusal } = await setup.attempt(
      kit.nodeRequestLike(req.method, () => req.protocol as string, target, raw),
    )
    // Something else answered meanwhile (a request timeout): the handler must not run as well.
    if (answered(res)) throw new TokengateException(undefined)
    req[setup.property] = auth ?? undefined
    req.authError = refusal
    // RFC 9449 §8.2: the next DPoP nonce, when the proof's was from the previous window.
    if (auth?.dpop?.nonce !== undefined) appendHeader(res, 'DPoP-Nonce', auth.dpop.nonce)
    // Controller's requirements, then the handler's: every one must pass.
    for (const target of targets.reverse())
      for (const check of (Reflect.getOwnMetadata(CHECKS, target) as GuardCheck[]) ?? [])
        check((auth ?? null) as AuthContext<unknown> | null, setup)
    return true
  } catch (err) {
    req[setup.property] = undefined
    if (!isAuthError(err)) throw err
    const error = kit.withChallenge(err, setup)
    if (setup.onError === 'respond') throw new TokengateException(error)
    // 'delegate': the app's exception filters decide; `headers`, `statusCode` and `expose` as
    // http-errors has them, so Nest's default handler still answers with the status.
    const { 'content-type': _json, ...headers } = error.toResponse().headers
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

/**
 * Renders a refusal exactly as the other adapters do (status, `WWW-Authenticate`, JSON body),
 * through Express's or Fastify's response. For an app's own filter under `onError: 'delegate'`.
 *
 * @example
 * @Catch(AuthError) class AuthFilter { catch(err: AuthError, host: ArgumentsHost) { sendAuthError(host.switchToHttp().getResponse(), err) } }
 */
export function sendAuthError(response: unknown, err: AuthError): void {
  const res = response as Reply
  if (answered(res)) return
  const { status, headers, body } = err.toResponse()
  if (res.code && res.send) {
    res.code(status)
    for (const [name, value] of Object.entries(headers)) res.header?.(name, value)
    // Bytes: a string would have Fastify append `; charset=utf-8` to the content type.
    res.send(Buffer.from(JSON.stringify(body)))
    return
  }
  // Node's own setHeader/end: Express's res.json would append a charset and an ETag.
  res.statusCode = status
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.end(JSON.stringify(body))
}

/** The module's filter (registered by `TokengateModule`): renders what the guards refused. */
export class TokengateExceptionFilter implements ExceptionFilter {
  catch(exception: TokengateException, host: ArgumentsHost): void {
    if (exception.authError) sendAuthError(host.switchToHttp().getResponse(), exception.authError)
  }
}
Catch(TokengateException)(TokengateExceptionFilter)

/** Answers the RFC 9728 metadata paths before any guard (the document is public, §3). */
export class TokengateMetadataMiddleware implements NestMiddleware {
  constructor(private readonly setup: AdapterSetup<unknown>) {}
  use(req: Req, res: Reply, next: (err?: unknown) => void): void {
    const resource = this.setup.authenticator.protectedResource
    const target = (req.originalUrl as string | undefined) ?? req.url
    if (!kit.isMetadataRequest(resource, req.method, target)) return next()
    kit.metadataResponse(resource).then(({ status, headers, body }) => {
      res.statusCode = status
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
      res.end(body)
    }, next)
  }
}
Injectable()(TokengateMetadataMiddleware)
Inject(TOKENGATE)(TokengateMetadataMiddleware, undefined, 0)

/** Appends a response header through the platform (Fastify's reply keeps its own header list). */
export function appendHeader(response: unknown, name: string, value: string): void {
  const res = response as Reply
  if (res.header && res.raw) res.header(name, value)
  else if (res.append) res.append(name, value)
  else {
    const prev = res.getHeader(name)
    res.setHeader(name, prev === undefined ? value : [...[prev].flat().map(String), value])
  }
}

/** True once a response has been started or sent by anyone: it can take no status or header now. */
function answered(res: Reply): boolean {
  const raw = res.raw ?? res
  return raw.headersSent || raw.writableEnded
}
