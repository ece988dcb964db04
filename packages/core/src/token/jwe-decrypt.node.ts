// Node fast path for JWE decryption: node:crypto, synchronous but for PBES2. Every header rule stays
// in jwe.ts. The `#jwe-decrypt` import (package.json `imports`) picks this file under the `node`
// condition; on Node, jose's Web Crypto path costs a thread-pool hop per step (bench/README.md).
import {
  KeyObject,
  constants,
  createDecipheriv,
  createHash,
  createHmac,
  createPublicKey,
  diffieHellman,
  pbkdf2,
  privateDecrypt,
  randomBytes,
  timingSafeEqual,
  type JsonWebKey,
} from 'node:crypto'
import { errors } from 'jose'
import {
  MIN_RSA_BITS,
  jweContentEncryption,
  jweKeyManagement,
  type CryptoKeyParams,
} from '../keys/algorithms.js'
import type { JweDecrypt, JweDecrypted } from './jwe-decrypt.js'

export type { JweDecrypt, JweDecrypted } from './jwe-decrypt.js'

type Key = CryptoKey | Uint8Array
const failed = () => new errors.JWEDecryptionFailed()
const invalid = (message: string) => new errors.JWEInvalid(message)
const bytes = (segment: string): Buffer => Buffer.from(segment, 'base64url')

/**
 * The decryption step of jwe.ts on node:crypto, with jose's rules (RFC 7516 §5.2, RFC 7518 §4-5):
 * a key-management failure of any kind continues with a random CEK, so that a wrong key, a bad
 * padding or an invalid point cost and look the same as a bad tag (RFC 7516 §11.5); IV and tag
 * lengths exact (a truncated GCM tag is refused, not checked short); CBC-HMAC tags compared in
 * constant time before any decryption (RFC 7518 §5.2.2.2).
 *
 * @example
 * const { plaintext } = await nodeJweDecrypt(token, cryptoKey, header, 'RSA-OAEP-256', 'A256GCM', 10_000)
 */
export const nodeJweDecrypt: JweDecrypt = (token, key, header, alg, enc, maxPbes2Count) => {
  const km = jweKeyManagement(alg)
  const content = jweContentEncryption(enc)
  if (!km || !content) throw new errors.JOSENotSupported('unsupported JWE alg or enc')
  const [protectedSegment, encryptedKey, iv, ciphertext, tag] = token.split('.') as [
    string,
    string,
    string,
    string,
    string,
  ]
  const finish = (cek: Buffer | KeyObject | undefined): JweDecrypted => ({
    plaintext: decryptContent(
      enc,
      content.cekBytes,
      cek ?? randomBytes(content.cekBytes),
      bytes(ciphertext),
      bytes(iv),
      bytes(tag),
      Buffer.from(protectedSegment, 'latin1'),
    ),
    protectedHeader: header,
  })
  const ek = bytes(encryptedKey)
  const h = header as Record<string, unknown>
  switch (km.family) {
    case 'dir':
      return finish(directKey(key, enc, content.cekBytes))
    case 'rsa-oaep': {
      const rsa = keyObject(key, km.webCrypto[0]!, 'decrypt', alg)
      return finish(transported(content.cekBytes, () => rsaOaep(alg, rsa, ek)))
    }
    case 'aeskw': {
      const kek = secret(key, km.webCrypto[0]!, 'unwrapKey', alg)
      return finish(transported(content.cekBytes, () => aesKwUnwrap(kek, km.keyBytes!, ek)))
    }
    case 'aesgcmkw': {
      const kek = secret(key, km.webCrypto[0]!, 'decrypt', alg)
      const kwIv = headerBytes(h, 'iv', 12)
      const kwTag = headerBytes(h, 'tag', 16)
      return finish(
        transported(content.cekBytes, () =>
          gcm(km.keyBytes!, kek, ek, kwIv, kwTag, Buffer.alloc(0)),
        ),
      )
    }
    case 'ecdh-es': {
      const epk = h.epk as Record<string, unknown>
      if (['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv'].some((m) => Object.hasOwn(epk, m)))
        throw invalid('JOSE Header "epk" (Ephemeral Public Key) missing or invalid')
      const own = ecdhKey(key)
      const apu = partyInfo(h, 'apu')
      const apv = partyInfo(h, 'apv')
      if (apu && apv && apu.equals(apv))
        throw invalid('JOSE Header "apu" and "apv" values must be distinct')
      const direct = km.direct
      const bits = direct ? content.cekBytes * 8 : Number.parseInt(alg.slice(-5, -2), 10)
      let derived: Buffer | undefined
      try {
        derived = concatKdf(agree(own, epk), bits, direct ? enc : alg, apu, apv)
      } catch {
        derived = undefined // an invalid or foreign point: a random CEK, as any unwrap failure
      }
      if (direct) return finish(derived)
      return finish(transported(content.cekBytes, () => aesKwUnwrap(derived!, bits / 8, ek)))
    }
    case 'pbes2': {
      // PBKDF2 runs on the thread pool, as Web Crypto's does: up to maxPbes2Count rounds chosen by
      // the sender must not block the event loop (jwe.ts refused a larger p2c before this point).
      const p2c = h.p2c as number
      if (p2c > maxPbes2Count) throw invalid('JOSE Header "p2c" (PBES2 Count) out of bounds')
      const p2s = headerBytes(h, 'p2s')
      if (p2s.length < 8) throw invalid('PBES2 Salt Input must be 8 or more octets')
      const password = secretBytes(key, km.webCrypto[0]!, 'deriveBits', alg)
      const kwBytes = Number.parseInt(alg.slice(13, 16), 10) / 8
      const salt = Buffer.concat([Buffer.from(alg, 'latin1'), Buffer.alloc(1), p2s])
      const digest = `sha${alg.slice(8, 11)}`
      return new Promise<JweDecrypted>((resolve, reject) => {
        pbkdf2(password, salt, p2c, kwBytes, digest, (err, kek) => {
          if (err) return reject(err)
          try {
            resolve(finish(transported(content.cekBytes, () => aesKwUnwrap(kek, kwBytes, ek))))
          } catch (cause) {
            reject(cause)
          }
        })
      })
    }
  }
}

