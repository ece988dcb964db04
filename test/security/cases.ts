// The hostile-token corpus: every case names its attack or rule and its RFC/CVE, and the exact refusal.
import type { AuthenticatorOptions, AuthErrorCode } from '@tokengate/core'
import {
  attackerKeys,
  b64url,
  b64urlBytes,
  dirJwe,
  encryptToken,
  flipBit,
  forgedJwe,
  hmacWithPublicKey,
  invalidUtf8Json,
  offCurveEcdhJwe,
  pbes2Jwe,
  raw,
  rsa15Jwe,
  signJws,
  unsecuredJws,
  withHeader,
  withSegment,
  x5cValue,
  type AttackerKeys,
} from '@tokengate/testkit'
import { randomBytes } from 'node:crypto'
import type { DriverRequest } from '../support/drivers.js'
import {
  CORPUS_AUDIENCE,
  CORPUS_ISSUER,
  CORPUS_OTHER_ISSUER,
  testKeys,
  type TestKeyring,
} from '../support/fixtures.js'

// The shared fixture model (test/support/fixtures.ts); the issuer ends in '/' on purpose.
export const ISSUER = CORPUS_ISSUER
export const AUDIENCE = CORPUS_AUDIENCE
export const COOKIE = 'tg'
export const OTHER_ISSUER = CORPUS_OTHER_ISSUER

/** Server configurations the corpus runs against; each case names one. */
export type Profile =
  | 'rs' // RS256, PEM public key, header or cookie
  | 'es' // ES256, public JWK
  | 'jwks' // RS256 + ES256 from a local JWKS (kid lookup)
  | 'big' // as jwks, maxTokenLength 15000 (to reach parsing with big tokens under Node's header limit)
  | 'typ' // ES256 with typ: at+jwt (RFC 9068)
  | 'jwe' // nested JWE: RSA-OAEP-256 or ECDH-ES, inner ES256
  | 'jwe-dir' // dir A256GCM, signature required
  | 'jwe-pbes2' // PBES2-HS256+A128KW allowed, default p2c bound
  | 'jwe-required' // decrypt.required
  | 'issuers' // two issuers: RS256 PEM, and ES256 from a remote JWKS that must never be fetched here
  | 'ps' // PS256, the RS256 fixture key as PEM (round 2/3: tokens and crypto)
  | 'jwe-big' // as jwe (RSA-OAEP-256 only), maxTokenLength 15000
  | 'jwe-pbes2-two' // PBES2 with two passwords, each with a kid
  | 'jwe-kw-six' // six A256KW secrets without kid: a JWE without kid tries at most 5

export interface Fixtures extends Pick<
  TestKeyring,
  'rsa' | 'rsaOther' | 'ec' | 'ec384' | 'ed' | 'encRsa' | 'encRsaOther' | 'encEc'
> {
  dirKey: Uint8Array
  password: Uint8Array
  attacker: AttackerKeys
  /** An attacker-run server for jku/x5u URLs (must never be contacted). */
  attackerOrigin: string
  now: number
}

/** The corpus's fixtures: the shared keyring (test/support/fixtures.ts) plus what only the corpus uses. */
export async function buildFixtures(attackerOrigin: string): Promise<Fixtures> {
  const { rsa, rsaOther, ec, ec384, ed, encRsa, encRsaOther, encEc } = await testKeys()
  return {
    rsa,
    rsaOther,
    ec,
    ec384,
    ed,
    encRsa,
    encRsaOther,
    encEc,
    dirKey: new Uint8Array(randomBytes(32)),
    password: new TextEncoder().encode('correct horse battery staple'),
    attacker: attackerKeys(),
    attackerOrigin,
    now: Math.floor(Date.now() / 1000),
  }
}

/** A secret as a JWK: profiles are plain JSON so that they also run inside workerd. */
const octJwk = (secret: Uint8Array) => ({
  kty: 'oct',
  k: b64url(secret),
})

/** The six key-wrapping secrets of 'jwe-kw-six' (deterministic: profiles are rebuilt per driver). */
const kwSecret = (i: number) => new Uint8Array(32).fill(0x41 + i)

/** The options of a profile: plain JSON only (PEM, JWK), so the Workers driver can run them too. */
export function profileOptions(profile: Profile, fx: Fixtures): AuthenticatorOptions {
  const base = { issuer: ISSUER, audience: AUDIENCE, from: { header: true, cookie: COOKIE } }
  const jwks = { jwks: { keys: [fx.rsa.publicJwk, fx.ec.publicJwk] } }
  const nested = { ...base, algorithms: ['ES256'] as const, key: fx.ec.publicJwk }
  switch (profile) {
    case 'rs':
      return { ...base, algorithms: ['RS256'], key: fx.rsa.publicPem as string }
    case 'es':
      return { ...base, algorithms: ['ES256'], key: fx.ec.publicJwk }
    case 'jwks':
      return { ...base, algorithms: ['RS256', 'ES256'], key: jwks }
    case 'big':
      return { ...base, algorithms: ['RS256', 'ES256'], key: jwks, maxTokenLength: 15_000 }
    case 'typ':
      return { ...base, algorithms: ['ES256'], key: fx.ec.publicJwk, typ: 'at+jwt' }
    case 'jwe':
      return {
        ...nested,
        decrypt: {
          keys: [
            { key: fx.encRsa.privateJwk, kid: fx.encRsa.kid },
            { key: fx.encEc.privateJwk, kid: fx.encEc.kid },
          ],
          keyManagementAlgorithms: ['RSA-OAEP-256', 'ECDH-ES'],
        },
      }
    case 'jwe-dir':
      return { ...nested, decrypt: { keys: octJwk(fx.dirKey), keyManagementAlgorithms: ['dir'] } }
    case 'jwe-pbes2':
      return {
        ...nested,
        decrypt: { keys: octJwk(fx.password), keyManagementAlgorithms: ['PBES2-HS256+A128KW'] },
      }
    case 'issuers':
      return {
        from: { header: true, cookie: COOKIE },
        issuers: [
          {
            issuer: ISSUER,
            key: fx.rsa.publicPem as string,
            algorithms: ['RS256'],
            audience: AUDIENCE,
          },
          {
            issuer: OTHER_ISSUER,
            key: { jwksUri: `${fx.attackerOrigin}/jwks.json` },
            algorithms: ['ES256'],
            audience: AUDIENCE,
          },
        ],
      }
    case 'ps':
      return { ...base, algorithms: ['PS256'], key: fx.rsa.publicPem as string }
    case 'jwe-big':
      return {
        ...nested,
        maxTokenLength: 15_000,
        decrypt: {
          keys: [{ key: fx.encRsa.privateJwk, kid: fx.encRsa.kid }],
          keyManagementAlgorithms: ['RSA-OAEP-256'],
        },
      }
    case 'jwe-pbes2-two':
      return {
        ...nested,
        decrypt: {
          keys: [
            { key: octJwk(fx.password), kid: 'pw-1' },
            { key: octJwk(new TextEncoder().encode('another password')), kid: 'pw-2' },
          ],
          keyManagementAlgorithms: ['PBES2-HS256+A128KW'],
        },
      }
    case 'jwe-kw-six':
      return {
        ...nested,
        decrypt: {
          keys: [0, 1, 2, 3, 4, 5].map((i) => octJwk(kwSecret(i))),
          keyManagementAlgorithms: ['A256KW'],
        },
      }
    case 'jwe-required':
      return {
        ...nested,
        decrypt: {
          keys: [{ key: fx.encRsa.privateJwk, kid: fx.encRsa.kid }],
          keyManagementAlgorithms: ['RSA-OAEP-256'],
          required: true,
        },
      }
  }
}

