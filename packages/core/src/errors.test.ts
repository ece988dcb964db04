// AuthError rendering: statuses, RFC 6750 §3 challenges and the JSON body, per code.
import { describe, expect, it } from 'vitest'
import { AuthError, CODE_TABLE, isAuthError, type AuthErrorCode } from './errors.js'

describe('AuthError status and RFC 6750 error per code', () => {
  it.each([
    ['token_missing', 401, undefined],
    ['invalid_request', 400, 'invalid_request'],
    ['multiple_tokens', 400, 'invalid_request'],
    ['token_too_large', 401, 'invalid_token'],
    ['token_malformed', 401, 'invalid_token'],
    ['token_expired', 401, 'invalid_token'],
    ['signature_invalid', 401, 'invalid_token'],
    ['csrf_rejected', 403, 'invalid_request'],
    ['insufficient_scope', 403, 'insufficient_scope'],
    ['insufficient_role', 403, 'insufficient_scope'],
    ['keys_unavailable', 503, 'temporarily_unavailable'],
  ] as const)('%s is %i with error %s', (code, status, error) => {
    const err = new AuthError(code, 'x')
    expect(err.status).toBe(status)
    expect(err.error).toBe(error)
    expect(err.toResponse().status).toBe(status)
  })

  it('every code has a 4xx or 503 status (never a 500)', () => {
    for (const [code, info] of Object.entries(CODE_TABLE)) {
      expect(info.status === 503 || (info.status >= 400 && info.status < 500), code).toBe(true)
    }
  })
})

describe('WWW-Authenticate (RFC 6750 §3)', () => {
  it('no credentials: a bare challenge with the realm and no error attribute (§3.1)', () => {
    const res = new AuthError('token_missing', 'No bearer token', { realm: 'api' }).toResponse()
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
    expect(res.body).toEqual({ error_description: 'No bearer token', code: 'token_missing' })
  })

  it('no realm and no error: just the scheme', () => {
    expect(new AuthError('token_missing', 'x').challenge).toBe('Bearer')
  })

  it('a token problem carries error and error_description', () => {
    const res = new AuthError('token_expired', 'The token has expired', {
      realm: 'api',
    }).toResponse()
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token has expired"',
    )
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'The token has expired',
      code: 'token_expired',
    })
  })

  it('a scope guard names the scopes it needs (§3)', () => {
    const err = new AuthError('insufficient_scope', 'Missing scope', { scope: ['a:read', 'b'] })
    expect(err.challenge).toBe(
      'Bearer error="insufficient_scope", error_description="Missing scope", scope="a:read b"',
    )
  })

  it('quoted values stay inside the §3 character set: quotes, backslashes, controls replaced', () => {
    const err = new AuthError('claim_invalid', 'bad "aud"\\\n\u00e9', { realm: 'r"x' })
    const challenge = err.challenge!
    expect(challenge).toBe(
      'Bearer realm="r?x", error="invalid_token", error_description="bad ?aud????"',
    )
  })

  it('RFC section signs are spelled out rather than replaced', () => {
    const err = new AuthError('token_malformed', 'not a compact JWS (RFC 7515 §7.1)')
    expect(err.challenge).toContain('error_description="not a compact JWS (RFC 7515 section 7.1)"')
    expect(err.toResponse().body.error_description).toBe('not a compact JWS (RFC 7515 §7.1)')
  })

  it('503 has no challenge but a Retry-After of at least one second', () => {
    const res = new AuthError('keys_unavailable', 'down', { retryAfter: 0.2 }).toResponse()
    expect(res.status).toBe(503)
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.headers['retry-after']).toBe('1')
    expect(new AuthError('keys_unavailable', 'down').toResponse().headers['retry-after']).toBe('30')
  })

  it('responses are JSON and never cached', () => {
    const { headers } = new AuthError('signature_invalid', 'x').toResponse()
    expect(headers['content-type']).toBe('application/json')
    expect(headers['cache-control']).toBe('no-store')
  })
})

describe('AuthError as data', () => {
  it('keeps the cause but never renders it', () => {
    const cause = new Error('secret-key-material')
    const err = new AuthError('signature_invalid', 'Signature verification failed', { cause })
    expect(err.cause).toBe(cause)
    expect(JSON.stringify(err.toResponse())).not.toContain('secret-key-material')
    expect(JSON.stringify(err)).not.toContain('secret-key-material')
  })

  it('withRealm returns a copy with the realm and keeps the rest', () => {
    const err = new AuthError('insufficient_scope', 'x', { scope: ['s'] })
    const copy = err.withRealm('api')
    expect(copy).not.toBe(err)
    expect(copy.realm).toBe('api')
    expect(copy.scope).toEqual(['s'])
    expect(err.withRealm(undefined)).toBe(err)
  })

  it('isAuthError recognises instances and look-alikes from another copy of the package', () => {
    const code: AuthErrorCode = 'token_expired'
    expect(isAuthError(new AuthError(code, 'x'))).toBe(true)
    const foreign = Object.assign(new Error('x'), { name: 'AuthError', code })
    expect(isAuthError(foreign)).toBe(true)
    expect(isAuthError(new Error('x'))).toBe(false)
    expect(isAuthError({ name: 'AuthError', code })).toBe(false)
  })
})