/** A transported CEK of the wrong size, or an unwrap that fails, continues with a random CEK. */
function transported(size: number, unwrap: () => Buffer): Buffer | undefined {
  try {
    const cek = unwrap()
    return cek.length === size ? cek : undefined
  } catch {
    return undefined
  }
}

// --- keys: the same refusals as jose's CryptoKey checks (a TypeError: the key, not the token) ---

const keyObjects = new WeakMap<CryptoKey, KeyObject>()

function checked(key: CryptoKey, want: CryptoKeyParams, usage: KeyUsage, alg: string): KeyObject {
  const algorithm = key.algorithm as KeyAlgorithm & {
    hash?: { name?: string }
    length?: number
    modulusLength?: number
  }
  if (algorithm.name !== want.name) throw new TypeError(`CryptoKey does not support ${alg}`)
  if (want.hash && algorithm.hash?.name !== want.hash)
    throw new TypeError(`CryptoKey does not support ${alg} (algorithm.hash)`)
  if (want.length !== undefined && algorithm.length !== want.length)
    throw new TypeError(`CryptoKey does not support ${alg} (algorithm.length)`)
  if (!key.usages.includes(usage))
    throw new TypeError(
      `CryptoKey does not support this operation, its usages must include ${usage}.`,
    )
  if (want.name === 'RSA-OAEP' && !((algorithm.modulusLength ?? 0) >= MIN_RSA_BITS))
    throw new TypeError(`${alg} requires key modulusLength to be ${MIN_RSA_BITS} bits or larger`)
  let keyObject = keyObjects.get(key)
  if (!keyObject) keyObjects.set(key, (keyObject = KeyObject.from(key)))
  return keyObject
}

function keyObject(key: Key, want: CryptoKeyParams, usage: KeyUsage, alg: string): KeyObject {
  if (key instanceof Uint8Array) throw new TypeError(`a CryptoKey is needed for ${alg}`)
  return checked(key, want, usage, alg)
}

