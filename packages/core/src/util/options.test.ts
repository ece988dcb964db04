// Migration hints (issue 15 item 2): another library's option name is refused with what to use here.
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { setupAdapter } from '../adapter/setup.js'
import type { AuthenticatorOptions } from '../types.js'
import { migrationHint } from './options.js'

const base = { algorithms: ['HS256'], key: 'k'.repeat(32) } as const
const remote = { algorithms: ['ES256'], key: { jwksUri: 'https://idp.example/jwks' } } as const

function startup(options: object): string {
  try {
    createAuthenticator(options as AuthenticatorOptions)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('expected start-up to refuse the options')
}

describe('an unknown option named as in another library says what to use instead', () => {
  it.each<[library: string, option: string, options: object, hint: RegExp]>([
    ['express-jwt / koa-jwt', 'options.secret', { ...base, secret: 's' }, /options\.key here/],
    [
      'express-jwt',
      'options.credentialsRequired',
      { ...base, credentialsRequired: false },
      /optional: true/,
    ],
    [
      'express-jwt',
      'options.requestProperty',
      { ...base, requestProperty: 'user' },
      /property: 'user'/,
    ],
    ['express-jwt / koa-jwt', 'options.getToken', { ...base, getToken: () => 'x' }, /from\.custom/],
    ['express-jwt', 'options.onExpired', { ...base, onExpired: () => undefined }, /token_expired/],
    ['jsonwebtoken', 'options.maxAge', { ...base, maxAge: '1h' }, /maxTokenAge/],
    [
      'jsonwebtoken',
      'options.ignoreExpiration',
      { ...base, ignoreExpiration: true },
      /always enforced/,
    ],
    [
      'jsonwebtoken',
      'options.ignoreNotBefore',
      { ...base, ignoreNotBefore: true },
      /always enforced/,
    ],
    ['jsonwebtoken', 'options.clockTimestamp', { ...base, clockTimestamp: 1 }, /reads the clock/],
    ['jsonwebtoken', 'options.subject', { ...base, subject: 'a' }, /claims schema/],
    ['jsonwebtoken', 'options.jwtid', { ...base, jwtid: 'a' }, /claims schema/],
    ['jsonwebtoken', 'options.nonce', { ...base, nonce: 'a' }, /ID token/],
    ['jsonwebtoken', 'options.complete', { ...base, complete: true }, /protectedHeader/],
    [
      'jsonwebtoken',
      'options.allowInvalidAsymmetricKeyTypes',
      { ...base, allowInvalidAsymmetricKeyTypes: true },
      /RFC 8725/,
    ],
    ['koa-jwt', 'options.tokenKey', { ...base, tokenKey: 'token' }, /ctx\.state\.auth\.token/],
    ['koa-jwt', 'options.debug', { ...base, debug: true }, /stable code/],
    ['koa-jwt / hono', 'options.cookie', { ...base, cookie: 'at' }, /from: \{ cookie: 'name' \}/],
    ['hono jwt()', 'options.alg', { ...base, alg: 'HS256' }, /algorithms: \['HS256'\]/],
    ['hono jwt()', 'options.headerName', { ...base, headerName: 'x-auth' }, /from\.custom/],
    ['hono jwt()', 'options.verification', { ...base, verification: {} }, /iss is issuer/],
    ['hono jwk()', 'options.keys', { ...base, keys: [] }, /key: \{ jwks: \{ keys/],
    ['hono jwk()', 'options.jwks_uri', { ...base, jwks_uri: 'https://x' }, /key: \{ jwksUri/],
    ['hono jwk()', 'options.allow_anon', { ...base, allow_anon: true }, /optional: true/],
    ['hono jwk()', 'options.init', { ...base, init: {} }, /headers/],
    ['jwks-rsa', 'options.jwksUri', { ...base, jwksUri: 'https://x' }, /inside key/],
    [
      'jwks-rsa',
      'options.key.cache',
      { ...remote, key: { ...remote.key, cache: true } },
      /built in/,
    ],
    [
      'jwks-rsa',
      'options.key.cacheMaxEntries',
      { ...remote, key: { ...remote.key, cacheMaxEntries: 5 } },
      /cooldown/,
    ],
    [
      'jwks-rsa',
      'options.key.rateLimit',
      { ...remote, key: { ...remote.key, rateLimit: true } },
      /cooldown/,
    ],
    [
      'jwks-rsa',
      'options.key.jwksRequestsPerMinute',
      { ...remote, key: { ...remote.key, jwksRequestsPerMinute: 5 } },
      /cooldown/,
    ],
    [
      'jwks-rsa',
      'options.key.requestHeaders',
      { ...remote, key: { ...remote.key, requestHeaders: {} } },
      /is headers/,
    ],
    [
      'jwks-rsa',
      'options.key.requestAgent',
      { ...remote, key: { ...remote.key, requestAgent: {} } },
      /fetch/,
    ],
    [
      'jwks-rsa',
      'options.key.proxy',
      { ...remote, key: { ...remote.key, proxy: 'http://p' } },
      /fetch/,
    ],
    [
      'jwks-rsa',
      'options.key.fetcher',
      { ...remote, key: { ...remote.key, fetcher: () => 1 } },
      /jwks/,
    ],
    [
      'jwks-rsa',
      'options.key.getKeysInterceptor',
      { ...remote, key: { ...remote.key, getKeysInterceptor: () => [] } },
      /local keys/,
    ],
    [
      'jwks-rsa',
      'options.key.handleSigningKeyError',
      { ...remote, key: { ...remote.key, handleSigningKeyError: () => 1 } },
      /keys_unavailable/,
    ],
    [
      'hono jwk() inside key',
      'options.key.jwks_uri',
      { ...remote, key: { ...remote.key, jwks_uri: 'x' } },
      /jwksUri here/,
    ],
    [
      'express-oauth2-jwt-bearer',
      'options.issuerBaseURL',
      { ...base, issuerBaseURL: 'https://x' },
      /discovery/,
    ],
    [
      'express-oauth2-jwt-bearer',
      'options.tokenSigningAlg',
      { ...base, tokenSigningAlg: 'RS256' },
      /algorithms/,
    ],
    [
      'express-oauth2-jwt-bearer',
      'options.authRequired',
      { ...base, authRequired: false },
      /optional: true/,
    ],
    [
      'express-oauth2-jwt-bearer',
      'options.timeoutDuration',
      { ...base, timeoutDuration: 1 },
      /timeout/,
    ],
    ['express-oauth2-jwt-bearer', 'options.strict', { ...base, strict: true }, /at\+jwt/],
    [
      'express-oauth2-jwt-bearer',
      'options.validators',
      { ...base, validators: {} },
      /claims schema/,
    ],
  ])('%s: %s', (_library, path, options, hint) => {
    const message = startup(options)
    expect(message).toMatch(
      new RegExp(`^tokengate: unknown option ${path.replace(/\./g, '\\.')}: `),
    )
    expect(message).toMatch(hint)
    // A hint replaces the generic advice; it never hides that the option was refused.
    expect(message).not.toMatch(/check the spelling/)
  })

  it('several names: each gets its hint, and a name with none gets the generic advice', () => {
    const message = startup({ ...base, secret: 's', credentialsRequired: false, algoritms: [] })
    expect(message).toMatch(/options\.secret: the verification key is options\.key/)
    expect(message).toMatch(/options\.credentialsRequired: express-jwt's credentialsRequired/)
    expect(message).toMatch(/check the spelling/)
  })

  it('a name is hinted only where the other library had it (cache is a real option at the top)', () => {
    expect(migrationHint('options.cache')).toBeUndefined()
    expect(migrationHint('options.key.cache')).toMatch(/jwks-rsa/)
    expect(migrationHint('options.issuers.0.key.cache')).toMatch(/jwks-rsa/)
    expect(migrationHint('options.from.secret')).toBeUndefined()
    expect(migrationHint('options.constructor')).toBeUndefined()
  })

  it('adapter options: requestProperty there is named too, and unknown adapter options are refused', () => {
    const create = () => createAuthenticator(base as AuthenticatorOptions)
    expect(() =>
      setupAdapter(create, base as AuthenticatorOptions, { requestProperty: 'user' } as object),
    ).toThrow(/^tokengate: unknown option adapterOptions\.requestProperty: .*property: 'user'/)
    expect(() =>
      setupAdapter(create, base as AuthenticatorOptions, { onErorr: 'delegate' } as object),
    ).toThrow(
      /^tokengate: unknown option adapterOptions\.onErorr: the adapter takes \{ onError\?, property\? \}/,
    )
  })

  it.each([
    ['express-jwt', (_req: unknown, _token: unknown) => false],
    ['koa-jwt', (_ctx: unknown, _decoded: unknown, _token: unknown) => false],
  ])('isRevoked written for %s (more than one parameter) is refused with the fix', (_lib, hook) => {
    expect(startup({ ...base, isRevoked: hook })).toMatch(
      /^tokengate: options\.isRevoked takes one argument, the verified context/,
    )
  })

  it('isRevoked with one parameter (or a defaulted second) is accepted', () => {
    expect(() => createAuthenticator({ ...base, isRevoked: (_ctx) => false })).not.toThrow()
    expect(() =>
      createAuthenticator({
        ...base,
        isRevoked: (_ctx, _x: unknown = 0) => false,
      } as AuthenticatorOptions),
    ).not.toThrow()
  })
})
