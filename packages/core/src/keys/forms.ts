// Recognises key material given where a secret is expected (PEM, DER, JWK text, OpenSSH, base64 DER), so that
// a public key is never taken as an HMAC secret (RFC 8725 §3.1; CVE-2016-10555, CVE-2022-29217, CVE-2023-48223).
import { tlv } from './der.js'

/** What a would-be secret really is: a PEM block (usable as a key), or another key form (refused). */
export type KeyForm =
  { kind: 'pem'; pem: string; label: string } | { kind: 'other'; what: string; private: boolean }

const utf8 = new TextDecoder('utf-8', { fatal: true })
const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/
// RFC 4253 §6.6 and RFC 5656 §3.1 key type names, as they open an OpenSSH public key line (or
// follow the options of an authorized_keys line, hence the search anywhere in a line).
const SSH_LINE =
  /(?:^|\s)(ssh-rsa|ssh-dss|ssh-ed25519|ssh-ed448|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com|rsa-sha2-(?:256|512))\s+(AAAA[A-Za-z0-9+/]+=*)/
const SSH2_PEM = /---- BEGIN SSH2 (PUBLIC|PRIVATE) KEY ----/
const OPENSSH_PRIVATE = /-----BEGIN OPENSSH PRIVATE KEY-----/
const BASE64ISH = /^[A-Za-z0-9+/_\-=\s]+$/
const HEXISH = /^(?:[0-9a-fA-F]{2}[\s:]*)+$/

/**
 * Tells whether a secret (a string, or bytes such as `readFileSync` returns) is in fact key material.
 * Random secrets are never recognised: DER must parse as a whole SPKI, X.509 certificate, PKCS#1,
 * PKCS#8 or SEC1 structure (each needs several exact tags and lengths), and text must be a PEM
 * block, a JWK/JWKS JSON object, an OpenSSH key line or such DER in base64, base64url or hex.
 *
 * @example
 * keyForm(readFileSync('public.pem')) // { kind: 'pem', label: 'PUBLIC KEY', pem: '-----BEGIN ...' }
 */
export function keyForm(value: string | Uint8Array): KeyForm | undefined {
  if (typeof value !== 'string') {
    const der = derForm(value)
    if (der) return { kind: 'other', what: `${der.what} in DER bytes`, private: der.private }
    let text: string
    try {
      text = utf8.decode(value)
    } catch {
      return undefined
    }
    const form = textForm(text)
    return form?.kind === 'other' ? { ...form, what: `${form.what} (as bytes)` } : form
  }
  const form = textForm(value)
  if (form) return form
  // A DER key read as a binary string (latin1): every code unit one byte.
  if (value.length > 0 && [...value].every((c) => c.charCodeAt(0) <= 0xff)) {
    const der = derForm(Uint8Array.from(value, (c) => c.charCodeAt(0)))
    if (der) return { kind: 'other', what: `${der.what} in DER`, private: der.private }
  }
  return undefined
}

function textForm(input: string): KeyForm | undefined {
  const text = input.replace(/^\uFEFF/, '').trim()
  const pem = PEM_BEGIN.exec(text)
  if (pem && !OPENSSH_PRIVATE.test(text)) {
    const label = pem[1] as string
    return { kind: 'pem', pem: text.slice(pem.index), label }
  }
  if (OPENSSH_PRIVATE.test(text))
    return { kind: 'other', what: 'an OpenSSH private key', private: true }
  const ssh2 = SSH2_PEM.exec(text)
  if (ssh2)
    return {
      kind: 'other',
      what: `an SSH2 (RFC 4716) ${ssh2[1]?.toLowerCase() ?? ''} key`,
      private: ssh2[1] === 'PRIVATE',
    }
  for (const line of text.split(/\r?\n/)) {
    const ssh = SSH_LINE.exec(line)
    if (ssh && sshBlobNames(ssh[2] as string, ssh[1] as string))
      return { kind: 'other', what: `an OpenSSH public key (${ssh[1]})`, private: false }
  }
  if (text.startsWith('{')) {
    const jwk = jsonKey(text)
    if (jwk) return jwk
  }
  if (text.length >= 16 && BASE64ISH.test(text)) {
    const bytes = decodeBase64Loose(text)
    const der = bytes && derForm(bytes)
    if (der) return { kind: 'other', what: `${der.what} in base64`, private: der.private }
  }
  if (text.length >= 32 && HEXISH.test(text)) {
    const hex = text.replace(/[\s:]/g, '')
    const bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16))
    const der = derForm(bytes)
    if (der) return { kind: 'other', what: `${der.what} in hex`, private: der.private }
  }
  return undefined
}

