// Reads just enough DER (X.690) at start-up: the key type of a PEM public key, X.509 certificate or PKCS#8 private key.
import { JWE_KEY_MANAGEMENT_ALGORITHMS, JWS_ALGORITHMS, type KeyShape } from './algorithms.js'
import { bitLength, ecDefect, okpDefect, rsaDefect } from './check.js'

/** What a public key read from PEM is (never a secret nor a CryptoKey). */
export type PublicKeyShape = Exclude<KeyShape, { kty: 'oct' } | { kty: 'CryptoKey' }>

export interface PemInfo {
  format: 'spki' | 'x509'
  key: PublicKeyShape
}

/** The one OID table (hex of the DER contents): key algorithms (RFC 8017, RFC 5480, RFC 8410) and curves. */
const OID: Readonly<Record<string, string>> = {
  '2a864886f70d010101': 'rsaEncryption',
  '2a864886f70d01010a': 'RSASSA-PSS',
  '2a8648ce3d0201': 'ecPublicKey',
  '2a8648ce3d030107': 'P-256',
  '2b81040022': 'P-384',
  '2b81040023': 'P-521',
  '2b6570': 'Ed25519',
  '2b6571': 'Ed448',
  '2b656e': 'X25519',
  '2b656f': 'X448',
}

const PEM = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n\t ]+?)-----END \1-----\s*$/

/** True when a string looks like PEM text (so it is never taken as an HMAC secret). */
export function looksLikePem(value: string): boolean {
  return value.trimStart().startsWith('-----BEGIN ')
}

/**
 * Describes a PEM SPKI public key or X.509 certificate; throws a configuration error for anything else.
 *
 * @example
 * readPem(spkiPem, 'options.key') // { format: 'spki', key: { kty: 'EC', crv: 'P-256' } }
 */
export function readPem(pem: string, optionName: string): PemInfo {
  const match = PEM.exec(pem.trim() + '\n')
  const label = match?.[1]
  if (!match || !label) {
    throw new TypeError(
      `tokengate: ${optionName} is not valid PEM text (expected '-----BEGIN PUBLIC KEY-----' or '-----BEGIN CERTIFICATE-----')`,
    )
  }
  if (label !== 'PUBLIC KEY' && label !== 'CERTIFICATE') {
    const hint = label.includes('PRIVATE')
      ? 'a private key: give the public key instead (SPKI PEM, X.509 certificate or public JWK)'
      : `a '${label}' PEM: convert it to SPKI ('-----BEGIN PUBLIC KEY-----'), e.g. with 'openssl pkey -pubin -pubout'`
    throw new TypeError(`tokengate: ${optionName} is ${hint}`)
  }
  try {
    const der = base64ToBytes((match[2] as string).replace(/\s+/g, ''))
    const format = label === 'PUBLIC KEY' ? 'spki' : 'x509'
    return { format, key: readSpki(der, format === 'spki' ? 0 : spkiOffsetInCertificate(der)) }
  } catch (cause) {
    if (cause instanceof TypeError && cause.message.startsWith('tokengate:')) throw cause
    if (cause instanceof KeyDefect)
      throw new TypeError(
        `tokengate: ${optionName} is a ${label === 'PUBLIC KEY' ? 'public key' : 'certificate'} that cannot be imported: ${cause.message}; export the key again from its source`,
      )
    throw new TypeError(
      `tokengate: ${optionName} is PEM text that does not hold a readable ${label === 'PUBLIC KEY' ? 'SPKI public key' : 'X.509 certificate'}`,
      { cause },
    )
  }
}

/** A key whose structure reads but which cannot be imported; its message says why. */
class KeyDefect extends Error {}

interface Tlv {
  tag: number
  start: number
  end: number
}

/**
 * One DER tag-length-value at `pos` (X.690 §8.1); throws a RangeError when it does not fit, or when
 * `expected` is given and the tag differs.
 */
export function tlv(der: Uint8Array, pos: number, expected?: number): Tlv {
  const tag = der[pos]
  if (expected !== undefined && tag !== expected) throw new RangeError('unexpected DER tag')
  let length = der[pos + 1]
  let start = pos + 2
  if (tag === undefined || length === undefined) throw new RangeError('truncated DER')
  if (length & 0x80) {
    const octets = length & 0x7f
    if (octets === 0 || octets > 4) throw new RangeError('unsupported DER length')
    length = 0
    for (let i = 0; i < octets; i++) length = length * 256 + (der[start++] ?? Number.NaN)
  }
  const end = start + length
  if (!(end <= der.length)) throw new RangeError('truncated DER')
  return { tag, start, end }
}

// RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, ... }; tbsCertificate ::= SEQUENCE {
// [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ... }
function spkiOffsetInCertificate(der: Uint8Array): number {
  const tbs = tlv(der, tlv(der, 0).start)
  let pos = tbs.start
  if (tlv(der, pos).tag === 0xa0) pos = tlv(der, pos).end
  for (let i = 0; i < 5; i++) pos = tlv(der, pos).end
  return pos
}