function secret(key: Key, want: CryptoKeyParams, usage: KeyUsage, alg: string): Buffer | KeyObject {
  return key instanceof Uint8Array ? Buffer.from(key) : checked(key, want, usage, alg)
}

function secretBytes(key: Key, want: CryptoKeyParams, usage: KeyUsage, alg: string): Buffer {
  const s = secret(key, want, usage, alg)
  return s instanceof KeyObject ? s.export() : s
}

/** `dir`: the key is the CEK (RFC 7518 §4.5); AES-CBC-HMAC's composite key only as bytes, as in jose. */
function directKey(key: Key, enc: string, size: number): Buffer | KeyObject {
  const gcmEnc = jweContentEncryption(enc)?.webCrypto
  if (!(key instanceof Uint8Array) && !gcmEnc)
    throw new TypeError(`a Uint8Array key is needed for ${enc}`)
  const cek = key instanceof Uint8Array ? Buffer.from(key) : checked(key, gcmEnc!, 'decrypt', enc)
  const length = cek instanceof KeyObject ? cek.symmetricKeySize : cek.length
  if (length !== size) throw invalid('Invalid Content Encryption Key length')
  return cek
}

function ecdhKey(key: Key): KeyObject {
  if (key instanceof Uint8Array) throw new TypeError('a CryptoKey is needed for ECDH-ES')
  const name = key.algorithm.name
  if (name !== 'ECDH' && name !== 'X25519')
    throw new TypeError(
      'CryptoKey does not support this operation, its algorithm.name must be ECDH or X25519',
    )
  return checked(key, { name }, 'deriveBits', 'ECDH-ES')
}

// --- key management (RFC 7518 §4) ---

const OAEP_HASH: Record<string, string> = {
  'RSA-OAEP': 'sha1',
  'RSA-OAEP-256': 'sha256',
  'RSA-OAEP-384': 'sha384',
  'RSA-OAEP-512': 'sha512',
}

function rsaOaep(alg: string, key: KeyObject, ek: Buffer): Buffer {
  return privateDecrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[alg]! },
    ek,
  )
}

// RFC 3394 §2.2.3: the default initial value.
const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex')

function aesKwUnwrap(kek: Buffer | KeyObject, kekBytes: number, ek: Buffer): Buffer {
  const size = kek instanceof KeyObject ? kek.symmetricKeySize : kek.length
  if (size !== kekBytes) throw new TypeError('the key-wrapping key has the wrong size')
  const decipher = createDecipheriv(`id-aes${kekBytes * 8}-wrap`, kek, KW_IV)
  return Buffer.concat([decipher.update(ek), decipher.final()])
}

/** The epk (RFC 7518 §4.6.1.1) on the key's own curve; an import or agreement failure throws. */
function agree(own: KeyObject, epk: Record<string, unknown>): Buffer {
  const { kty, crv, x, y } = epk
  const jwk = (kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x }) as JsonWebKey
  // createPublicKey checks that an EC point is on its curve (the invalid-curve attack, RFC 8725 §3.4).
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' })
  if (
    publicKey.asymmetricKeyType !== own.asymmetricKeyType ||
    publicKey.asymmetricKeyDetails?.namedCurve !== own.asymmetricKeyDetails?.namedCurve
  )
    throw new Error('the epk is not on the key curve')
  return diffieHellman({ privateKey: own, publicKey })
}

/** Concat KDF (NIST SP 800-56A §5.8.1) with SHA-256, as RFC 7518 §4.6.2 uses it. */
function concatKdf(
  z: Buffer,
  bits: number,
  algorithmId: string,
  apu: Buffer | undefined,
  apv: Buffer | undefined,
): Buffer {
  const lengthAndInput = (input: Buffer) => {
    const out = Buffer.alloc(4 + input.length)
    out.writeUInt32BE(input.length)
    input.copy(out, 4)
    return out
  }
  const suppPubInfo = Buffer.alloc(4)
  suppPubInfo.writeUInt32BE(bits)
  const otherInfo = Buffer.concat([
    lengthAndInput(Buffer.from(algorithmId, 'latin1')),
    lengthAndInput(apu ?? Buffer.alloc(0)),
    lengthAndInput(apv ?? Buffer.alloc(0)),
    suppPubInfo,
  ])
  const out: Buffer[] = []
  for (let round = 1; out.length * 32 < bits / 8; round++) {
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(round)
    out.push(createHash('sha256').update(counter).update(z).update(otherInfo).digest())
  }
  return Buffer.concat(out).subarray(0, bits / 8)
}

