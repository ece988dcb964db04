// Strict compact shape, header decoding and jose error mapping (RFC 7515 §7.1, RFC 8725).
import { b64url } from '@tokengate/testkit'
import { errors } from 'jose'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import { decodeHeader, tokenShape } from './compact.js'
import { fromJoseError, safe } from './jws.js'

function code(fn: () => unknown): string {
  try {
    return String(fn())
  } catch (err) {
    if (err instanceof AuthError) return `${err.code} ${err.status}`
    throw err
  }
}

describe('tokenShape: one accepted spelling per token', () => {
  it.each<[string, string, string]>([
    ['three segments is a JWS', 'aaaa.bbbb.cccc', 'jws'],
    ['five segments is a JWE', 'aaaa.bbbb.cccc.dddd.eeee', 'jwe'],
    [
      'a JWE with an empty encrypted key (dir, ECDH-ES; RFC 7516 §7.1)',
      'aaaa..cccc.dddd.eeee',
      'jwe',
    ],
    ['lengths 2 and 3 mod 4 with zero unused bits', 'aQ.aaE.ab4', 'jws'],
    ['two segments', 'aaaa.bbbb', 'token_malformed 401'],
    ['four segments', 'aaaa.bbbb.cccc.dddd', 'token_malformed 401'],
    ['six segments', 'a.b.c.d.e.f', 'token_malformed 401'],
    ['an empty JWS signature', 'aaaa.bbbb.', 'token_malformed 401'],
    ['an empty JWS payload', 'aaaa..cccc', 'token_malformed 401'],
    ['an empty JWE ciphertext', 'aaaa.bbbb.cccc..eeee', 'token_malformed 401'],
    ['padding', 'aaaa.bbbb.cc==', 'token_malformed 401'],
    ['standard base64 +', 'aaaa.bb+b.cccc', 'token_malformed 401'],
    ['standard base64 /', 'aaaa.bbbb.cc/c', 'token_malformed 401'],
    ['whitespace', 'aaaa.bbbb.cc cc', 'token_malformed 401'],
    ['a newline', 'aaaa.bbbb.cccc\n', 'token_malformed 401'],
    ['non-ASCII', 'aaaa.bbbb.cccé', 'token_malformed 401'],
    ['a segment of length 4n+1 (impossible in base64)', 'aaaa.bbbbb.cccc', 'token_malformed 401'],
    ['non-zero unused bits, length 2 mod 4 ("aR" for "aQ")', 'aaaa.bbbb.aR', 'token_malformed 401'],
    [
      'non-zero unused bits, length 3 mod 4 ("aaF" for "aaE")',
      'aaaa.aaF.cccc',
      'token_malformed 401',
    ],
    ['an empty string', '', 'token_malformed 401'],
  ])('%s', (_name, token, expected) => {
    expect(code(() => tokenShape(token))).toBe(expected)
  })
})

describe('decodeHeader', () => {
  it.each<[string, string, string]>([
    ['a JSON object', b64url('{"alg":"HS256"}'), 'object'],
    ['a JSON array', b64url('["HS256"]'), 'token_malformed 401'],
    ['null', b64url('null'), 'token_malformed 401'],
    ['a string', b64url('"x"'), 'token_malformed 401'],
    ['not JSON', b64url('{alg:HS256}'), 'token_malformed 401'],
    ['invalid UTF-8', b64url(new Uint8Array([0x7b, 0xff, 0x7d])), 'token_malformed 401'],
  ])('%s', (_name, segment, expected) => {
    expect(code(() => typeof decodeHeader(segment))).toBe(expected)
  })
})

describe('fromJoseError: jose errors to codes', () => {
  it.each<[string, unknown, string]>([
    [
      'JWSSignatureVerificationFailed',
      new errors.JWSSignatureVerificationFailed(),
      'signature_invalid 401',
    ],
    ['JOSEAlgNotAllowed', new errors.JOSEAlgNotAllowed('x'), 'alg_not_allowed 401'],
    ['JWKSNoMatchingKey', new errors.JWKSNoMatchingKey(), 'key_not_found 401'],
    ['JWKSMultipleMatchingKeys', new errors.JWKSMultipleMatchingKeys(), 'key_not_found 401'],
    ['JWKSTimeout', new errors.JWKSTimeout(), 'keys_unavailable 503'],
    ['JWTExpired', new errors.JWTExpired('x', {}), 'token_expired 401'],
    [
      'JWTClaimValidationFailed',
      new errors.JWTClaimValidationFailed('x', {}, 'aud'),
      'claim_invalid 401',
    ],
    ['JWEDecryptionFailed', new errors.JWEDecryptionFailed(), 'decryption_failed 401'],
    ['JOSENotSupported', new errors.JOSENotSupported('x'), 'token_malformed 401'],
    ['JWSInvalid', new errors.JWSInvalid('x'), 'token_malformed 401'],
    ['a TypeError', new TypeError('x'), 'token_malformed 401'],
  ])('%s', (_name, err, expected) => {
    const mapped = fromJoseError(err)
    expect(`${mapped.code} ${mapped.status}`).toBe(expected)
    expect(mapped.cause).toBe(err)
  })

  it('an AuthError passes through', () => {
    const err = new AuthError('token_revoked', 'x')
    expect(fromJoseError(err)).toBe(err)
  })

  it('keys_unavailable from a timeout carries Retry-After', () => {
    expect(fromJoseError(new errors.JWKSTimeout()).toResponse().headers['retry-after']).toBe('30')
  })

  it('attacker-chosen header values appear only when short and plain', () => {
    expect(safe('RS256')).toBe("'RS256'")
    expect(safe('"><script>')).toBe('(unprintable)')
    expect(safe('x'.repeat(33))).toBe('(unprintable)')
  })
})