// RFC 5280 §4.1.2.7: SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
function readSpki(der: Uint8Array, pos: number): PublicKeyShape {
  const spki = tlv(der, pos)
  const algId = tlv(der, spki.start)
  const oid = tlv(der, algId.start)
  const name = OID[hex(der, oid)]
  const params = oid.end < algId.end ? tlv(der, oid.end) : undefined
  switch (name) {
    case 'rsaEncryption':
    case 'RSASSA-PSS': {
      // RFC 8017 §A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
      const bitString = tlv(der, algId.end)
      const modulus = tlv(der, tlv(der, bitString.start + 1).start)
      const exponent = tlv(der, modulus.end)
      // Checked now so that the import at first use cannot fail (a broken key would fail every request).
      const defect = rsaDefect(
        der.subarray(modulus.start, modulus.end),
        der.subarray(exponent.start, exponent.end),
      )
      if (defect) throw new KeyDefect(defect)
      return {
        kty: 'RSA',
        bits: bitLength(der.subarray(modulus.start, modulus.end)),
        pssOnly: name === 'RSASSA-PSS',
      }
    }
    case 'ecPublicKey': {
      const crv = (params && params.tag === 0x06 && OID[hex(der, params)]) || 'unknown curve'
      // SEC 1 §2.3.3: an uncompressed point is 0x04 || x || y (the BIT STRING opens with 0 unused bits).
      const point = tlv(der, algId.end)
      const body = der.subarray(point.start + 1, point.end)
      if (body[0] === 4) {
        const half = (body.length - 1) / 2
        const defect = ecDefect(crv, body.subarray(1, 1 + half), body.subarray(1 + half))
        if (defect) throw new KeyDefect(defect)
      }
      return { kty: 'EC', crv }
    }
    case 'Ed25519':
    case 'Ed448':
    case 'X25519':
    case 'X448': {
      const key = tlv(der, algId.end)
      const defect = okpDefect(name, der.subarray(key.start + 1, key.end))
      if (defect) throw new KeyDefect(defect)
      return { kty: 'OKP', crv: name }
    }
    default:
      throw new RangeError('unsupported key algorithm')
  }
}

// The curves some registry algorithm uses (ECDSA, EdDSA, ECDH-ES): a PKCS#8 key on another curve is
// reported as unreadable, as it can serve nothing.
const USED_CURVES: ReadonlySet<string> = new Set([
  ...Object.values(JWS_ALGORITHMS).flatMap((e) => ('crv' in e ? [e.crv] : [])),
  ...Object.values(JWE_KEY_MANAGEMENT_ALGORITHMS).flatMap((e) => ('curves' in e ? e.curves : [])),
])

/**
 * The shape of a PKCS#8 PEM private key (RFC 5208 §5, the only private PEM jose imports), or
 * undefined when it cannot be read or its algorithm or curve serves no registry algorithm. Read at
 * start-up, so that the key's fit is checked before any async import.
 *
 * @example
 * pkcs8Shape(p256PrivatePem) // { kty: 'EC', crv: 'P-256' }
 */
export function pkcs8Shape(pem: string): KeyShape | undefined {
  try {
    const der = base64ToBytes(pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s+/g, ''))
    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, AlgorithmIdentifier, privateKey OCTET STRING, ... }
    const outer = tlv(der, 0, 0x30)
    const version = tlv(der, outer.start, 0x02)
    const algId = tlv(der, version.end, 0x30)
    const oid = tlv(der, algId.start, 0x06)
    const name = OID[hex(der, oid)]
    switch (name) {
      case 'rsaEncryption':
      case 'RSASSA-PSS': {
        // RSAPrivateKey (RFC 8017 §A.1.2) inside the OCTET STRING: version, then the modulus.
        const inner = tlv(der, tlv(der, algId.end, 0x04).start, 0x30)
        const modulus = tlv(der, tlv(der, inner.start, 0x02).end, 0x02)
        const bits = bitLength(der.subarray(modulus.start, modulus.end))
        return { kty: 'RSA', bits, pssOnly: name === 'RSASSA-PSS' }
      }
      case 'ecPublicKey': {
        const crv = OID[hex(der, tlv(der, oid.end, 0x06))]
        return crv !== undefined && USED_CURVES.has(crv) ? { kty: 'EC', crv } : undefined
      }
      case undefined:
        return undefined
      default:
        return USED_CURVES.has(name) ? { kty: 'OKP', crv: name } : undefined
    }
  } catch {
    return undefined
  }
}

function hex(der: Uint8Array, { start, end }: Tlv): string {
  let out = ''
  for (let i = start; i < end; i++) out += (der[i] as number).toString(16).padStart(2, '0')
  return out
}

function base64ToBytes(b64: string): Uint8Array {
  const binary = atob(b64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
