// fast-check arbitraries for hostile requests: Authorization values, cookies, token segments, JSON shapes.
import fc from 'fast-check'
import { signJws, raw } from '@tokengate/testkit'

/** Characters an HTTP header value can carry on the wire (RFC 9110 §5.5: HTAB, VCHAR, SP, obs-text). */
const headerChars = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'ABCxyz019-_.~+/= '.split('')) },
  { weight: 2, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\t', ',', ';', '"', '\\', '%') },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
)

/** A header value: any string of wire-legal characters (no CR, LF, NUL). */
export const headerValue = (maxLength = 200) =>
  fc.string({ unit: headerChars, maxLength }).map((s) => s.trim())

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')

/** A base64url segment of random bytes (valid alphabet, any length). */
export const b64urlSegment = fc
  .uint8Array({ maxLength: 96 })
  .map((bytes) => Buffer.from(bytes).toString('base64url'))

/** A segment that is almost base64url: padding, '+', '/', spaces, '%', non-ASCII, empty. */
export const brokenSegment = fc.oneof(
  fc.constant(''),
  b64urlSegment.map((s) => `${s}=`),
  b64urlSegment.map((s) => `${s}==`),
  fc.uint8Array({ minLength: 1, maxLength: 48 }).map((b) => Buffer.from(b).toString('base64')),
  fc.string({ unit: fc.constantFrom(...B64URL, '+', '/', '=', '%', '.', '~'), maxLength: 64 }),
  fc.string({ unit: headerChars, maxLength: 64 }),
)

/** A token-shaped string: 1-6 segments, each valid base64url or broken. */
export const tokenShape = fc
  .array(
    fc.oneof({ weight: 3, arbitrary: b64urlSegment }, { weight: 1, arbitrary: brokenSegment }),
    {
      minLength: 1,
      maxLength: 6,
    },
  )
  .map((segments) => segments.join('.'))

/** JOSE-looking header members: real and hostile algorithms and parameters. */
export const joseHeader = fc.record(
  {
    alg: fc.oneof(
      fc.constantFrom(
        'HS256',
        'HS384',
        'HS512',
        'RS256',
        'PS256',
        'ES256',
        'EdDSA',
        'none',
        'None',
        'NONE',
        'nOnE',
        'RSA1_5',
        'dir',
        'A256KW',
        'RSA-OAEP-256',
        'ECDH-ES',
        'PBES2-HS256+A128KW',
        '',
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    enc: fc.constantFrom('A128GCM', 'A256GCM', 'A128CBC-HS256', 'A1GCM', ''),
    kid: fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.jsonValue({ maxDepth: 1 }),
      fc.constant('../../etc/passwd'),
    ),
    typ: fc.constantFrom('JWT', 'at+jwt', 'application/at+jwt', 'dpop+jwt', ''),
    crit: fc.oneof(fc.constant(['b64']), fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 })),
    b64: fc.boolean(),
    zip: fc.constantFrom('DEF', 'GZIP'),
    p2c: fc.oneof(fc.nat(), fc.constant(1e12), fc.constant(-1)),
    jku: fc.constant('http://127.0.0.1:1/jwks.json'),
    jwk: fc.constant({ kty: 'oct', k: 'AAAA' }),
    epk: fc.constant({ kty: 'EC', crv: 'P-256', x: 'AQ', y: 'AQ' }),
  },
  { requiredKeys: [] },
)

/** A NumericDate and its hostile look-alikes (RFC 7519 §2), as raw JSON text. */
const numericDateText = fc.oneof(
  fc.integer({ min: 0, max: 4_102_444_800 }).map(String),
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1.5e9',
    '"1700000000"',
    'null',
    'true',
    '[]',
    '{}',
    '-0',
    '9007199254740993',
  ),
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : 'null')),
)

/** A claims set as raw JSON text: objects with hostile times, or not an object at all. */
export const claimsText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          exp: numericDateText,
          nbf: numericDateText,
          iat: numericDateText,
          sub: fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v) ?? 'null'),
          iss: fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v) ?? 'null'),
          aud: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
          scope: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
          roles: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
          __proto__x: fc.constant('{"isAdmin":true}'),
        },
        { requiredKeys: [] },
      )
      .map(
        (members) =>
          `{${Object.entries(members)
            .map(([k, v]) => `${JSON.stringify(k === '__proto__x' ? '__proto__' : k)}:${v}`)
            .join(',')}}`,
      ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
)

/**
 * A JWS whose signature is REAL (HMAC with the verifier's secret), so fuzzed claims reach claim
 * validation instead of stopping at the signature check.
 */
export function signedWithSecret(secret: Uint8Array) {
  return fc
    .tuple(joseHeader, claimsText, fc.constantFrom('HS256', 'HS384', 'HS512'))
    .map(([header, claims, signAlg]) =>
      signJws(signAlg, secret, { alg: 'HS256', ...header }, raw(claims)),
    )
}

/** A scheme word for the Authorization header, honest and not. */
export const scheme = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'bearer',
    'BEARER',
    'BeArEr',
    'Basic',
    'Digest',
    'DPoP',
    'Token',
    'JWT',
    '',
  ),
  fc.string({ unit: headerChars, maxLength: 10 }),
)

/** A separator between scheme and token: RFC 6750 §2.1 allows 1*SP only. */
export const separator = fc.constantFrom(' ', '  ', '\t', '', ', ', ' \t ', '=')

/** Several values for one header name (a repeated Authorization or Cookie header). */
export const repeated = <T>(value: fc.Arbitrary<T>) =>
  fc.array(value, { minLength: 1, maxLength: 3 })

/** A Cookie header: name=value pairs, sometimes naming the auth cookie twice. */
export function cookieHeader(name: string, token: fc.Arbitrary<string>) {
  const pair = fc.oneof(
    token.map((t) => `${name}=${t}`),
    token.map((t) => `${name}="${t}"`),
    fc.tuple(fc.string({ maxLength: 8 }), headerValue(30)).map(([k, v]) => `${k}=${v}`),
    headerValue(30),
  )
  return fc.array(pair, { minLength: 1, maxLength: 4 }).map((pairs) => pairs.join('; '))
}
