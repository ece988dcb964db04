// Structural checks of key material at start-up (complete enough that a later import cannot fail), and the key-form tests.

/** A Web Crypto key (every runtime has the class; guarded for the rare one without it). */
export function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey
}

/** What tokengate uses of a Node KeyObject, without importing node:crypto. */
export interface KeyObjectLike {
  type: 'secret' | 'public' | 'private'
  export(options: { format: 'jwk' }): unknown
}

/** A Node KeyObject (or any object with its toStringTag), recognised without importing node:crypto. */
export function isKeyObject(value: unknown): value is KeyObjectLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'KeyObject'
  )
}

// RFC 7515 §2: base64url without padding, nothing else (a '+', '=' or space is a corrupt member).
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** base64url member to bytes, or undefined when it is not canonical base64url. */
export function decodeJwkMember(value: string): Uint8Array | undefined {
  if (!BASE64URL.test(value) || value.length % 4 === 1) return undefined
  const b64 = value.replace(/-/g, '+').replace(/_/g, '/')
  try {
    return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) =>
      c.charCodeAt(0),
    )
  } catch {
    return undefined
  }
}

/**
 * The size in bits of an unsigned big-endian integer, leading zero octets not counted: a 1024-bit
 * modulus padded with zero octets to 256 is still 1024 bits (RFC 7518 §3.3 needs 2048).
 */
export function bitLength(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length && bytes[i] === 0) i++
  const top = bytes[i]
  return top === undefined ? 0 : (bytes.length - i - 1) * 8 + (32 - Math.clz32(top))
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n
  for (const b of bytes) n = (n << 8n) | BigInt(b)
  return n
}

// SEC 2 §2.4 / FIPS 186-4 §D.1.2: y² = x³ - 3x + b over GF(p), coordinates of a fixed size (RFC 7518 §6.2.1.2).
const CURVES: Readonly<Record<string, { bytes: number; p: bigint; b: bigint }>> = {
  'P-256': {
    bytes: 32,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  'P-384': {
    bytes: 48,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  'P-521': {
    bytes: 66,
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
}

// RFC 8037 §2: the public key is the raw encoding, of a fixed size per curve.
const OKP_BYTES: Readonly<Record<string, number>> = {
  Ed25519: 32,
  Ed448: 57,
  X25519: 32,
  X448: 56,
}

/** The largest RSA modulus Web Crypto implementations import (BoringSSL's limit, in workerd). */
const MAX_RSA_BITS = 16384

/**
 * Why a public JWK's members cannot be imported, or undefined when they can: corrupt base64url, an
 * RSA modulus that is even or too large, an exponent that is not odd and at least 3 (RFC 8017 §3.1),
 * an EC point of the wrong size or not on its curve (SEC 1 §3.2.2), an OKP key of the wrong size.
 *
 * @example
 * jwkDefect({ kty: 'EC', crv: 'P-256', x, y: corrupt }) // 'its point (x, y) is not on P-256'
 */
export function jwkDefect(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const bytes = (member: string): Uint8Array | string => {
    const value = jwk[member]
    if (typeof value !== 'string') return `it has no '${member}' member`
    return decodeJwkMember(value) ?? `its '${member}' member is not base64url (RFC 7515 §2)`
  }
  switch (jwk.kty) {
    case 'RSA': {
      const n = bytes('n')
      const e = bytes('e')
      if (typeof n === 'string') return n
      if (typeof e === 'string') return e
      return rsaDefect(n, e)
    }
    case 'EC': {
      const curve = CURVES[jwk.crv as string]
      if (!curve) return undefined // other curves never fit a JWS algorithm, so are never imported
      const x = bytes('x')
      const y = bytes('y')
      if (typeof x === 'string') return x
      if (typeof y === 'string') return y
      return ecDefect(jwk.crv as string, x, y)
    }
    case 'OKP': {
      if (OKP_BYTES[jwk.crv as string] === undefined) return undefined
      const x = bytes('x')
      return typeof x === 'string' ? x : okpDefect(jwk.crv as string, x)
    }
    case 'oct': {
      const k = bytes('k')
      return typeof k === 'string' ? k : undefined
    }
    default:
      return undefined
  }
}

/** Why (n, e) is not an importable RSA public key (RFC 8017 §3.1), or undefined. */
export function rsaDefect(n: Uint8Array, e: Uint8Array): string | undefined {
  const bits = bitLength(n)
  if (bits > MAX_RSA_BITS) return `its modulus has ${bits} bits (at most ${MAX_RSA_BITS})`
  if (((n[n.length - 1] ?? 0) & 1) === 0) return 'its modulus n is even, so not an RSA modulus'
  // The size first: e is attacker-chosen where prepareJwk reads a DPoP proof's jwk.
  const exponent = bitLength(e) > 33 ? 0n : toBigInt(e)
  if (exponent < 3n || (exponent & 1n) === 0n)
    return 'its exponent e is not an odd number from 3 to 2^33 (RFC 8017 §3.1)'
  return undefined
}

/** Why (x, y) is not a point of `crv` (SEC 1 §3.2.2), or undefined; other curves are not checked. */
export function ecDefect(crv: string, x: Uint8Array, y: Uint8Array): string | undefined {
  const curve = CURVES[crv]
  if (!curve) return undefined
  if (x.length !== curve.bytes || y.length !== curve.bytes)
    return `its coordinates are not ${curve.bytes} bytes each, as ${crv} needs (RFC 7518 §6.2.1.2)`
  const { p, b } = curve
  const X = toBigInt(x)
  const Y = toBigInt(y)
  if (X >= p || Y >= p || (Y * Y - (X * X * X - 3n * X + b)) % p !== 0n)
    return `its point (x, y) is not on ${crv} (SEC 1 §3.2.2)`
  return undefined
}

/** Why `x` is not a public key of the OKP curve `crv` (RFC 8037 §2), or undefined. */
export function okpDefect(crv: string, x: Uint8Array): string | undefined {
  const size = OKP_BYTES[crv]
  if (size === undefined || x.length === size) return undefined
  return `its key is ${x.length} bytes, and ${crv} needs ${size} (RFC 8037 §2)`
}
