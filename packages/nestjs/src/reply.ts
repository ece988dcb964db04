// The response side under Nest: refusals rendered through Express's `res` or Fastify's `reply`
// exactly as the other adapters render them.
import { Catch, HttpException } from '@nestjs/common'
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common'
import type { AuthError } from '@tokengate/core'
import * as kit from '@tokengate/core/adapter'

// Express's res is Node's ServerResponse; Fastify's reply wraps it (`raw`) and sends through `send`.
/** What is written of Express's `res` or Fastify's `reply` (structurally: no platform is imported). */
export interface Reply {
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

/** A refusal on its way to the module's exception filter (`onError: 'respond'`, the default). */
export class TokengateException extends HttpException {
  constructor(readonly authError: AuthError | undefined) {
    // undefined: someone else answered first (a timeout); there is nothing left to say.
    super(authError?.toJSON() ?? 'answered', authError?.status ?? 503, { cause: authError })
  }
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
  const plain = kit.plainResponse(err)
  if (res.code && res.send) {
    res.code(plain.status)
    for (const [name, value] of Object.entries(plain.headers)) res.header?.(name, value)
    // Bytes: a string would have Fastify append `; charset=utf-8` to the content type.
    res.send(Buffer.from(plain.body))
    return
  }
  // Node's own setHeader/end: Express's res.json would append a charset and an ETag.
  kit.nodeWrite(res, plain)
}

/** The module's filter (registered by `TokengateModule`): renders what the guards refused. */
export class TokengateExceptionFilter implements ExceptionFilter {
  catch(exception: TokengateException, host: ArgumentsHost): void {
    if (exception.authError) sendAuthError(host.switchToHttp().getResponse(), exception.authError)
  }
}
Catch(TokengateException)(TokengateExceptionFilter)

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
export function answered(res: Reply): boolean {
  return kit.nodeAnswered(res.raw ?? res)
}