export interface CorpusCase {
  /** The attack or the rule. */
  name: string
  /** Where it comes from: RFC section, CVE. */
  ref: string
  profile: Profile
  request: (fx: Fixtures) => Promise<DriverRequest> | DriverRequest
  status: number
  code: AuthErrorCode
}

// ---- builders --------------------------------------------------------------------------------

/** Valid claims for the profiles above, with overrides. */
export function claims(fx: Fixtures, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    roles: ['user'],
    iat: fx.now,
    exp: fx.now + 600,
    ...extra,
  }
}

/** Claims as raw JSON text, members in order, values verbatim (for 1e400, duplicates...). */
export function claimsText(
  fx: Fixtures,
  members: Array<[string, string]>,
  omit: string[] = [],
): string {
  const base: Array<[string, string]> = Object.entries(claims(fx))
    .filter(([k]) => !omit.includes(k) && !members.some(([m]) => m === k))
    .map(([k, v]) => [k, JSON.stringify(v)])
  return `{${[...base, ...members].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`
}

const rs = (fx: Fixtures, payload: unknown, header: Record<string, unknown> = {}) =>
  signJws(
    'RS256',
    fx.rsa.privateKey,
    { alg: 'RS256', typ: 'JWT', kid: fx.rsa.kid, ...header },
    payload,
  )
const es = (fx: Fixtures, payload: unknown, header: Record<string, unknown> = {}) =>
  signJws(
    'ES256',
    fx.ec.privateKey,
    { alg: 'ES256', typ: 'JWT', kid: fx.ec.kid, ...header },
    payload,
  )

/** GET /protected with `Authorization: Bearer <token>`. */
export const bearer = (token: string, path = '/protected'): DriverRequest => ({
  path,
  headers: { authorization: `Bearer ${token}` },
})
const auth = (value: string | string[]): DriverRequest => ({
  path: '/protected',
  headers: { authorization: value },
})
const cookie = (value: string | string[], extra: Record<string, string> = {}): DriverRequest => ({
  path: '/protected',
  headers: { cookie: value, ...extra },
})

/** An ES256 inner token for the JWE profiles. */
const inner = (fx: Fixtures, extra: Record<string, unknown> = {}) => es(fx, claims(fx, extra))
const toRsaOaep = (fx: Fixtures, plaintext: string | Record<string, unknown>, keys = fx.encRsa) =>
  encryptToken(plaintext, { alg: 'RSA-OAEP-256', enc: 'A256GCM', key: keys, cty: 'JWT' })

const B = 400
const U = 401

// ---- the corpus ------------------------------------------------------------------------------

