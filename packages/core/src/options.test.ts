// Every start-up refusal of createAuthenticator, with the message that names the option and the fix.
import { generateKeyPairSync } from 'node:crypto'
import { keysFor, attackerKeys } from '@tokengate/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createAuthenticator } from './authenticate.js'
import type { AuthenticatorOptions } from './types.js'

type Keys = Awaited<ReturnType<typeof keysFor>>
let rsa: Keys, es256: Keys, es384: Keys, ed: Keys, hs: Keys
let rsa1024Pem: string, pkcs1Pem: string, certPem: string
let ecPrivate: CryptoKey, hmacShort: CryptoKey

beforeAll(async () => {
  ;[rsa, es256, es384, ed, hs] = await Promise.all([
    keysFor('RS256'),
    keysFor('ES256'),
    keysFor('ES384'),
    keysFor('EdDSA'),
    keysFor('HS256'),
  ])
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
  rsa1024Pem = small.publicKey.export({ type: 'spki', format: 'pem' }) as string
  pkcs1Pem = small.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string
  const cert = attackerKeys().certificate
  certPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`
  ecPrivate = es256.privateKey as CryptoKey
  hmacShort = await crypto.subtle.importKey(
    'raw',
    new Uint8Array(16),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  )
})

const secret = 'k'.repeat(32)
const ok = { algorithms: ['HS256'], key: secret }
const create = (o: unknown) => () => createAuthenticator(o as AuthenticatorOptions)

describe('options: refused at start-up with a message naming the option and the fix', () => {
  it.each<[string, () => unknown, string]>([
    [
      'options not an object',
      () => null,
      'tokengate: options must be an object with at least algorithms and key',
    ],
    [
      'unknown option (typo)',
      () => ({ ...ok, audiences: ['x'] }),
      'tokengate: unknown option options.audiences: check the spelling',
    ],
    [
      'unknown nested option',
      () => ({ ...ok, from: { headers: true } }),
      'tokengate: unknown option options.from.headers',
    ],
    [
      'unknown cache option',
      () => ({ ...ok, cache: { size: 1 } }),
      'tokengate: unknown option options.cache.size',
    ],
    [
      'unknown csrf option',
      () => ({ ...ok, csrf: { allowedOrigin: [] } }),
      'tokengate: unknown option options.csrf.allowedOrigin',
    ],
    ['algorithms missing', () => ({ key: secret }), 'tokengate: options.algorithms is required'],
    [
      'algorithms a string',
      () => ({ ...ok, algorithms: 'HS256' }),
      "tokengate: options.algorithms must be a non-empty list such as ['RS256']",
    ],
    [
      'algorithms empty',
      () => ({ ...ok, algorithms: [] }),
      "tokengate: options.algorithms must not be empty: list the algorithms your issuer signs with, e.g. ['RS256']",
    ],
    [
      "algorithms contains 'none' (RFC 8725 §3.2)",
      () => ({ ...ok, algorithms: ['HS256', 'none'] }),
      "tokengate: options.algorithms must not contain 'none': unsigned tokens are never accepted (RFC 8725 §3.2)",
    ],
    ["'NONE' in any casing", () => ({ ...ok, algorithms: ['NoNe'] }), "must not contain 'none'"],
    [
      'unknown algorithm',
      () => ({ ...ok, algorithms: ['HS257'] }),
      "tokengate: options.algorithms contains unsupported 'HS257'; supported: HS256, HS384, HS512, RS256",
    ],
    [
      'algorithm names are case-sensitive',
      () => ({ ...ok, algorithms: ['hs256'] }),
      "(algorithm names are case-sensitive: 'HS256')",
    ],
    [
      'HMAC mixed with public-key algorithms (RFC 8725 §3.1)',
      () => ({ ...ok, algorithms: ['HS256', 'RS256'] }),
      'tokengate: options.algorithms mixes HMAC (HS256) with public-key algorithms, which invites algorithm confusion (RFC 8725 §3.1)',
    ],
    [
      'key missing',
      () => ({ algorithms: ['HS256'] }),
      'tokengate: options.key is required: a secret, PEM, JWK, CryptoKey, { jwks }, { jwksUri } or { discovery }',
    ],
    [
      'key of no known form',
      () => ({ ...ok, key: 42 }),
      'tokengate: options.key must be a secret (string or Uint8Array), a PEM public key or certificate, a JWK, a CryptoKey',
    ],
    [
      'HS256 secret of 31 bytes (RFC 7518 §3.2)',
      () => ({ ...ok, key: 'k'.repeat(31) }),
      'tokengate: options.key cannot verify HS256: it is a 31-byte secret, and HS256 needs at least 32 bytes (RFC 7518 §3.2)',
    ],
    [
      'HS384 secret of 47 bytes',
      () => ({ algorithms: ['HS384'], key: new Uint8Array(47) }),
      'HS384 needs at least 48 bytes',
    ],
    [
      'HS512 secret of 63 bytes',
      () => ({ algorithms: ['HS512'], key: 'k'.repeat(63) }),
      'HS512 needs at least 64 bytes',
    ],
    [
      'a 32-byte secret with HS512 also listed',
      () => ({ algorithms: ['HS256', 'HS512'], key: secret }),
      'cannot verify HS512',
    ],
    ['UTF-8 bytes count, not characters', () => ({ ...ok, key: 'é'.repeat(15) }), '30-byte secret'],
    [
      'oct JWK too short',
      () => ({ ...ok, key: { kty: 'oct', k: 'AAAA' } }),
      'it is a 3-byte secret',
    ],
    [
      'HMAC CryptoKey too short',
      () => ({ ...ok, key: hmacShort }),
      'tokengate: options.key is an HMAC CryptoKey of 16 bytes; HS256 needs at least 32 (RFC 7518 §3.2)',
    ],
    [
      'a secret with RS256',
      () => ({ algorithms: ['RS256'], key: secret }),
      'tokengate: options.key cannot verify RS256: it is a shared secret, and RS256 needs an RSA public key of at least 2048 bits',
    ],
    [
      'a public-key PEM as an HMAC secret (key confusion)',
      () => ({ ...ok, key: rsa.publicPem }),
      'tokengate: options.key is a public-key PEM, and HS256 needs a shared secret: a public key must never be used as an HMAC secret (RFC 8725 §3.1)',
    ],
    [
      'an RSA key with ES256',
      () => ({ algorithms: ['ES256'], key: rsa.publicPem }),
      'tokengate: options.key cannot verify ES256: it is an RSA public key, and ES256 needs a P-256 EC public key',
    ],
    [
      'a P-384 key with ES256 (curve mismatch)',
      () => ({ algorithms: ['ES256'], key: es384.publicPem }),
      'cannot verify ES256: it is a P-384 EC public key, and ES256 needs a P-256 EC public key',
    ],
    [
      'a P-256 JWK with ES384',
      () => ({ algorithms: ['ES384'], key: { ...es256.publicJwk, alg: undefined } }),
      'it is a P-256 EC public key, and ES384 needs a P-384 EC public key',
    ],
    [
      'an Ed25519 key with ES256',
      () => ({ algorithms: ['ES256'], key: ed.publicPem }),
      'it is an Ed25519 public key, and ES256 needs a P-256 EC public key',
    ],
    [
      'an EC key with EdDSA',
      () => ({ algorithms: ['EdDSA'], key: es256.publicJwk }),
      'it is a P-256 EC public key, and EdDSA needs an Ed25519 public key',
    ],
    [
      'an RSA key of 1024 bits (RFC 7518 §3.3)',
      () => ({ algorithms: ['RS256'], key: rsa1024Pem }),
      'it is a 1024-bit RSA key; at least 2048 bits are required',
    ],
    [
      'a JWK whose alg is not the listed one',
      () => ({ algorithms: ['RS256', 'PS256'], key: rsa.publicJwk }),
      'tokengate: options.key is a JWK for alg RS256, so it cannot verify PS256; change options.algorithms',
    ],
    [
      'a JWK for encryption',
      () => ({ algorithms: ['RS256'], key: { ...rsa.publicJwk, use: 'enc' } }),
      "tokengate: options.key is a JWK with use 'enc': only signature keys (use 'sig') verify tokens",
    ],
    [
      'a JWK whose key_ops exclude verify',
      () => ({ algorithms: ['RS256'], key: { ...rsa.publicJwk, key_ops: ['encrypt'] } }),
      "tokengate: options.key is a JWK whose key_ops do not include 'verify'",
    ],
    [
      'a JWK without its modulus',
      () => ({ algorithms: ['RS256'], key: { kty: 'RSA', e: 'AQAB' } }),
      "tokengate: options.key is a RSA JWK without its 'n' member",
    ],
    [
      'a JWK of unknown kty',
      () => ({ algorithms: ['RS256'], key: { kty: 'XYZ' } }),
      "tokengate: options.key has unsupported JWK kty 'XYZ' (use RSA, EC, OKP or oct)",
    ],
    [
      'a private CryptoKey',
      () => ({ algorithms: ['ES256'], key: ecPrivate }),
      'tokengate: options.key is a private CryptoKey: give the public key',
    ],
    [
      'a CryptoKey bound to another alg',
      () => ({ algorithms: ['ES384'], key: es256.publicKey }),
      'tokengate: options.key cannot verify ES384: it is a CryptoKey (ECDSA/P-256) that can only verify ES256',
    ],
    [
      'a private PEM',
      () => ({ algorithms: ['ES256'], key: es256.privatePem }),
      'tokengate: options.key is a private key: give the public key instead (SPKI PEM, X.509 certificate or public JWK)',
    ],
    [
      'a PKCS#1 RSA PEM',
      () => ({ algorithms: ['RS256'], key: pkcs1Pem }),
      "tokengate: options.key is a 'RSA PUBLIC KEY' PEM: convert it to SPKI",
    ],
    [
      'PEM armour around garbage',
      () => ({
        algorithms: ['RS256'],
        key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
      }),
      'tokengate: options.key is PEM text that does not hold a readable SPKI public key',
    ],
    [
      'broken PEM armour',
      () => ({ algorithms: ['RS256'], key: '-----BEGIN PUBLIC KEY-----\nAAAA' }),
      "tokengate: options.key is not valid PEM text (expected '-----BEGIN PUBLIC KEY-----' or '-----BEGIN CERTIFICATE-----')",
    ],
    [
      'an X.509 certificate of a P-256 key with RS256',
      () => ({ algorithms: ['RS256'], key: certPem }),
      'it is a P-256 EC public key, and RS256 needs an RSA public key',
    ],
    [
      'jwks not a JWK Set',
      () => ({ algorithms: ['RS256'], key: { jwks: [rsa.publicJwk] } }),
      'tokengate: options.key.jwks must be a JWK Set: { keys: [...] } (RFC 7517 §5)',
    ],
    [
      'jwks without a key for a listed alg',
      () => ({ algorithms: ['RS256', 'ES256'], key: { jwks: { keys: [rsa.publicJwk] } } }),
      'tokengate: options.algorithms lists ES256, but no key in options.key.jwks can verify it; remove ES256 or add a fitting key',
    ],
    [
      'jwksUri over http',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'http://idp.example/jwks' } }),
      'tokengate: options.key.jwksUri must use https (http is accepted only for loopback hosts, or for a private network with options.key.allowHttp: true)',
    ],
    [
      'discovery over http on a non-loopback host',
      () => ({ algorithms: ['RS256'], key: { discovery: 'http://10.0.0.2:8080/realms/x' } }),
      'tokengate: options.key.discovery must use https (http is accepted only for loopback hosts, or for a private network with options.key.allowHttp: true)',
    ],
    [
      'jwksUri with another scheme',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'ftp://idp.example/jwks' } }),
      'tokengate: options.key.jwksUri must be an https URL',
    ],
    [
      'allowHttp not a boolean',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'http://10.0.0.2/jwks', allowHttp: 'yes' } }),
      'tokengate: options.key.allowHttp must be true or false',
    ],
    [
      'jwksUri not a URL',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'idp/jwks' } }),
      'tokengate: options.key.jwksUri must be an absolute https URL',
    ],
    [
      'jwksUri not a string',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 1 } }),
      'tokengate: options.key.jwksUri must be an https URL string',
    ],
    [
      'jwksUri with HMAC',
      () => ({ algorithms: ['HS256'], key: { jwksUri: 'https://idp.example/jwks' } }),
      'tokengate: options.key.jwksUri cannot be used with HMAC algorithms (HS256): a key set from a URL holds public keys',
    ],
    [
      'jwksUri and discovery together',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'https://a/j', discovery: 'https://a' } }),
      'tokengate: options.key takes either jwksUri or discovery, not both',
    ],
    [
      'unknown remote key option',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'https://a/j', cooldownMs: 1 } }),
      'tokengate: unknown option options.key.cooldownMs',
    ],
    [
      'remote timeout not a duration',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'https://a/j', timeout: '5 seconds' } }),
      "tokengate: options.key.timeout must be a non-negative number of seconds or a string such as '500ms'",
    ],
    [
      'remote cooldown negative',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'https://a/j', cooldown: -1 } }),
      'tokengate: options.key.cooldown must be a non-negative number',
    ],
    [
      'remote cacheMaxAge bad',
      () => ({ algorithms: ['RS256'], key: { discovery: 'https://a', cacheMaxAge: '1y' } }),
      'tokengate: options.key.cacheMaxAge must be',
    ],
    [
      'remote headers not a record',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'https://a/j', headers: 'x' } }),
      'tokengate: options.key.headers must be a record of header names to values',
    ],
    [
      'discovery over http',
      () => ({ algorithms: ['RS256'], key: { discovery: 'http://idp.example' } }),
      'tokengate: options.key.discovery must use https',
    ],
    [
      'issuer that is not the discovered one',
      () => ({
        algorithms: ['RS256'],
        key: { discovery: 'https://idp.example' },
        issuer: 'https://other.example',
      }),
      'tokengate: options.issuer must include options.key.discovery (the discovered issuer), or be left out to default to it',
    ],
    [
      'invalid cookie name (RFC 6265 §4.1.1)',
      () => ({ ...ok, from: { cookie: 'my cookie' } }),
      'tokengate: options.from.cookie must be a valid cookie name (RFC 6265 token characters, e.g. "access_token")',
    ],
    [
      'custom extractor not a function',
      () => ({ ...ok, from: { custom: 'x' } }),
      'tokengate: options.from.custom must be a function',
    ],
    [
      'header not a boolean',
      () => ({ ...ok, from: { header: 'yes' } }),
      'tokengate: options.from.header must be true or false',
    ],
    [
      'issuer empty list',
      () => ({ ...ok, issuer: [] }),
      'tokengate: options.issuer must be a non-empty string or a non-empty list of strings',
    ],
    [
      'audience empty string',
      () => ({ ...ok, audience: '' }),
      'tokengate: options.audience must be a non-empty string or a non-empty list of strings',
    ],
    [
      'clockTolerance bad',
      () => ({ ...ok, clockTolerance: '5 minutes' }),
      "tokengate: options.clockTolerance must be a non-negative number of seconds or a string such as '500ms'",
    ],
    [
      'clockTolerance of another type',
      () => ({ ...ok, clockTolerance: true }),
      "tokengate: options.clockTolerance must be a number of seconds or a string such as '30s'",
    ],
    [
      'maxTokenAge bad',
      () => ({ ...ok, maxTokenAge: -5 }),
      'tokengate: options.maxTokenAge must be a non-negative number',
    ],
    [
      'typ empty',
      () => ({ ...ok, typ: '' }),
      "tokengate: options.typ must be a media type such as 'at+jwt'",
    ],
    [
      'requiredClaims not a list',
      () => ({ ...ok, requiredClaims: 'sub' }),
      "tokengate: options.requiredClaims must be a list of claim names such as ['sub']",
    ],
    [
      'requireExp not a boolean',
      () => ({ ...ok, requireExp: 0 }),
      'tokengate: options.requireExp must be true or false',
    ],
    [
      'claims not a zod schema',
      () => ({ ...ok, claims: { sub: 'string' } }),
      'tokengate: options.claims must be a zod schema (zod 4)',
    ],
    [
      'roles.claim empty',
      () => ({ ...ok, roles: { claim: '' } }),
      "tokengate: options.roles.claim must be a claim name or dotted path such as 'realm_access.roles'",
    ],
    [
      'cache true',
      () => ({ ...ok, cache: true }),
      'tokengate: options.cache must be false or { max?, ttl?, maxBytes?, admitAfter? }',
    ],
    [
      'cache.admitAfter 3',
      () => ({ ...ok, cache: { admitAfter: 3 as 2 } }),
      'tokengate: options.cache must be false or { max?, ttl?, maxBytes?, admitAfter? }',
    ],
    [
      'cache.max zero',
      () => ({ ...ok, cache: { max: 0 } }),
      'tokengate: options.cache.max must be a positive integer (default 10000)',
    ],
    [
      'cache.ttl bad',
      () => ({ ...ok, cache: { ttl: 'soon' } }),
      'tokengate: options.cache.ttl must be a non-negative number',
    ],
    [
      'isRevoked not a function',
      () => ({ ...ok, isRevoked: true }),
      'tokengate: options.isRevoked must be a function',
    ],
    [
      'optional not a boolean',
      () => ({ ...ok, optional: 'yes' }),
      'tokengate: options.optional must be true or false',
    ],
    [
      'csrf true',
      () => ({ ...ok, csrf: true }),
      'tokengate: options.csrf must be false or { allowedOrigins?: string[] }',
    ],
    [
      'csrf origin with a path',
      () => ({ ...ok, csrf: { allowedOrigins: ['https://app.example.com/login'] } }),
      "tokengate: options.csrf.allowedOrigins entry 'https://app.example.com/login' must be an origin: scheme://host[:port], no path",
    ],
    [
      'csrf origin not a URL',
      () => ({ ...ok, csrf: { allowedOrigins: ['app.example.com'] } }),
      "entry 'app.example.com' must be an origin",
    ],
    [
      'maxTokenLength too small',
      () => ({ ...ok, maxTokenLength: 8 }),
      'tokengate: options.maxTokenLength must be an integer from 16 to 1048576 (default 8192)',
    ],
    [
      'maxTokenLength not an integer',
      () => ({ ...ok, maxTokenLength: 100.5 }),
      'tokengate: options.maxTokenLength must be an integer from 16 to 1048576',
    ],
    [
      'realm not a string',
      () => ({ ...ok, realm: 1 }),
      'tokengate: options.realm must be a string',
    ],
    [
      'decrypt checked by resolveDecryptOptions',
      () => ({ ...ok, decrypt: { keys: secret, keyManagementAlgorithms: ['RSA1_5'] } }),
      "tokengate: options.decrypt.keyManagementAlgorithms must not contain 'RSA1_5'",
    ],
  ])('%s', (_name, options, message) => {
    expect(create(options())).toThrow(TypeError)
    expect(create(options())).toThrow(message)
  })
})

describe('options: accepted forms', () => {
  it.each<[string, () => unknown]>([
    ['a 32-byte string secret for HS256', () => ok],
    [
      'a 64-byte Uint8Array for HS256..HS512',
      () => ({ algorithms: ['HS256', 'HS384', 'HS512'], key: new Uint8Array(64) }),
    ],
    ['an oct JWK', () => ({ algorithms: ['HS256'], key: hs.publicJwk })],
    [
      'an SPKI PEM for RS256 and PS256',
      () => ({ algorithms: ['RS256', 'PS256'], key: rsa.publicPem }),
    ],
    ['an X.509 certificate', () => ({ algorithms: ['ES256'], key: certPem })],
    ['a public JWK', () => ({ algorithms: ['ES256'], key: es256.publicJwk })],
    [
      'a private JWK (only its public members are used)',
      () => ({ algorithms: ['ES256'], key: es256.privateJwk }),
    ],
    ['a CryptoKey', () => ({ algorithms: ['EdDSA', 'Ed25519'], key: ed.publicKey })],
    ...(
      [
        'http://localhost:8080/jwks',
        'http://127.0.0.1/jwks',
        'http://127.1.2.3:9000/jwks',
        'http://[::1]:8080/jwks',
      ] as const
    ).map((jwksUri): [string, () => unknown] => [
      `http on the loopback host of ${jwksUri}`,
      () => ({ algorithms: ['RS256'], key: { jwksUri } }),
    ]),
    [
      'http on a private network with allowHttp',
      () => ({ algorithms: ['RS256'], key: { jwksUri: 'http://10.0.0.2/jwks', allowHttp: true } }),
    ],
    [
      'discovery over http on a private network with allowHttp',
      () => ({
        algorithms: ['RS256'],
        key: { discovery: 'http://10.0.0.2/realms/x', allowHttp: true },
      }),
    ],
    [
      'a local JWKS with an encryption key beside',
      () => ({
        algorithms: ['RS256', 'ES256'],
        key: {
          jwks: { keys: [rsa.publicJwk, es256.publicJwk, { ...es384.publicJwk, use: 'enc' }] },
        },
      }),
    ],
    [
      'a remote JWKS on localhost over http',
      () => ({
        algorithms: ['RS256'],
        key: {
          jwksUri: 'http://127.0.0.1:1/jwks',
          timeout: '500ms',
          cooldown: 1,
          cacheMaxAge: '1h',
        },
      }),
    ],
    [
      'discovery, the issuer defaulting to it',
      () => ({ algorithms: ['ES256'], key: { discovery: 'https://idp.example' } }),
    ],
    [
      'discovery with the issuer in a list',
      () => ({
        algorithms: ['ES256'],
        key: { discovery: 'https://idp.example' },
        issuer: ['https://idp.example', 'https://b'],
      }),
    ],
    [
      'every option',
      () => ({
        ...ok,
        from: { header: true, cookie: '__Host-at', custom: () => undefined },
        issuer: 'i',
        audience: ['a'],
        clockTolerance: '2s',
        maxTokenAge: '1h',
        typ: 'at+jwt',
        requiredClaims: ['sub'],
        requireExp: false,
        claims: z.object({}),
        roles: { claim: 'realm_access.roles' },
        cache: { max: 10, ttl: '1m' },
        isRevoked: () => false,
        optional: true,
        csrf: { allowedOrigins: ['https://app.example.com'] },
        maxTokenLength: 4096,
        realm: 'api',
      }),
    ],
  ])('%s', (_name, options) => {
    expect(create(options())).not.toThrow()
  })
})