function partyInfo(h: Record<string, unknown>, name: 'apu' | 'apv'): Buffer | undefined {
  const value = h[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalid(`JOSE Header "${name}" invalid`)
  return headerBytes(h, name)
}

/** A base64url header member (RFC 7518 §4.7.1, §4.8.1), of an exact size when given. */
function headerBytes(h: Record<string, unknown>, name: string, size?: number): Buffer {
  const value = h[name]
  if (typeof value !== 'string') throw invalid(`JOSE Header "${name}" missing or invalid`)
  const decoded = bytes(value)
  if (size !== undefined && decoded.length !== size) throw invalid(`Invalid "${name}" length`)
  return decoded
}

// --- content encryption (RFC 7518 §5) ---

function decryptContent(
  enc: string,
  cekBytes: number,
  cek: Buffer | KeyObject,
  ciphertext: Buffer,
  iv: Buffer,
  tag: Buffer,
  aad: Buffer,
): Uint8Array {
  const plain = enc.endsWith('GCM')
    ? gcmContent(cekBytes, cek, ciphertext, iv, tag, aad)
    : cbcHmac(cekBytes, cek, ciphertext, iv, tag, aad)
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)
}

function gcmContent(
  cekBytes: number,
  cek: Buffer | KeyObject,
  ciphertext: Buffer,
  iv: Buffer,
  tag: Buffer,
  aad: Buffer,
): Buffer {
  if (iv.length !== 12) throw invalid('Invalid Initialization Vector length')
  if (tag.length !== 16) throw invalid('Invalid Authentication Tag length')
  try {
    return gcm(cekBytes, cek, ciphertext, iv, tag, aad)
  } catch {
    throw failed()
  }
}

/** AES-GCM (RFC 7518 §5.3) with a 128-bit tag only: setAuthTag alone would take 4 to 16 bytes. */
function gcm(
  keyBytes: number,
  key: Buffer | KeyObject,
  ciphertext: Buffer,
  iv: Buffer,
  tag: Buffer,
  aad: Buffer,
): Buffer {
  if (tag.length !== 16) throw failed()
  const cipher = `aes-${keyBytes * 8}-gcm` as 'aes-256-gcm'
  const decipher = createDecipheriv(cipher, key, iv, { authTagLength: 16 })
  decipher.setAAD(aad)
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(ciphertext), decipher.final()])
}

/** AES-CBC with HMAC-SHA-2 (RFC 7518 §5.2.2.2): the tag first, in constant time, then AES-CBC. */
function cbcHmac(
  cekBytes: number,
  cek: Buffer | KeyObject,
  ciphertext: Buffer,
  iv: Buffer,
  tag: Buffer,
  aad: Buffer,
): Buffer {
  if (iv.length !== 16) throw invalid('Invalid Initialization Vector length')
  const key = cek instanceof KeyObject ? cek.export() : cek
  const half = cekBytes / 2
  const al = Buffer.alloc(8)
  al.writeBigUInt64BE(BigInt(aad.length * 8))
  const expected = createHmac(`sha${cekBytes * 8}`, key.subarray(0, half))
    .update(aad)
    .update(iv)
    .update(ciphertext)
    .update(al)
    .digest()
    .subarray(0, half)
  if (tag.length !== half || !timingSafeEqual(expected, tag)) throw failed()
  try {
    const decipher = createDecipheriv(`aes-${half * 8}-cbc`, key.subarray(half), iv)
    return Buffer.concat([decipher.update(ciphertext), decipher.final()])
  } catch {
    throw failed()
  }
}

/** What `#jwe-decrypt` gives the pipeline on this path. */
export const jweDecrypt: JweDecrypt = nodeJweDecrypt

/** Which path this is, for the sentinel tests (jwe-decrypt.path.test.ts). */
export const jwePath: 'jose' | 'node:crypto' = 'node:crypto'