export const corpus: CorpusCase[] = [
  // alg: none (RFC 7518 §3.6; RFC 8725 §2.1, §3.1; CVE-2015-9235). The canonical unsecured form
  // ends in an empty signature, which strict compact parsing refuses before the header is read;
  // with any signature bytes appended, the allowlist refuses it.
  ...['none', 'None', 'NONE', 'nOnE'].flatMap((alg): CorpusCase[] => [
    {
      name: `alg "${alg}" with an empty signature`,
      ref: 'RFC 8725 §3.1, CVE-2015-9235; RFC 7515 §7.1',
      profile: 'rs',
      request: (fx) => bearer(unsecuredJws(claims(fx), alg)),
      status: U,
      code: 'token_malformed',
    },
    {
      name: `alg "${alg}" with signature bytes`,
      ref: 'RFC 8725 §3.1, CVE-2015-9235',
      profile: 'rs',
      request: (fx) => bearer(`${unsecuredJws(claims(fx), alg)}c2lnbmF0dXJl`),
      status: U,
      code: 'alg_not_allowed',
    },
  ]),
  {
    name: 'alg "none" with a valid RS256 signature appended',
    ref: 'RFC 8725 §3.1',
    profile: 'rs',
    request: (fx) => {
      const forged = unsecuredJws(claims(fx))
      const genuine = rs(fx, claims(fx))
      return bearer(forged + (genuine.split('.')[2] ?? ''))
    },
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'alg "none" inside a JWS header that also names a kid of a configured key',
    ref: 'RFC 8725 §3.1',
    profile: 'jwks',
    request: (fx) => bearer(`${unsecuredJws(claims(fx), 'none', { kid: fx.rsa.kid })}c2ln`),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'header without alg',
    ref: 'RFC 7515 §4.1.1 (alg is REQUIRED)',
    profile: 'rs',
    request: (fx) => bearer(signJws('RS256', fx.rsa.privateKey, { typ: 'JWT' }, claims(fx))),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'alg that is not a string (number)',
    ref: 'RFC 7515 §4.1.1',
    profile: 'rs',
    request: (fx) => bearer(signJws('RS256', fx.rsa.privateKey, { alg: 256 }, claims(fx))),
    status: U,
    code: 'token_malformed',
  },

  // Algorithm confusion: HMAC keyed with the public key (CVE-2015-9235, CVE-2022-23541, CVE-2023-48223)
  ...(
    [
      ['rs', 'rsa', 'pem', 'HS256', 'CVE-2022-23541 (jsonwebtoken)'],
      ['rs', 'rsa', 'jwk', 'HS256', 'CVE-2023-48223 (fast-jwt)'],
      ['rs', 'rsa', 'der', 'HS512', 'CVE-2015-9235'],
      ['es', 'ec', 'pem', 'HS256', 'CVE-2023-48223 (fast-jwt)'],
      ['es', 'ec', 'jwk', 'HS384', 'Hono CVE-2026-22817/22818 class'],
      ['jwks', 'rsa', 'pem', 'HS512', 'Hono CVE-2026-22817/22818 class (JWKS)'],
      ['jwks', 'ec', 'jwk', 'HS256', 'Hono CVE-2026-22817/22818 class (JWKS)'],
    ] as const
  ).map(([profile, which, form, alg, cve]): CorpusCase => ({
    name: `${alg} signed with the ${which.toUpperCase()} public key as the HMAC secret (${form})`,
    ref: `RFC 8725 §2.1, §3.1; ${cve}`,
    profile,
    request: (fx) =>
      bearer(
        hmacWithPublicKey(fx[which].publicKey as CryptoKey, form, claims(fx), alg, {
          kid: fx[which].kid,
        }),
      ),
    status: U,
    code: 'alg_not_allowed',
  })),

  // Algorithms outside the allowlist (RFC 8725 §3.1)
  {
    name: 'RS512 signed by the configured RSA key, only RS256 allowed',
    ref: 'RFC 8725 §3.1',
    profile: 'rs',
    request: (fx) =>
      bearer(signJws('RS512', fx.rsa.privateKey, { alg: 'RS512', kid: fx.rsa.kid }, claims(fx))),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'PS256 signed by the configured RSA key, only RS256 allowed',
    ref: 'RFC 8725 §3.1',
    profile: 'rs',
    request: (fx) =>
      bearer(signJws('PS256', fx.rsa.privateKey, { alg: 'PS256', kid: fx.rsa.kid }, claims(fx))),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'ES384 from another curve, only ES256 allowed',
    ref: 'RFC 8725 §3.1, RFC 7518 §3.4',
    profile: 'es',
    request: (fx) => bearer(signJws('ES384', fx.ec384.privateKey, { alg: 'ES384' }, claims(fx))),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'EdDSA token, not in the allowlist',
    ref: 'RFC 8725 §3.1, RFC 8037',
    profile: 'jwks',
    request: (fx) =>
      bearer(signJws('EdDSA', fx.ed.privateKey, { alg: 'EdDSA', kid: fx.rsa.kid }, claims(fx))),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'alg "rs256" (lower case) with a genuine RS256 signature: alg is case-sensitive',
    ref: 'RFC 7515 §4.1.1',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx), { alg: 'rs256' })),
    status: U,
    code: 'alg_not_allowed',
  },

  // Keys smuggled in the header (RFC 7515 §4.1.2-4.1.6; RFC 8725 §3.10; CVE-2018-0114)
  {
    name: 'embedded jwk: the attacker key in the header, signed with it',
    ref: 'RFC 7515 §4.1.3, CVE-2018-0114 (node-jose)',
    profile: 'es',
    request: (fx) =>
      bearer(
        signJws(
          'ES256',
          fx.attacker.privateKey,
          { alg: 'ES256', jwk: fx.attacker.publicJwk },
          claims(fx),
        ),
      ),
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'embedded jwk with the kid of a configured key',
    ref: 'RFC 7515 §4.1.3, RFC 8725 §3.10',
    profile: 'jwks',
    request: (fx) =>
      bearer(
        signJws(
          'ES256',
          fx.attacker.privateKey,
          { alg: 'ES256', kid: fx.ec.kid, jwk: { ...fx.attacker.publicJwk, kid: fx.ec.kid } },
          claims(fx),
        ),
      ),
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'jku pointing at the attacker JWKS (never fetched)',
    ref: 'RFC 7515 §4.1.2, RFC 8725 §3.10',
    profile: 'jwks',
    request: (fx) =>
      bearer(
        signJws(
          'ES256',
          fx.attacker.privateKey,
          { alg: 'ES256', kid: fx.ec.kid, jku: `${fx.attackerOrigin}/attacker/jwks.json` },
          claims(fx),
        ),
      ),
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'x5u pointing at the attacker certificate (never fetched)',
    ref: 'RFC 7515 §4.1.5, RFC 8725 §3.10',
    profile: 'es',
    request: (fx) =>
      bearer(
        signJws(
          'ES256',
          fx.attacker.privateKey,
          { alg: 'ES256', x5u: `${fx.attackerOrigin}/attacker/cert.pem` },
          claims(fx),
        ),
      ),
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'x5c carrying the attacker self-signed certificate',
    ref: 'RFC 7515 §4.1.6, RFC 8725 §3.10',
    profile: 'es',
    request: (fx) =>
      bearer(
        signJws(
          'ES256',
          fx.attacker.privateKey,
          { alg: 'ES256', x5c: [x5cValue(fx.attacker.certificate)] },
          claims(fx),
        ),
      ),
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'jwk, jku, x5u and x5c together, no kid',
    ref: 'RFC 8725 §3.10',
    profile: 'jwks',
    request: (fx) =>
      bearer(
        signJws(
          'ES256',
          fx.attacker.privateKey,
          {
            alg: 'ES256',
            jwk: fx.attacker.publicJwk,
            jku: `${fx.attackerOrigin}/attacker/jwks.json`,
            x5u: `${fx.attackerOrigin}/attacker/cert.pem`,
            x5c: [x5cValue(fx.attacker.certificate)],
          },
          claims(fx),
        ),
      ),
    status: U,
    code: 'signature_invalid',
  },

  // Hostile kid values against a JWKS (RFC 7515 §4.1.4; RFC 8725 §3.10: kid must not become a path or a query)
  ...(
    [
      ['path traversal', '../../../../etc/passwd'],
      ['SQL injection', "' OR '1'='1' --"],
      ['empty string', ''],
      ['URL', 'https://attacker.example/jwks.json'],
      ['prototype key', '__proto__'],
    ] as const
  ).map(([what, kid]): CorpusCase => ({
    name: `kid: ${what}, genuine RS256 signature`,
    ref: 'RFC 7515 §4.1.4, RFC 8725 §3.10',
    profile: 'jwks',
    request: (fx) => bearer(rs(fx, claims(fx), { kid })),
    status: U,
    code: 'key_not_found',
  })),
  {
    name: 'kid of 10 KB (under a raised maxTokenLength)',
    ref: 'RFC 7515 §4.1.4',
    profile: 'big',
    request: (fx) => bearer(rs(fx, claims(fx), { kid: 'k'.repeat(10_240) })),
    status: U,
    // The header is over the 8192-character cap (issue 21 item 2): refused before parsing.
    code: 'token_malformed',
  },
  ...(
    [
      ['a number', 12345],
      ['an object (NoSQL operator)', { $ne: null }],
      ['null', null],
      ['an array', ['rsa-1']],
    ] as const
  ).map(([what, kid]): CorpusCase => ({
    name: `kid that is ${what}`,
    ref: 'RFC 7515 §4.1.4 (kid is a string)',
    profile: 'jwks',
    request: (fx) => bearer(rs(fx, claims(fx), { kid })),
    status: U,
    code: 'token_malformed',
  })),

  // crit and b64 (RFC 7515 §4.1.11, RFC 7797)
  {
    name: 'crit names an unknown extension (genuine signature)',
    ref: 'RFC 7515 §4.1.11',
    profile: 'rs',
    request: (fx) =>
      bearer(rs(fx, claims(fx), { crit: ['urn:x:exp-override'], 'urn:x:exp-override': 1 })),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'crit is an empty list',
    ref: 'RFC 7515 §4.1.11 (MUST NOT be empty)',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx), { crit: [] })),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'b64: false with a detached payload',
    ref: 'RFC 7797 §3, §6',
    profile: 'rs',
    request: (fx) => {
      const header = { alg: 'RS256', kid: fx.rsa.kid, b64: false, crit: ['b64'] }
      const token = rs(fx, claims(fx), header)
      return bearer(withSegment(token, 1, ''))
    },
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'b64: false with the unencoded payload in the compact form',
    ref: 'RFC 7797 §5.2',
    profile: 'rs',
    request: (fx) => {
      const token = rs(fx, raw('hello'), { b64: false, crit: ['b64'] })
      return bearer(withSegment(token, 1, 'hello'))
    },
    status: U,
    code: 'token_malformed',
  },

  // Time claims (RFC 7519 §4.1.4-4.1.6)
  {
    name: 'expired an hour ago',
    ref: 'RFC 7519 §4.1.4',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { exp: fx.now - 3600 }))),
    status: U,
    code: 'token_expired',
  },
  {
    name: 'expired 60 s ago (beyond the 5 s tolerance)',
    ref: 'RFC 7519 §4.1.4',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { exp: fx.now - 60 }))),
    status: U,
    code: 'token_expired',
  },
  {
    name: 'nbf an hour in the future',
    ref: 'RFC 7519 §4.1.5',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { nbf: fx.now + 3600 }))),
    status: U,
    code: 'token_not_yet_valid',
  },
  {
    name: 'iat an hour in the future',
    ref: 'RFC 7519 §4.1.6',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { iat: fx.now + 3600 }))),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'missing exp',
    ref: 'RFC 7519 §4.1.4; requireExp (default true)',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, raw(claimsText(fx, [], ['exp'])))),
    status: U,
    code: 'claim_invalid',
  },
  ...(
    [
      ['exp', '"9999999999"', 'a string'],
      ['exp', '1e400', '1e400 (Infinity)'],
      ['exp', '-1e400', '-1e400 (-Infinity)'],
      ['exp', 'null', 'null'],
      ['exp', 'true', 'a boolean'],
      ['exp', '{"$gt":0}', 'an object'],
      ['nbf', '"0"', 'a string'],
      ['nbf', '-1e400', '-1e400'],
      ['iat', '"now"', 'a string'],
      ['iat', '1e400', '1e400'],
    ] as const
  ).map(([claim, value, what]): CorpusCase => ({
    name: `${claim} is ${what}`,
    ref: 'RFC 7519 §2 (NumericDate), §4.1.4-4.1.6',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, raw(claimsText(fx, [[claim, value]])))),
    status: U,
    code: 'claim_invalid',
  })),

  // iss, aud, typ (RFC 7519 §4.1.1, §4.1.3; RFC 8725 §3.9, §3.11; RFC 9068 §4)
  {
    name: 'iss of another issuer',
    ref: 'RFC 7519 §4.1.1, RFC 8725 §3.8',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { iss: 'https://attacker.example/' }))),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'iss differing by a trailing slash (exact match)',
    ref: 'RFC 7519 §4.1.1',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { iss: ISSUER.slice(0, -1) }))),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'iss missing',
    ref: 'RFC 7519 §4.1.1',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, raw(claimsText(fx, [], ['iss'])))),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'aud of another API',
    ref: 'RFC 7519 §4.1.3, RFC 8725 §3.9',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { aud: 'https://other-api.example.test' }))),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'aud list without this API',
    ref: 'RFC 7519 §4.1.3',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { aud: ['a', 'b'] }))),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'aud missing',
    ref: 'RFC 7519 §4.1.3',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, raw(claimsText(fx, [], ['aud'])))),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'typ "JWT" where at+jwt is required',
    ref: 'RFC 9068 §4, RFC 8725 §3.11',
    profile: 'typ',
    request: (fx) => bearer(es(fx, claims(fx), { typ: 'JWT' })),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'typ "dpop+jwt": another kind of JWT (cross-JWT confusion)',
    ref: 'RFC 8725 §2.8, §3.11',
    profile: 'typ',
    request: (fx) => bearer(es(fx, claims(fx), { typ: 'dpop+jwt' })),
    status: U,
    code: 'claim_invalid',
  },
  {
    name: 'typ missing where at+jwt is required',
    ref: 'RFC 9068 §4',
    profile: 'typ',
    request: (fx) => bearer(es(fx, claims(fx), { typ: undefined })),
    status: U,
    code: 'claim_invalid',
  },

  // Payload shape (RFC 7519 §7.2 steps 8-10; RFC 8259 §8.1)
  ...(
    [
      ['a JSON array', '[{"sub":"alice"}]'],
      ['a JSON string', '"alice"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['not JSON', '{sub: alice}'],
      ['empty', ''],
    ] as const
  ).map(([what, text]): CorpusCase => ({
    name: `payload is ${what} (genuine signature)`,
    ref: 'RFC 7519 §7.2 step 10',
    profile: 'rs',
    request: (fx) => {
      const token = rs(fx, raw(text))
      return bearer(text === '' ? withSegment(token, 1, '') : token)
    },
    status: U,
    code: 'token_malformed',
  })),
  {
    name: 'payload is not UTF-8 (genuine signature)',
    ref: 'RFC 8259 §8.1, RFC 7519 §7.2',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, raw(invalidUtf8Json(claims(fx))))),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'header is not UTF-8 (genuine signature)',
    ref: 'RFC 8259 §8.1, RFC 7515 §5.2 step 3',
    profile: 'rs',
    request: (fx) =>
      bearer(
        signJws('RS256', fx.rsa.privateKey, raw(invalidUtf8Json({ alg: 'RS256' })), claims(fx)),
      ),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'header is a JSON array',
    ref: 'RFC 7515 §5.2 step 3',
    profile: 'rs',
    request: (fx) => bearer(signJws('RS256', fx.rsa.privateKey, raw('["RS256"]'), claims(fx))),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'duplicate exp: the first one valid, the last one expired (last wins, RFC 7519 §4)',
    ref: 'RFC 7519 §4, RFC 7515 §5.2 step 3',
    profile: 'rs',
    request: (fx) =>
      bearer(
        rs(
          fx,
          raw(
            claimsText(
              fx,
              [
                ['exp', String(fx.now + 600)],
                ['exp', String(fx.now - 600)],
              ],
              ['exp'],
            ),
          ),
        ),
      ),
    status: U,
    code: 'token_expired',
  },
  {
    name: 'duplicate alg in the header: "RS256" then "none" (genuine signature)',
    ref: 'RFC 7515 §4, §5.2 step 3',
    profile: 'rs',
    request: (fx) =>
      bearer(signJws('RS256', fx.rsa.privateKey, raw('{"alg":"RS256","alg":"none"}'), claims(fx))),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'deeply nested header (4000 levels), attacker signature',
    ref: 'RFC 8259 §9 (nesting limits), stack exhaustion',
    profile: 'big',
    request: (fx) =>
      bearer(
        signJws(
          'ES256',
          fx.attacker.privateKey,
          raw(`{"alg":"ES256","kid":"${fx.ec.kid}","x":${'['.repeat(4000)}${']'.repeat(4000)}}`),
          claims(fx),
        ),
      ),
    status: U,
    // Refused before parsing since round 3 (header size and depth caps, issue 21 item 2).
    code: 'token_malformed',
  },
  {
    name: 'deeply nested claims (4000 levels), genuine signature, expired',
    ref: 'RFC 8259 §9, RFC 7519 §4.1.4',
    profile: 'big',
    request: (fx) =>
      bearer(
        rs(
          fx,
          raw(
            claimsText(fx, [
              ['exp', String(fx.now - 600)],
              ['n', `${'['.repeat(4000)}${']'.repeat(4000)}`],
            ]),
          ),
        ),
      ),
    status: U,
    code: 'token_expired',
  },
  {
    name: 'huge payload (12 KB) under the default maxTokenLength',
    ref: 'maxTokenLength 8192 (work bound before verification)',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx, { pad: 'x'.repeat(9_000) }))),
    status: U,
    code: 'token_too_large',
  },
  {
    name: 'token of 8193 characters',
    ref: 'maxTokenLength 8192',
    profile: 'rs',
    request: (fx) => {
      const token = rs(fx, claims(fx))
      return bearer(`${token}${'A'.repeat(8193 - token.length)}`)
    },
    status: U,
    code: 'token_too_large',
  },
  {
    name: '__proto__ claim with roles ["admin"] on /admin (prototype pollution)',
    ref: 'CWE-1321',
    profile: 'rs',
    request: (fx) =>
      bearer(
        rs(fx, raw(claimsText(fx, [['__proto__', '{"roles":["admin"]}']], ['roles']))),
        '/admin',
      ),
    status: 403,
    code: 'insufficient_role',
  },

  // Compact form (RFC 7515 §3.1, §7.1; DESIGN "strict compact serialisation")
  ...(
    [
      ['a padded signature ("=")', (t: string) => `${t}=`],
      [
        '"+" in the signature (standard base64)',
        (t: string) =>
          withSegment(t, 2, `${t.split('.')[2]?.slice(0, 10)}+${t.split('.')[2]?.slice(11)}`),
      ],
      [
        '"/" in the payload (standard base64)',
        (t: string) => withSegment(t, 1, `/${t.split('.')[1]?.slice(1)}`),
      ],
      ['"~" in the header', (t: string) => `~${t.slice(1)}`],
      ['one segment', (t: string) => t.split('.')[0] ?? ''],
      ['two segments', (t: string) => t.split('.').slice(0, 2).join('.')],
      ['four segments', (t: string) => `${t}.${t.split('.')[2]}`],
      ['six segments', (t: string) => `${t}.${t}`.split('.').slice(0, 6).join('.')],
      ['an empty header segment', (t: string) => withSegment(t, 0, '')],
      ['an empty signature segment', (t: string) => withSegment(t, 2, '')],
      ['only dots', () => '..'],
      ['a leading dot', (t: string) => `.${t}`],
      ['a trailing dot', (t: string) => `${t}.`],
    ] as const
  ).map(([what, mutate]): CorpusCase => ({
    name: `token with ${what}`,
    ref: 'RFC 7515 §7.1, RFC 7519 §7.2 step 1',
    profile: 'rs',
    request: (fx) => bearer(mutate(rs(fx, claims(fx)))),
    status: U,
    code: 'token_malformed',
  })),
  {
    name: 'token with a padded header ("==" before a dot)',
    ref: 'RFC 6750 §2.1 (b64token: "=" only at the end)',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx)).replace('.', '==.')),
    status: B,
    code: 'invalid_request',
  },
  {
    name: 'header segment that is not JSON',
    ref: 'RFC 7515 §5.2 step 3',
    profile: 'rs',
    request: (fx) => bearer(signJws('RS256', fx.rsa.privateKey, raw('alg=RS256'), claims(fx))),
    status: U,
    code: 'token_malformed',
  },

  // Signatures (RFC 7515 §5.2; CVE-2022-21449)
  {
    name: 'signed by another RSA key',
    ref: 'RFC 7515 §5.2 step 8',
    profile: 'rs',
    request: (fx) => bearer(signJws('RS256', fx.rsaOther.privateKey, { alg: 'RS256' }, claims(fx))),
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'signature truncated to half',
    ref: 'RFC 7515 §5.2 step 8',
    profile: 'rs',
    request: (fx) => {
      const token = rs(fx, claims(fx))
      const sig = token.split('.')[2] ?? ''
      return bearer(withSegment(token, 2, b64url(b64urlBytes(sig).subarray(0, 128))))
    },
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'payload swapped for one with roles ["admin"], signature kept',
    ref: 'RFC 7515 §5.2 step 8',
    profile: 'rs',
    request: (fx) => {
      const token = rs(fx, claims(fx))
      const forged = rs(fx, claims(fx, { roles: ['admin'] })).split('.')[1] ?? ''
      return bearer(withSegment(token, 1, forged), '/admin')
    },
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'ES256 "psychic signature": r = s = 0',
    ref: 'CVE-2022-21449',
    profile: 'es',
    request: (fx) => bearer(withSegment(es(fx, claims(fx)), 2, b64url(new Uint8Array(64)))),
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'ES256 signature in DER form instead of r||s',
    ref: 'RFC 7518 §3.4',
    profile: 'es',
    request: (fx) => {
      const token = es(fx, claims(fx))
      const der = Buffer.concat([
        Buffer.from([0x30, 0x44, 0x02, 0x20]),
        Buffer.alloc(32, 1),
        Buffer.from([0x02, 0x20]),
        Buffer.alloc(32, 1),
      ])
      return bearer(withSegment(token, 2, b64url(der)))
    },
    status: U,
    code: 'signature_invalid',
  },

  // JWE (RFC 7516; RFC 8725 §3.2-3.4)
  {
    name: 'JWE encrypted to another key',
    ref: 'RFC 7516 §5.2',
    profile: 'jwe',
    request: async (fx) =>
      bearer(
        await encryptToken(inner(fx), {
          alg: 'RSA-OAEP-256',
          key: fx.encRsaOther,
          kid: fx.encRsa.kid,
        }),
      ),
    status: U,
    code: 'decryption_failed',
  },
  {
    name: 'JWE protected header changed (AAD)',
    ref: 'RFC 7516 §5.2 step 14',
    profile: 'jwe',
    request: async (fx) => bearer(withHeader(await toRsaOaep(fx, inner(fx)), { x: 1 })),
    status: U,
    code: 'decryption_failed',
  },
  ...(
    [
      [1, 'encrypted key'],
      [2, 'initialization vector'],
      [3, 'ciphertext'],
      [4, 'authentication tag'],
    ] as const
  ).map(([index, part]): CorpusCase => ({
    name: `JWE ${part} tampered`,
    ref: 'RFC 7516 §5.2',
    profile: 'jwe',
    request: async (fx) => bearer(flipBit(await toRsaOaep(fx, inner(fx)), index)),
    status: U,
    code: 'decryption_failed',
  })),
  {
    name: 'JWE RSA1_5 (genuine, encrypted to the configured RSA key)',
    ref: 'RFC 8725 §3.2, Bleichenbacher 1998',
    profile: 'jwe',
    request: async (fx) =>
      bearer(rsa15Jwe(fx.encRsa.publicKey as CryptoKey, inner(fx), { kid: fx.encRsa.kid })),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE key management algorithm not in the allowlist (A256KW)',
    ref: 'RFC 8725 §3.1',
    profile: 'jwe',
    request: () => bearer(forgedJwe({ alg: 'A256KW', enc: 'A256GCM' })),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE alg "none"',
    ref: 'RFC 8725 §3.1',
    profile: 'jwe',
    request: () => bearer(forgedJwe({ alg: 'none', enc: 'A256GCM' })),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE PBES2 with p2c 2^31 where PBES2 is not allowed',
    ref: 'RFC 7518 §4.8, CVE-2022-36083',
    profile: 'jwe',
    request: () => bearer(pbes2Jwe(2 ** 31)),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE PBES2 with p2c 2^31 where PBES2 is allowed (bounded count)',
    ref: 'RFC 7518 §4.8.1.2, CVE-2022-36083',
    profile: 'jwe-pbes2',
    request: () => bearer(pbes2Jwe(2 ** 31)),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE zip: "DEF" (genuine dir JWE)',
    ref: 'RFC 7516 §4.1.3, CVE-2024-28176',
    profile: 'jwe-dir',
    request: async (fx) =>
      bearer(
        await encryptToken(inner(fx), { alg: 'dir', enc: 'A256GCM', key: fx.dirKey, zip: 'DEF' }),
      ),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE zip: "DEF" (genuine RSA-OAEP-256 JWE)',
    ref: 'RFC 7516 §4.1.3, CVE-2024-28176',
    profile: 'jwe',
    request: async (fx) =>
      bearer(await encryptToken(inner(fx), { alg: 'RSA-OAEP-256', key: fx.encRsa, zip: 'DEF' })),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE ECDH-ES with an ephemeral key off the curve',
    ref: 'RFC 8725 §3.4; JWE invalid-curve attack (Sanso, Nguyen 2017)',
    profile: 'jwe',
    request: () => bearer(offCurveEcdhJwe()),
    status: U,
    code: 'decryption_failed',
  },
  {
    name: 'JWE crit names an unknown extension (genuine dir JWE)',
    ref: 'RFC 7516 §4.1.13',
    profile: 'jwe-dir',
    request: (fx) => bearer(dirJwe(fx.dirKey, inner(fx), { crit: ['urn:x:y'], 'urn:x:y': 1 })),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'nested: inner token alg "none", empty signature',
    ref: 'RFC 7519 §5.2, RFC 8725 §3.1',
    profile: 'jwe',
    request: async (fx) => bearer(await toRsaOaep(fx, unsecuredJws(claims(fx)))),
    status: U,
    code: 'signature_required',
  },
  {
    name: 'nested: inner token alg "none" with signature bytes',
    ref: 'RFC 7519 §5.2, RFC 8725 §3.1',
    profile: 'jwe',
    request: async (fx) => bearer(await toRsaOaep(fx, `${unsecuredJws(claims(fx))}c2ln`)),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'nested: inner token signed by the attacker',
    ref: 'RFC 7519 §5.2, RFC 7515 §5.2',
    profile: 'jwe',
    request: async (fx) =>
      bearer(
        await toRsaOaep(
          fx,
          signJws('ES256', fx.attacker.privateKey, { alg: 'ES256', kid: fx.ec.kid }, claims(fx)),
        ),
      ),
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'nested: inner token expired',
    ref: 'RFC 7519 §4.1.4',
    profile: 'jwe',
    request: async (fx) => bearer(await toRsaOaep(fx, inner(fx, { exp: fx.now - 600 }))),
    status: U,
    code: 'token_expired',
  },
  {
    name: 'unsigned claims in an RSA-OAEP JWE where a signature is required',
    ref: 'RFC 7519 §5.2; anyone can encrypt to a public key',
    profile: 'jwe',
    request: async (fx) => bearer(await toRsaOaep(fx, claims(fx))),
    status: U,
    code: 'signature_required',
  },
  {
    name: 'unsigned claims in a dir JWE where a signature is required',
    ref: 'RFC 7519 §5.2',
    profile: 'jwe-dir',
    request: (fx) => bearer(dirJwe(fx.dirKey, JSON.stringify(claims(fx)))),
    status: U,
    code: 'signature_required',
  },
  {
    name: 'a JWE inside a JWE (no signature anywhere)',
    ref: 'RFC 7519 §5.2',
    profile: 'jwe',
    request: async (fx) => bearer(await toRsaOaep(fx, await toRsaOaep(fx, claims(fx)))),
    status: U,
    code: 'signature_required',
  },
  {
    name: 'plain JWS where encryption is required',
    ref: 'decrypt.required',
    profile: 'jwe-required',
    request: (fx) => bearer(inner(fx)),
    status: U,
    code: 'encryption_required',
  },

  // Several issuers: the token's iss picks the keys, before any key is fetched (packages/core/README.md, "Multiple issuers")
  {
    name: 'iss of an issuer that is not configured',
    ref: 'RFC 8725 §3.8, core README Multiple issuers',
    profile: 'issuers',
    request: (fx) => bearer(rs(fx, claims(fx, { iss: 'https://attacker.example/' }))),
    status: U,
    code: 'issuer_unknown',
  },
  {
    name: 'no iss with several issuers configured',
    ref: 'RFC 8725 §3.8',
    profile: 'issuers',
    request: (fx) => bearer(rs(fx, raw(claimsText(fx, [], ['iss'])))),
    status: U,
    code: 'issuer_unknown',
  },
  {
    name: 'iss of the remote-JWKS issuer on a token signed with the other issuer key (RS256)',
    ref: 'RFC 8725 §3.8 (cross-issuer confusion)',
    profile: 'issuers',
    request: (fx) => bearer(rs(fx, claims(fx, { iss: OTHER_ISSUER }))),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'iss of the PEM issuer on an ES256 token from the attacker',
    ref: 'RFC 8725 §3.8',
    profile: 'issuers',
    request: (fx) => bearer(signJws('ES256', fx.attacker.privateKey, { alg: 'ES256' }, claims(fx))),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'iss of the PEM issuer, HS256 keyed with that issuer RSA public key',
    ref: 'CVE-2022-23541 with several issuers',
    profile: 'issuers',
    request: (fx) => bearer(hmacWithPublicKey(fx.rsa.publicKey as CryptoKey, 'pem', claims(fx))),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'iss of the PEM issuer, signed by another RSA key',
    ref: 'RFC 7515 §5.2',
    profile: 'issuers',
    request: (fx) => bearer(signJws('RS256', fx.rsaOther.privateKey, { alg: 'RS256' }, claims(fx))),
    status: U,
    code: 'signature_invalid',
  },

  // Extraction (RFC 6750 §2.1; Hono CVE-2026-47673 class)
  {
    name: 'token in the Authorization header and in the cookie',
    ref: 'RFC 6750 §2 (one method only)',
    profile: 'rs',
    request: (fx) => {
      const token = rs(fx, claims(fx))
      return {
        path: '/protected',
        headers: { authorization: `Bearer ${token}`, cookie: `${COOKIE}=${token}` },
      }
    },
    status: B,
    code: 'multiple_tokens',
  },
  {
    name: 'two Authorization headers',
    ref: 'RFC 9110 §5.3, RFC 6750 §2',
    profile: 'rs',
    request: (fx) =>
      auth([`Bearer ${rs(fx, claims(fx))}`, `Bearer ${rs(fx, claims(fx, { sub: 'bob' }))}`]),
    status: B,
    code: 'invalid_request',
  },
  {
    name: 'two Authorization headers, the second not Bearer',
    ref: 'RFC 9110 §5.3',
    profile: 'rs',
    request: (fx) => auth([`Bearer ${rs(fx, claims(fx))}`, 'Basic YWxpY2U6cGFzcw==']),
    status: B,
    code: 'invalid_request',
  },
  {
    name: 'the auth cookie twice in one Cookie header',
    ref: 'RFC 6265 §5.4 (order not guaranteed)',
    profile: 'rs',
    request: (fx) =>
      cookie(`${COOKIE}=${rs(fx, claims(fx))}; ${COOKIE}=${rs(fx, claims(fx, { sub: 'bob' }))}`),
    status: B,
    code: 'invalid_request',
  },
  {
    name: 'the auth cookie in two Cookie headers',
    ref: 'RFC 6265 §5.4',
    profile: 'rs',
    request: (fx) =>
      cookie([
        `${COOKIE}=${rs(fx, claims(fx))}`,
        `${COOKIE}=${rs(fx, claims(fx, { sub: 'bob' }))}`,
      ]),
    status: B,
    code: 'invalid_request',
  },
  {
    name: '"Bearer" and a tab before the token',
    ref: 'RFC 6750 §2.1 (1*SP)',
    profile: 'rs',
    request: (fx) => auth(`Bearer\t${rs(fx, claims(fx))}`),
    status: B,
    code: 'invalid_request',
  },
  {
    name: '"Bearer" with no token',
    ref: 'RFC 6750 §2.1',
    profile: 'rs',
    request: () => auth('Bearer'),
    status: B,
    code: 'invalid_request',
  },
  {
    name: '"Bearer" with a token and trailing junk',
    ref: 'RFC 6750 §2.1 (b64token)',
    profile: 'rs',
    request: (fx) => auth(`Bearer ${rs(fx, claims(fx))} admin`),
    status: B,
    code: 'invalid_request',
  },
  {
    name: 'two Bearer credentials joined by a comma in one header',
    ref: 'RFC 6750 §2.1',
    profile: 'rs',
    request: (fx) => auth(`Bearer ${rs(fx, claims(fx))}, Bearer ${rs(fx, claims(fx))}`),
    status: B,
    code: 'invalid_request',
  },
  {
    name: '"Bearer" with a non-ASCII character in the token',
    ref: 'RFC 6750 §2.1 (b64token)',
    profile: 'rs',
    request: (fx) => auth(`Bearer ${rs(fx, claims(fx))}\u00e9`),
    status: B,
    code: 'invalid_request',
  },
  ...(
    [
      ['Basic credentials', () => 'Basic YWxpY2U6c2VjcmV0'],
      ['Digest credentials', () => 'Digest username="alice", response="x"'],
      ['a valid token under the DPoP scheme (DPoP off)', (t: string) => `DPoP ${t}`],
      [
        'a valid token under a made-up scheme (Hono CVE-2026-47673 class)',
        (t: string) => `Token ${t}`,
      ],
      ['a valid token with no scheme', (t: string) => t],
      ['a valid token glued to "Bearer" with no space', (t: string) => `Bearer${t}`],
    ] as const
  ).map(([what, value]): CorpusCase => ({
    name: `Authorization: ${what}`,
    ref: 'RFC 6750 §2.1, §3.1; CVE-2026-47673 class',
    profile: 'rs',
    request: (fx) => auth(value(rs(fx, claims(fx)))),
    status: U,
    code: 'token_missing',
  })),
  {
    name: 'a valid token in the access_token query parameter (not supported)',
    ref: 'RFC 6750 §2.3, RFC 9700 §2.5',
    profile: 'rs',
    request: (fx) => ({ path: `/protected?access_token=${rs(fx, claims(fx))}` }),
    status: U,
    code: 'token_missing',
  },
  {
    name: 'a valid token in a form body (not supported)',
    ref: 'RFC 6750 §2.2',
    profile: 'rs',
    request: (fx) => ({
      method: 'POST',
      path: '/protected',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${rs(fx, claims(fx))}`,
    }),
    status: U,
    code: 'token_missing',
  },
  {
    name: 'a valid token in a cookie with another name',
    ref: 'from.cookie',
    profile: 'rs',
    request: (fx) => cookie(`${COOKIE}x=${rs(fx, claims(fx))}; session=${rs(fx, claims(fx))}`),
    status: U,
    code: 'token_missing',
  },
  {
    name: 'an expired token in the cookie',
    ref: 'RFC 7519 §4.1.4',
    profile: 'rs',
    request: (fx) => cookie(`${COOKIE}=${rs(fx, claims(fx, { exp: fx.now - 3600 }))}`),
    status: U,
    code: 'token_expired',
  },
  // ---- Round 2/3 hardening: tokens and crypto (issue 12 items 1, 8; issue 21 item 2) ----------
  {
    name: 'JWE PBES2 with p2c 10,001, one above the default bound',
    ref: 'RFC 7518 §4.8.1.2, CVE-2022-36083 (issue 12 item 1)',
    profile: 'jwe-pbes2',
    request: () => bearer(pbes2Jwe(10_001)),
    status: U,
    code: 'alg_not_allowed',
  },
  {
    name: 'JWE PBES2 without kid where two passwords are configured (one PBKDF2 run per token)',
    ref: 'RFC 7518 §4.8.1.2 (issue 12 item 1)',
    profile: 'jwe-pbes2-two',
    request: () => bearer(pbes2Jwe(10_000)),
    status: U,
    code: 'kid_required',
  },
  {
    name: 'JWE PBES2 naming a kid that is not configured, two passwords',
    ref: 'RFC 7516 §4.1.6',
    profile: 'jwe-pbes2-two',
    request: () =>
      bearer(
        forgedJwe({
          alg: 'PBES2-HS256+A128KW',
          enc: 'A128GCM',
          kid: 'pw-9',
          p2c: 10_000,
          p2s: b64url(randomBytes(16)),
        }),
      ),
    status: U,
    code: 'key_not_found',
  },
  {
    name: 'JWE A256KW without kid, wrapped for the sixth of six kid-less keys (at most 5 are tried)',
    ref: 'RFC 7516 §4.1.6; keys/public-key.ts MAX_CANDIDATES, as for a JWS (issue 12 item 1)',
    profile: 'jwe-kw-six',
    request: async (fx) =>
      bearer(await encryptToken(inner(fx), { alg: 'A256KW', enc: 'A256GCM', key: kwSecret(5) })),
    status: U,
    code: 'decryption_failed',
  },
  ...(['PS256', 'RS256'] as const).map((alg): CorpusCase => ({
    name: `${alg} genuine signature with its leading zero octet dropped`,
    ref: 'RFC 8017 §8.1.2, §8.2.2 step 1; RFC 7518 §3.3, §3.5 (issue 12 item 8)',
    profile: alg === 'PS256' ? 'ps' : 'rs',
    request: (fx) => {
      for (let i = 0; ; i++) {
        const token = signJws(alg, fx.rsa.privateKey, { alg, typ: 'JWT' }, claims(fx, { n: i }))
        const sig = b64urlBytes(token.split('.')[2] ?? '')
        if (sig[0] === 0) return bearer(withSegment(token, 2, b64url(sig.subarray(1))))
      }
    },
    status: U,
    code: 'signature_invalid',
  })),
  {
    name: 'PS256 genuine signature with an extra leading zero octet',
    ref: 'RFC 8017 §8.1.2 (issue 12 item 8)',
    profile: 'ps',
    request: (fx) => {
      const token = signJws('PS256', fx.rsa.privateKey, { alg: 'PS256' }, claims(fx))
      const sig = b64urlBytes(token.split('.')[2] ?? '')
      return bearer(withSegment(token, 2, b64url(Buffer.concat([Buffer.alloc(1), sig]))))
    },
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'RS256 genuine signature with an extra leading zero octet',
    ref: 'RFC 8017 §8.2.2 step 1 (issue 12 item 8)',
    profile: 'rs',
    request: (fx) => {
      const token = rs(fx, claims(fx))
      const sig = b64urlBytes(token.split('.')[2] ?? '')
      return bearer(withSegment(token, 2, b64url(Buffer.concat([Buffer.alloc(1), sig]))))
    },
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'ES256 genuine signature re-encoded as DER',
    ref: 'RFC 7518 §3.4 (issue 12 item 8)',
    profile: 'es',
    request: (fx) => {
      const token = es(fx, claims(fx))
      const sig = b64urlBytes(token.split('.')[2] ?? '')
      const int = (v: Uint8Array) => {
        let i = 0
        while (i < v.length - 1 && v[i] === 0) i++
        const t = v.subarray(i)
        return (t[0]! & 0x80) !== 0 ? [0x02, t.length + 1, 0, ...t] : [0x02, t.length, ...t]
      }
      const body = [...int(sig.subarray(0, 32)), ...int(sig.subarray(32))]
      return bearer(withSegment(token, 2, b64url(new Uint8Array([0x30, body.length, ...body]))))
    },
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'ES256 genuine signature truncated by one octet',
    ref: 'RFC 7518 §3.4 (issue 12 item 8)',
    profile: 'es',
    request: (fx) => {
      const token = es(fx, claims(fx))
      const sig = b64urlBytes(token.split('.')[2] ?? '')
      return bearer(withSegment(token, 2, b64url(sig.subarray(0, 63))))
    },
    status: U,
    code: 'signature_invalid',
  },
  {
    name: 'JWS header of 9000 characters (one long member), genuine signature',
    ref: 'RFC 8259 §9 (issue 21 item 2)',
    profile: 'big',
    request: (fx) => bearer(rs(fx, claims(fx), { pad: 'x'.repeat(9000) })),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'JWS header nested 17 levels, genuine signature',
    ref: 'RFC 8259 §9 (issue 21 item 2)',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx), { x: nestedArray(17) })),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'genuine RSA-OAEP JWE whose protected header is nested 4000 levels (valid inner token)',
    ref: 'RFC 8259 §9, RFC 7516 §4 (issue 21 item 2)',
    profile: 'jwe-big',
    request: async (fx) =>
      bearer(
        await encryptToken(inner(fx), {
          alg: 'RSA-OAEP-256',
          enc: 'A256GCM',
          key: fx.encRsa,
          header: { x: nestedArray(4000) },
        }),
      ),
    status: U,
    code: 'token_malformed',
  },
  {
    name: 'genuine RSA-OAEP JWE whose protected header carries 9000 characters (valid inner token)',
    ref: 'RFC 7516 §4 (issue 21 item 2: cache entries sized by the header)',
    profile: 'jwe-big',
    request: async (fx) =>
      bearer(
        await encryptToken(inner(fx), {
          alg: 'RSA-OAEP-256',
          enc: 'A256GCM',
          key: fx.encRsa,
          header: { junk: 'x'.repeat(9000) },
        }),
      ),
    status: U,
    code: 'token_malformed',
  },
]

/** `[[[...]]]` nested `depth` levels, built without recursion. */
function nestedArray(depth: number): unknown[] {
  let value: unknown[] = []
  for (let i = 1; i < depth; i++) value = [value]
  return value
}

/** The longest token from `build(pad)` that is at most `length` characters. */
export function padTo(length: number, build: (pad: string) => string): string {
  let n = Math.floor(((length - build('').length) * 3) / 4)
  let token = build('x'.repeat(n))
  while (token.length > length) token = build('x'.repeat(--n))
  return token
}

/** Requests that must succeed: they show the refusals above are not refusing everything. */
export interface ControlCase {
  name: string
  ref: string
  profile: Profile
  request: (fx: Fixtures) => Promise<DriverRequest> | DriverRequest
}

export const controls: ControlCase[] = [
  {
    name: 'JWE A256KW without kid, wrapped for the fifth of six kid-less keys (within the bound)',
    ref: 'RFC 7516 §4.1.6 (issue 12 item 1)',
    profile: 'jwe-kw-six',
    request: async (fx) =>
      bearer(await encryptToken(inner(fx), { alg: 'A256KW', enc: 'A256GCM', key: kwSecret(4) })),
  },
  {
    name: 'the PEM issuer among several',
    ref: 'core README Multiple issuers',
    profile: 'issuers',
    request: (fx) => bearer(rs(fx, claims(fx))),
  },
  {
    name: 'RS256, PEM key',
    ref: 'RFC 7515',
    profile: 'rs',
    request: (fx) => bearer(rs(fx, claims(fx))),
  },
  {
    name: 'ES256, JWK key',
    ref: 'RFC 7515',
    profile: 'es',
    request: (fx) => bearer(es(fx, claims(fx))),
  },
  {
    name: 'RS256 from a JWKS by kid',
    ref: 'RFC 7517',
    profile: 'jwks',
    request: (fx) => bearer(rs(fx, claims(fx))),
  },
  {
    name: 'ES256 from a JWKS by kid',
    ref: 'RFC 7517',
    profile: 'jwks',
    request: (fx) => bearer(es(fx, claims(fx))),
  },
  {
    name: 'typ application/at+jwt matches at+jwt',
    ref: 'RFC 7515 §4.1.9',
    profile: 'typ',
    request: (fx) => bearer(es(fx, claims(fx), { typ: 'application/at+jwt' })),
  },
  {
    name: 'lower-case "bearer"',
    ref: 'RFC 6750 §2.1, RFC 9110 §11.1',
    profile: 'rs',
    request: (fx) => auth(`bearer ${rs(fx, claims(fx))}`),
  },
  {
    name: 'upper-case "BEARER"',
    ref: 'RFC 9110 §11.1',
    profile: 'rs',
    request: (fx) => auth(`BEARER ${rs(fx, claims(fx))}`),
  },
  {
    name: 'two spaces after Bearer (1*SP)',
    ref: 'RFC 6750 §2.1',
    profile: 'rs',
    request: (fx) => auth(`Bearer  ${rs(fx, claims(fx))}`),
  },
  {
    name: 'token in the cookie',
    ref: 'from.cookie',
    profile: 'rs',
    request: (fx) => cookie(`other=1; ${COOKIE}=${rs(fx, claims(fx))}`),
  },
  {
    name: 'nested JWE (RSA-OAEP-256, ES256 inside)',
    ref: 'RFC 7519 §5.2',
    profile: 'jwe',
    request: async (fx) => bearer(await toRsaOaep(fx, inner(fx))),
  },
  {
    name: 'nested JWE (ECDH-ES, ES256 inside)',
    ref: 'RFC 7518 §4.6',
    profile: 'jwe',
    request: async (fx) => bearer(await encryptToken(inner(fx), { alg: 'ECDH-ES', key: fx.encEc })),
  },
  {
    name: 'nested JWE (dir)',
    ref: 'RFC 7518 §4.5',
    profile: 'jwe-dir',
    request: (fx) => bearer(dirJwe(fx.dirKey, inner(fx))),
  },
  {
    name: 'nested JWE where encryption is required',
    ref: 'decrypt.required',
    profile: 'jwe-required',
    request: async (fx) => bearer(await toRsaOaep(fx, inner(fx))),
  },
  {
    name: 'PBES2 with a small p2c where PBES2 is allowed',
    ref: 'RFC 7518 §4.8',
    profile: 'jwe-pbes2',
    request: async (fx) =>
      bearer(
        await encryptToken(inner(fx), {
          alg: 'PBES2-HS256+A128KW',
          enc: 'A128GCM',
          key: fx.password,
          p2c: 1000,
        }),
      ),
  },
  {
    name: 'a token of 15000 characters under maxTokenLength 15000',
    ref: 'maxTokenLength',
    profile: 'big',
    request: (fx) => bearer(padTo(15_000, (pad) => rs(fx, claims(fx, { pad })))),
  },
]