// RFC 4253 §6.6: the blob opens with the key type name as an SSH string (uint32 length, bytes).
function sshBlobNames(blob: string, name: string): boolean {
  const bytes = decodeBase64Loose(blob)
  if (!bytes || bytes.length < 4 + name.length) return false
  const length =
    (((bytes[0] as number) << 24) |
      ((bytes[1] as number) << 16) |
      ((bytes[2] as number) << 8) |
      (bytes[3] as number)) >>>
    0
  const inner = String.fromCharCode(...bytes.subarray(4, 4 + Math.min(length, 64)))
  return length === inner.length && (inner === name || /^(ssh|ecdsa|sk-)/.test(inner))
}

function jsonKey(text: string): KeyForm | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  if (Array.isArray(record.keys))
    return { kind: 'other', what: 'a JWK Set (JSON text)', private: false }
  if (typeof record.kty !== 'string') return undefined
  const isPrivate = typeof record.d === 'string'
  const kind = record.kty === 'oct' ? 'secret' : isPrivate ? 'private' : 'public'
  return { kind: 'other', what: `a ${kind} JWK as JSON text`, private: isPrivate }
}

function decodeBase64Loose(text: string): Uint8Array | undefined {
  const b64 = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '')
  if (/[^A-Za-z0-9+/]/.test(b64) || b64.length % 4 === 1) return undefined
  try {
    return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) =>
      c.charCodeAt(0),
    )
  } catch {
    return undefined
  }
}

interface Node {
  tag: number
  start: number
  end: number
}

/** The TLVs that exactly fill `[start, end)`, or undefined when they do not (X.690 §8.1). */
function children(der: Uint8Array, start: number, end: number): Node[] | undefined {
  const out: Node[] = []
  let pos = start
  try {
    while (pos < end) {
      const node = tlv(der, pos)
      if (node.end > end) return undefined
      out.push(node)
      pos = node.end
    }
  } catch {
    return undefined
  }
  return pos === end ? out : undefined
}

const SEQUENCE = 0x30
const INTEGER = 0x02
const BIT_STRING = 0x03
const OCTET_STRING = 0x04
const OID = 0x06

/** An AlgorithmIdentifier (RFC 5280 §4.1.1.2): a SEQUENCE that opens with an OID. */
function isAlgorithmId(der: Uint8Array, node: Node | undefined): boolean {
  if (node?.tag !== SEQUENCE) return false
  const inner = children(der, node.start, node.end)
  return inner !== undefined && inner[0]?.tag === OID && inner.length <= 2
}

function isInteger(node: Node | undefined): boolean {
  return node?.tag === INTEGER && node.end > node.start
}

/**
 * Which DER key structure fills `der` exactly: SPKI, certificate, PKCS#1 public or private, PKCS#8,
 * SEC1. A random secret matches none: each needs an outer SEQUENCE of exactly the input's length
 * and then several fixed tags, lengths and nestings.
 */
function derForm(der: Uint8Array): { what: string; private: boolean } | undefined {
  if (der[0] !== SEQUENCE || der.length < 16) return undefined
  const top = children(der, 0, der.length)
  if (top?.length !== 1) return undefined
  const outer = top[0] as Node
  const parts = children(der, outer.start, outer.end)
  if (!parts || parts.length < 2) return undefined
  const [a, b, c] = parts
  // RFC 5280 §4.1.2.7: SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }
  if (parts.length === 2 && isAlgorithmId(der, a) && b?.tag === BIT_STRING && der[b.start] === 0)
    return { what: 'a public key (SPKI)', private: false }
  // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, AlgorithmIdentifier, BIT STRING }
  if (
    parts.length === 3 &&
    a?.tag === SEQUENCE &&
    isAlgorithmId(der, b) &&
    c?.tag === BIT_STRING &&
    children(der, a.start, a.end) !== undefined
  )
    return { what: 'an X.509 certificate', private: false }
  // RFC 8017 §A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
  if (parts.length === 2 && isInteger(a) && isInteger(b)) {
    const nBytes = (a as Node).end - (a as Node).start
    const eBytes = (b as Node).end - (b as Node).start
    if (nBytes >= 32 && eBytes <= 8) return { what: 'an RSA public key (PKCS#1)', private: false }
  }
  // RFC 5208 §5 / RFC 5958 §2: PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING, ... }
  if (isInteger(a) && isAlgorithmId(der, b) && c?.tag === OCTET_STRING)
    return { what: 'a private key (PKCS#8)', private: true }
  // RFC 8017 §A.1.2: RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dp, dq, qi, ... }
  if (parts.length >= 9 && parts.slice(0, 9).every(isInteger))
    return { what: 'an RSA private key (PKCS#1)', private: true }
  // RFC 5915 §3: ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] params, [1] publicKey }
  if (
    a?.tag === INTEGER &&
    a.end - a.start === 1 &&
    der[a.start] === 1 &&
    b?.tag === OCTET_STRING &&
    parts.slice(2).every((p) => p.tag === 0xa0 || p.tag === 0xa1)
  )
    return { what: 'an EC private key (SEC1)', private: true }
  return undefined
}
