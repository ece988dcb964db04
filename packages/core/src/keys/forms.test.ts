// Key material given as a secret is recognised (RFC 8725 §3.1); random secrets never are.
import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import { bitLength, jwkDefect } from './check.js'
import { keyForm } from './forms.js'
import { StaticKeySource } from './source.js'
import { prepareJwk } from './public-key.js'

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n))
const PRINTABLE =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~ '

describe('keyForm: random secrets are never taken for keys (no false positives)', () => {
  it('random bytes, and their base64, base64url and hex, are secrets', () => {
    for (let i = 0; i < 3000; i++) {
      const bytes = random(32 + (i % 64))
      expect(keyForm(bytes)).toBeUndefined()
      expect(keyForm(btoa(String.fromCharCode(...bytes)))).toBeUndefined()
      expect(keyForm(Buffer.from(bytes).toString('base64url'))).toBeUndefined()
      expect(keyForm(Buffer.from(bytes).toString('hex'))).toBeUndefined()
    }
  })

  it('random bytes that open like DER (a SEQUENCE of their exact length) are secrets', () => {
    for (let i = 0; i < 3000; i++) {
      const bytes = random(34 + (i % 90))
      bytes[0] = 0x30
      bytes[1] = bytes.length - 2
      expect(keyForm(bytes)).toBeUndefined()
      expect(keyForm(Buffer.from(bytes).toString('base64'))).toBeUndefined()
    }
  })

  it('random printable strings are secrets', () => {
    for (let i = 0; i < 3000; i++) {
      const s = Array.from(random(32 + (i % 40)), (b) => PRINTABLE[b % PRINTABLE.length]).join('')
      expect(keyForm(s)).toBeUndefined()
    }
  })

  it('a passphrase mentioning ssh-rsa, a JSON secret without kty and an empty value are secrets', () => {
    expect(
      keyForm('my ssh-rsa key is AAAA-not-a-key and this is a long passphrase'),
    ).toBeUndefined()
    expect(keyForm('{"secret":"0123456789abcdef0123456789abcdef"}')).toBeUndefined()
    expect(keyForm('')).toBeUndefined()
    expect(keyForm(new Uint8Array())).toBeUndefined()
  })

  it('recognises a public key in each form', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const der = publicKey.export({ type: 'spki', format: 'der' })
    expect(keyForm(new Uint8Array(der))).toMatchObject({ kind: 'other', private: false })
    expect(keyForm(der.toString('base64'))).toMatchObject({ kind: 'other' })
    expect(
      keyForm(`# comment\r\n${publicKey.export({ type: 'spki', format: 'pem' })}`),
    ).toMatchObject({
      kind: 'pem',
      label: 'PUBLIC KEY',
    })
    expect(keyForm(JSON.stringify(publicKey.export({ format: 'jwk' })))).toMatchObject({
      kind: 'other',
      what: 'a public JWK as JSON text',
    })
  })
})

describe('bitLength counts real bits (issue 21: zero padding)', () => {
  it.each<[string, number[], number]>([
    ['empty', [], 0],
    ['zeros only', [0, 0, 0], 0],
    ['one', [1], 1],
    ['0x80 after zero padding', [0, 0, 0x80, 0], 16],
    ['0xff', [0xff], 8],
  ])('%s', (_name, bytes, bits) => {
    expect(bitLength(new Uint8Array(bytes))).toBe(bits)
  })
})

describe('jwkDefect: checked at start-up so the import cannot fail', () => {
  it('valid keys of each type have no defect', () => {
    for (const crv of ['P-256', 'P-384', 'P-521']) {
      for (let i = 0; i < 10; i++) {
        const jwk = generateKeyPairSync('ec', { namedCurve: crv }).publicKey.export({
          format: 'jwk',
        })
        expect(jwkDefect(jwk as Record<string, unknown>)).toBeUndefined()
      }
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      format: 'jwk',
    })
    expect(jwkDefect(rsa as Record<string, unknown>)).toBeUndefined()
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
    expect(jwkDefect(ed as Record<string, unknown>)).toBeUndefined()
  })

  it('an EC point moved off each curve is a defect', () => {
    for (const crv of ['P-256', 'P-384', 'P-521']) {
      const jwk = generateKeyPairSync('ec', { namedCurve: crv }).publicKey.export({ format: 'jwk' })
      const x = Buffer.from(jwk.x as string, 'base64url')
      x[x.length - 1] = ((x[x.length - 1] as number) ^ 1) & 0xff
      expect(jwkDefect({ ...jwk, x: x.toString('base64url') })).toMatch(`not on ${crv}`)
    }
  })
})

describe('StaticKeySource: a key that fails to import at request time is 503, never a 500', () => {
  it('maps the failure to keys_unavailable and keeps the other keys working', async () => {
    const good = prepareJwk(
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
      'test',
    )
    // Built by hand, past the start-up checks, as a runtime that refuses a key would behave.
    const broken = { ...good, jwk: { ...good.jwk, x: 'AAAA', y: 'AAAA' } }
    const source = new StaticKeySource(
      [
        { prepared: broken, kid: 'bad', algs: ['ES256'] },
        { prepared: good, kid: 'good', algs: ['ES256'] },
      ],
      true,
    )
    const error = await Promise.resolve()
      .then(() => source.select('ES256', 'bad'))
      .catch((err: unknown) => err)
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ code: 'keys_unavailable', status: 503 })
    expect(String((error as AuthError).cause)).toContain('"bad"')
    await expect(
      Promise.resolve().then(() => source.select('ES256', 'good')),
    ).resolves.toHaveLength(1)
    // And again, from the loaded table (the failure does not poison later requests).
    await expect(Promise.resolve().then(() => source.select('ES256', 'bad'))).rejects.toMatchObject(
      {
        code: 'keys_unavailable',
      },
    )
  })
})
