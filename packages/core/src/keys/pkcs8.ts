// Reads just enough of a PKCS#8 private key (DER) to know its type, curve and RSA size at start-up.
import type { KeyShape } from './private-key.js'
import { bitLength } from './check.js'

// PKCS#8 (RFC 5208 §5) is the only PEM jose imports as a private key; the algorithm OID (and, for EC,
// the curve OID) is read here so that the key's fit is checked at start-up, before any async import.
const OIDS: Readonly<Record<string, KeyShape>> = {
  '2a864886f70d010101': { kty: 'RSA', bits: undefined, pss: false },
  '2a864886f70d01010a': { kty: 'RSA', bits: undefined, pss: true },
  '2b656e': { kty: 'OKP', crv: 'X25519' },
  '2b6570': { kty: 'OKP', crv: 'Ed25519' },
}
const CURVE_OIDS: Readonly<Record<string, string>> = {
  '2a8648ce3d030107': 'P-256',
  '2b81040022': 'P-384',
  '2b81040023': 'P-521',
}
const EC_OID = '2a8648ce3d0201'

/** The shape of a PKCS#8 PEM private key, or undefined when it cannot be read. */
export function pkcs8Shape(pem: string): KeyShape | undefined {
  try {
    const body = pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s+/g, '')
    const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0))
    const outer = readTlv(der, 0, 0x30)
    const version = readTlv(der, outer.start, 0x02)
    const algId = readTlv(der, version.end, 0x30)
    const oid = readTlv(der, algId.start, 0x06)
    const hex = toHex(der.subarray(oid.start, oid.end))
    const shape = OIDS[hex]
    if (shape?.kty === 'RSA') {
      // RSAPrivateKey (RFC 8017 §A.1.2) inside the OCTET STRING: version, then the modulus.
      const inner = readTlv(der, readTlv(der, algId.end, 0x04).start, 0x30)
      const modulus = readTlv(der, readTlv(der, inner.start, 0x02).end, 0x02)
      return { ...shape, bits: bitLength(der.subarray(modulus.start, modulus.end)) }
    }
    if (hex !== EC_OID) return shape
    const curve = readTlv(der, oid.end, 0x06)
    const crv = CURVE_OIDS[toHex(der.subarray(curve.start, curve.end))]
    return crv === undefined ? undefined : { kty: 'EC', crv }
  } catch {
    return undefined
  }
}

function readTlv(der: Uint8Array, at: number, tag: number): { start: number; end: number } {
  if (der[at] !== tag) throw new Error('unexpected DER tag')
  let length = der[at + 1] ?? 0
  let start = at + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count < 1 || count > 3) throw new Error('unsupported DER length')
    length = 0
    for (let i = 0; i < count; i++) length = (length << 8) | (der[start + i] ?? 0)
    start += count
  }
  if (start + length > der.length) throw new Error('truncated DER')
  return { start, end: start + length }
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
