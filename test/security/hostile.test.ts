// The hostile builders themselves: each forgery is what it claims to be, so a refusal means something.
import { X509Certificate, createHmac, KeyObject } from 'node:crypto'
import { compactDecrypt, compactVerify, decodeProtectedHeader, importJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  attackerKeys,
  dirJwe,
  flipBit,
  forgedJwe,
  hmacWithPublicKey,
  invalidUtf8Json,
  keysFor,
  offCurveEcdhJwe,
  pbes2Jwe,
  raw,
  rsa15Jwe,
  signJws,
  unsecuredJws,
  withHeader,
  x5cValue,
} from '@tokengate/testkit'

describe('hostile builders', () => {
  it.each(['RS256', 'PS384', 'ES256', 'ES512', 'EdDSA', 'HS256'])(
    'signJws(%s) produces a signature jose accepts',
    async (alg) => {
      const keys = await keysFor(alg)
      const token = signJws(alg, keys.privateKey, { alg, kid: keys.kid }, { sub: 'x' })
      const { payload } = await compactVerify(token, keys.publicKey)
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: 'x' })
    },
  )

  it('hmacWithPublicKey signs with the PEM text of the public key as the HMAC secret', async () => {
    const keys = await keysFor('RS256')
    const token = hmacWithPublicKey(keys.publicKey as CryptoKey, 'pem', { sub: 'x' })
    const [h, p, s] = token.split('.')
    const pem = KeyObject.from(keys.publicKey as CryptoKey).export({ type: 'spki', format: 'pem' })
    const mac = createHmac('sha256', pem).update(`${h}.${p}`).digest('base64url')
    expect(s).toBe(mac)
  })

  it('attackerKeys carries a self-signed certificate for its own key (x5c)', () => {
    const attacker = attackerKeys()
    const cert = new X509Certificate(Buffer.from(x5cValue(attacker.certificate), 'base64'))
    expect(cert.verify(attacker.publicKey)).toBe(true)
    expect(cert.publicKey.equals(attacker.publicKey)).toBe(true)
  })

  it('unsecuredJws has an empty signature and the given alg spelling', () => {
    const token = unsecuredJws({ sub: 'x' }, 'nOnE')
    expect(token.endsWith('.')).toBe(true)
    expect(decodeProtectedHeader(token).alg).toBe('nOnE')
  })

  it('dirJwe is a genuine JWE that jose decrypts', async () => {
    const cek = new Uint8Array(32).fill(7)
    const token = dirJwe(cek, 'hello', { kid: 'k' })
    const { plaintext } = await compactDecrypt(token, cek)
    expect(new TextDecoder().decode(plaintext)).toBe('hello')
  })

  it('rsa15Jwe is a five-part JWE with alg RSA1_5', async () => {
    const keys = await keysFor('RSA-OAEP-256')
    const token = rsa15Jwe(keys.publicKey as CryptoKey, 'x')
    expect(token.split('.')).toHaveLength(5)
    expect(decodeProtectedHeader(token).alg).toBe('RSA1_5')
  })

  it('pbes2Jwe, offCurveEcdhJwe and forgedJwe set the protected header they are asked for', () => {
    expect(decodeProtectedHeader(pbes2Jwe(1e9)).p2c).toBe(1e9)
    const epk = decodeProtectedHeader(offCurveEcdhJwe()).epk as { crv?: string } | undefined
    expect(epk?.crv).toBe('P-256')
    expect(forgedJwe({ alg: 'dir', enc: 'A128GCM' }).split('.')).toHaveLength(5)
  })

  it('the off-curve point is refused by Web Crypto (so it really is off the curve)', async () => {
    const epk = decodeProtectedHeader(offCurveEcdhJwe()).epk as Record<string, string>
    await expect(importJWK({ ...epk }, 'ECDH-ES')).rejects.toThrow()
  })

  it('flipBit and withHeader change the token', () => {
    const token = signJws('HS256', 'secret', { alg: 'HS256' }, raw('{"a":1}'))
    expect(flipBit(token, 2)).not.toBe(token)
    expect(withHeader(token, { x: 1 }).split('.')[2]).toBe(token.split('.')[2])
  })

  it('invalidUtf8Json contains bytes that a fatal UTF-8 decoder refuses', () => {
    const bytes = invalidUtf8Json({ sub: 'x' })
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow()
  })
})
