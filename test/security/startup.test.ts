// Unsafe configurations fail at start-up, naming the option, never echoing key material.
import { createAuthenticator, type JwsAlgorithm } from '@tokengate/core'
import {
  attackerKeys,
  encryptToken,
  keysFor,
  nowSeconds,
  signJws,
  type TestKeys,
} from '@tokengate/testkit'
import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { drivers, type RunningApp } from '../support/drivers.js'
import { testKeys } from '../support/fixtures.js'
import { keySecrets } from './support/leaks.js'

let rsa: TestKeys
let ec: TestKeys
let encRsa: TestKeys
const shortSecret = new Uint8Array(16).fill(7)
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })

beforeAll(async () => {
  ;({ rsa, ec, encRsa } = await testKeys())
})

interface StartupCase {
  name: string
  ref: string
  options: () => unknown
  /** A word the message must contain: the option to fix. */
  names: string
}

const cases: StartupCase[] = [
  ...['none', 'None', 'NONE', 'nOnE'].map((alg): StartupCase => ({
    name: `algorithms contains "${alg}"`,
    ref: 'RFC 8725 §3.1',
    options: () => ({ algorithms: ['RS256', alg], key: rsa.publicPem }),
    names: 'algorithms',
  })),
  {
    name: 'algorithms is empty',
    ref: 'RFC 8725 §3.1 (the verifier chooses)',
    options: () => ({ algorithms: [], key: rsa.publicPem }),
    names: 'algorithms',
  },
  {
    name: 'HS256 next to RS256 with an RSA public key (algorithm confusion)',
    ref: 'CVE-2022-23541, RFC 8725 §3.1',
    options: () => ({ algorithms: ['HS256', 'RS256'], key: rsa.publicPem }),
    names: 'HS256',
  },
  {
    name: 'HS256 with an RSA public key PEM',
    ref: 'CVE-2015-9235',
    options: () => ({ algorithms: ['HS256'], key: rsa.publicPem }),
    names: 'HS256',
  },
  {
    name: 'HS384 with an EC public JWK',
    ref: 'CVE-2023-48223',
    options: () => ({ algorithms: ['HS384'], key: ec.publicJwk }),
    names: 'HS384',
  },
  {
    name: 'RS256 with an EC key',
    ref: 'RFC 7518 §3.1',
    options: () => ({ algorithms: ['RS256'], key: ec.publicJwk }),
    names: 'RS256',
  },
  {
    name: 'HS256 with a 16-byte secret',
    ref: 'RFC 7518 §3.2 (at least the hash size)',
    options: () => ({ algorithms: ['HS256'], key: shortSecret }),
    names: 'HS256',
  },
  {
    name: 'RS256 with a 1024-bit RSA key',
    ref: 'RFC 7518 §3.3 (2048 bits or larger)',
    options: () => ({
      algorithms: ['RS256'],
      key: weakRsa.publicKey.export({ type: 'spki', format: 'pem' }),
    }),
    names: '2048',
  },
  {
    name: 'a private KeyObject as the verification key',
    ref: 'least privilege',
    options: () => ({ algorithms: ['RS256'], key: weakRsa.privateKey }),
    names: 'private',
  },
  {
    name: 'a remote JWKS over plain http to another host',
    ref: 'RFC 8725 §3.10, RFC 7517 §8',
    options: () => ({
      algorithms: ['RS256'],
      key: { jwksUri: 'http://keys.example.com/jwks.json' },
    }),
    names: 'https',
  },
  {
    name: 'a remote JWKS with HMAC algorithms (secrets never come from a URL)',
    ref: 'RFC 8725 §3.10',
    options: () => ({
      algorithms: ['HS256'],
      key: { jwksUri: 'https://keys.example.com/jwks.json' },
    }),
    names: 'jwksUri',
  },
  {
    name: 'decrypt with RSA1_5',
    ref: 'RFC 8725 §3.2 (Bleichenbacher)',
    options: () => ({
      algorithms: ['RS256'],
      key: rsa.publicPem,
      decrypt: { keys: encRsa.privateKey, keyManagementAlgorithms: ['RSA1_5'] },
    }),
    names: 'RSA1_5',
  },
  {
    name: 'allowUnsignedPayload with public-key key management',
    ref: 'RFC 7519 §5.2 (anyone can encrypt to a public key)',
    options: () => ({
      algorithms: ['RS256'],
      key: rsa.publicPem,
      decrypt: {
        keys: encRsa.privateKey,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
        allowUnsignedPayload: true,
      },
    }),
    names: 'allowUnsignedPayload',
  },
  {
    name: 'decrypt.required misspelt as a string',
    ref: 'a typo must not weaken the policy',
    options: () => ({
      algorithms: ['RS256'],
      key: rsa.publicPem,
      decrypt: {
        keys: encRsa.privateKey,
        keyManagementAlgorithms: ['RSA-OAEP-256'],
        required: 'yes',
      },
    }),
    names: 'required',
  },
  {
    name: 'maxTokenLength of 0',
    ref: 'maxTokenLength',
    options: () => ({ algorithms: ['RS256'], key: rsa.publicPem, maxTokenLength: 0 }),
    names: 'maxTokenLength',
  },
]

describe('start-up refuses unsafe configuration', () => {
  it.each(cases)('$name ($ref)', (c) => {
    let error: unknown
    try {
      createAuthenticator(c.options() as Parameters<typeof createAuthenticator>[0])
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(Error)
    const message = (error as Error).message
    expect(message).toMatch(/^tokengate: /)
    expect(message).toContain(c.names)
    const pemLine = (weakRsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).split(
      '\n',
    )[1] as string
    const leaked = [...keySecrets([rsa, ec, encRsa], [shortSecret]), pemLine].filter((s) =>
      message.includes(s),
    )
    expect(leaked).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Round 2/3 hardening: local key material (issue 12 items 3 and 4, issue 21 "zero padding").
// ---------------------------------------------------------------------------------------------

/** RFC 4251 §5 `string`/`mpint` and RFC 4253 §6.6 / RFC 5656 §3.1 / RFC 8709 §4 public key blobs. */
function sshString(bytes: Uint8Array | string): Buffer {
  const body = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes)
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  return Buffer.concat([length, body])
}
function sshMpint(b64u: string): Buffer {
  const raw = Buffer.from(b64u, 'base64url')
  return sshString((raw[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw)
}
function opensshLine(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>
  let type: string
  let blob: Buffer
  if (jwk.kty === 'RSA') {
    type = 'ssh-rsa'
    blob = Buffer.concat([sshString(type), sshMpint(jwk.e as string), sshMpint(jwk.n as string)])
  } else if (jwk.kty === 'EC') {
    type = 'ecdsa-sha2-nistp256'
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x as string, 'base64url'),
      Buffer.from(jwk.y as string, 'base64url'),
    ])
    blob = Buffer.concat([sshString(type), sshString('nistp256'), sshString(point)])
  } else {
    type = 'ssh-ed25519'
    blob = Buffer.concat([sshString(type), sshString(Buffer.from(jwk.x as string, 'base64url'))])
  }
  return `${type} ${blob.toString('base64')} deploy@build-host`
}

const rsaPair = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ecPair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const edPair = generateKeyPairSync('ed25519')
const attacker = attackerKeys()
const spkiPem = rsaPair.publicKey.export({ type: 'spki', format: 'pem' }) as string
const spkiDer = rsaPair.publicKey.export({ type: 'spki', format: 'der' })
const pkcs1Der = rsaPair.publicKey.export({ type: 'pkcs1', format: 'der' })
const pkcs1Pem = rsaPair.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string
const certPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(attacker.certificate)
  .toString('base64')
  .replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`
const publicJwkText = JSON.stringify(rsaPair.publicKey.export({ format: 'jwk' }))

/** Every way a key reaches `options.key` as if it were a secret (CVE-2016-10555, CVE-2022-29217, CVE-2023-48223). */
const keyAsSecret: Array<{ form: string; key: () => string | Uint8Array }> = [
  { form: 'SPKI PEM string', key: () => spkiPem },
  { form: 'SPKI PEM as bytes (readFileSync)', key: () => new Uint8Array(Buffer.from(spkiPem)) },
  { form: 'SPKI PEM after a comment line', key: () => `# issuer signing key\n${spkiPem}` },
  {
    form: 'SPKI PEM after a comment line, as bytes',
    key: () => new Uint8Array(Buffer.from(`# issuer signing key\n${spkiPem}`)),
  },
  { form: 'SPKI PEM after a BOM and blank lines', key: () => `\uFEFF\n\n  ${spkiPem}` },
  {
    form: 'SPKI PEM with a BOM, as bytes',
    key: () => new Uint8Array(Buffer.from(`\uFEFF${spkiPem}`)),
  },
  { form: 'SPKI PEM with CRLF line endings', key: () => spkiPem.replace(/\n/g, '\r\n') },
  { form: 'PKCS#1 RSA PUBLIC KEY PEM', key: () => pkcs1Pem },
  { form: 'X.509 certificate PEM', key: () => certPem },
  { form: 'X.509 certificate PEM as bytes', key: () => new Uint8Array(Buffer.from(certPem)) },
  { form: 'X.509 certificate DER bytes', key: () => attacker.certificate },
  { form: 'public JWK as JSON text', key: () => publicJwkText },
  { form: 'public JWK as JSON bytes', key: () => new Uint8Array(Buffer.from(publicJwkText)) },
  {
    form: 'public JWK Set as JSON text',
    key: () => JSON.stringify({ keys: [rsaPair.publicKey.export({ format: 'jwk' })] }),
  },
  { form: 'SPKI DER bytes', key: () => new Uint8Array(spkiDer) },
  { form: 'SPKI DER in bare base64', key: () => spkiDer.toString('base64') },
  { form: 'SPKI DER in base64url', key: () => spkiDer.toString('base64url') },
  {
    form: 'SPKI DER in base64, as bytes',
    key: () => new Uint8Array(Buffer.from(spkiDer.toString('base64'))),
  },
  {
    form: 'SPKI DER in wrapped base64',
    key: () => spkiDer.toString('base64').replace(/.{64}/g, '$&\n'),
  },
  {
    form: 'EC SPKI DER in base64',
    key: () => ecPair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  },
  {
    form: 'Ed25519 SPKI DER bytes',
    key: () => new Uint8Array(edPair.publicKey.export({ type: 'spki', format: 'der' })),
  },
  { form: 'PKCS#1 RSA public key DER bytes', key: () => new Uint8Array(pkcs1Der) },
  { form: 'PKCS#1 RSA public key DER in base64', key: () => pkcs1Der.toString('base64') },
  { form: 'SPKI DER in hex', key: () => spkiDer.toString('hex') },
  { form: 'OpenSSH ssh-rsa line', key: () => opensshLine(rsaPair.publicKey) },
  { form: 'OpenSSH ecdsa-sha2-nistp256 line', key: () => opensshLine(ecPair.publicKey) },
  { form: 'OpenSSH ssh-ed25519 line', key: () => opensshLine(edPair.publicKey) },
  {
    form: 'OpenSSH line as bytes (authorized_keys)',
    key: () => new Uint8Array(Buffer.from(`${opensshLine(edPair.publicKey)}\n`)),
  },
  {
    form: 'PKCS#8 private key PEM',
    key: () => rsaPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  },
  {
    form: 'PKCS#8 private key PEM as bytes',
    key: () =>
      new Uint8Array(
        Buffer.from(rsaPair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
      ),
  },
  {
    form: 'PKCS#8 private key DER bytes',
    key: () => new Uint8Array(rsaPair.privateKey.export({ type: 'pkcs8', format: 'der' })),
  },
  {
    form: 'PKCS#1 RSA private key DER bytes',
    key: () => new Uint8Array(rsaPair.privateKey.export({ type: 'pkcs1', format: 'der' })),
  },
  {
    form: 'SEC1 EC private key DER bytes',
    key: () => new Uint8Array(ecPair.privateKey.export({ type: 'sec1', format: 'der' })),
  },
  {
    form: 'private JWK as JSON text',
    key: () => JSON.stringify(ecPair.privateKey.export({ format: 'jwk' })),
  },
  { form: 'a secret KeyObject holding PEM bytes', key: () => spkiPem },
]

describe('start-up refuses key material given as an HMAC secret (RFC 8725 §3.1, CVE-2016-10555, CVE-2022-29217, CVE-2023-48223)', () => {
  it.each(keyAsSecret.flatMap((c) => ['HS256', 'HS512'].map((alg) => ({ ...c, alg }))))(
    '$form with $alg',
    ({ form, key, alg }) => {
      const material = form.startsWith('a secret KeyObject')
        ? createSecretKey(Buffer.from(key() as string))
        : key()
      let error: unknown
      try {
        createAuthenticator({ algorithms: [alg], key: material } as Parameters<
          typeof createAuthenticator
        >[0])
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(TypeError)
      const message = (error as Error).message
      expect(message).toMatch(/^tokengate: options\.key is /)
      // The fix: an asymmetric algorithm for the key, or a random secret.
      expect(message).toMatch(/asymmetric algorithm/)
      expect(message).toMatch(/random secret/)
      expect(message).not.toContain(spkiDer.toString('base64').slice(40, 72))
    },
  )

  it('the same key forms are refused as an issuer entry key', () => {
    expect(() =>
      createAuthenticator({
        issuers: [
          { issuer: 'https://a.example/', algorithms: ['HS256'], key: new Uint8Array(spkiDer) },
        ],
      } as Parameters<typeof createAuthenticator>[0]),
    ).toThrow(/asymmetric algorithm/)
  })

  it('a PEM after a comment line, or as bytes, still verifies as the key it is', async () => {
    const exp = nowSeconds() + 60
    const cases: Array<[string, KeyObject, string | Uint8Array]> = [
      ['RS256', rsaPair.privateKey, `# issuer key\n${spkiPem}`],
      ['RS256', rsaPair.privateKey, new Uint8Array(Buffer.from(spkiPem))],
      ['ES256', attacker.privateKey, new Uint8Array(Buffer.from(`subject=CN=x\n${certPem}`))],
    ]
    for (const [alg, signer, key] of cases) {
      const token = signJws(alg, signer, { alg }, { sub: 'alice', exp })
      const auth = createAuthenticator({ algorithms: [alg as JwsAlgorithm], key })
      await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({
        payload: { sub: 'alice' },
      })
    }
  })
})

function bearer(token: string) {
  return { method: 'GET', url: '/protected', headers: { authorization: `Bearer ${token}` } }
}

/** A DER TLV (X.690 §8.1.3, definite length). */
function derTlv(tag: number, body: Uint8Array): Buffer {
  const n = body.length
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]
  return Buffer.concat([Buffer.from([tag, ...length]), body])
}

const weakJwk = weakRsa.publicKey.export({ format: 'jwk' }) as { n: string; e: string }
/** The 1024-bit modulus with 129 leading zero octets: 257 octets, "2048 bits" by octet count. */
const paddedN = Buffer.concat([Buffer.alloc(129), Buffer.from(weakJwk.n, 'base64url')])
const paddedSpkiPem = (() => {
  const rsaKey = derTlv(
    0x30,
    Buffer.concat([derTlv(0x02, paddedN), derTlv(0x02, Buffer.from(weakJwk.e, 'base64url'))]),
  )
  const algId = Buffer.from('300d06092a864886f70d0101010500', 'hex')
  const spki = derTlv(
    0x30,
    Buffer.concat([algId, derTlv(0x03, Buffer.concat([Buffer.from([0]), rsaKey]))]),
  )
  return `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PUBLIC KEY-----\n`
})()

const ecJwk = ecPair.publicKey.export({ format: 'jwk' }) as Record<string, string>
const edJwk = edPair.publicKey.export({ format: 'jwk' }) as Record<string, string>
const rsaJwk = rsaPair.publicKey.export({ format: 'jwk' }) as Record<string, string>
/** y + 1: a valid-looking coordinate whose point is not on P-256. */
const offCurveY = (() => {
  const y = Buffer.from(ecJwk.y as string, 'base64url')
  y[31] = ((y[31] as number) + 1) & 0xff
  return y.toString('base64url')
})()
const offCurveSpkiPem = (() => {
  const der = ecPair.publicKey.export({ type: 'spki', format: 'der' })
  der[der.length - 1] = ((der[der.length - 1] as number) + 1) & 0xff
  return `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`
})()
const shortEdSpkiPem = (() => {
  const der = edPair.publicKey.export({ type: 'spki', format: 'der' })
  // Drop the last octet of the key and fix the three lengths (SEQUENCE, BIT STRING).
  const cut = Buffer.from(der.subarray(0, der.length - 1))
  cut[1] = (cut[1] as number) - 1
  cut[10] = (cut[10] as number) - 1
  return `-----BEGIN PUBLIC KEY-----\n${cut.toString('base64')}\n-----END PUBLIC KEY-----\n`
})()

interface BrokenKeyCase {
  name: string
  ref: string
  options: () => unknown
  /** Words the start-up message must contain (the kid, the defect). */
  names: string[]
}

const inSet = (jwk: Record<string, unknown>) => ({ jwks: { keys: [jwk] } })

/**
 * Issue 12 item 4: keys that passed start-up but failed to import made every request a 500, on
 * every adapter, for good. Each is now refused at start-up, naming its kid and the fix.
 */
const brokenKeys: BrokenKeyCase[] = [
  {
    name: 'RSA JWK whose n is not base64url',
    ref: 'RFC 7518 §6.3.1.1, RFC 7515 §2',
    options: () => ({
      algorithms: ['RS256'],
      key: inSet({
        ...rsaJwk,
        kid: 'rsa-corrupt',
        n: `${(rsaJwk.n as string).slice(0, 40)}!!${(rsaJwk.n as string).slice(42)}`,
      }),
    }),
    names: ['rsa-corrupt', 'base64url'],
  },
  {
    name: 'RSA JWK whose n is even (not a modulus)',
    ref: 'RFC 8017 §3.1',
    options: () => ({
      algorithms: ['RS256'],
      key: inSet({ ...rsaJwk, kid: 'rsa-even', n: `${(rsaJwk.n as string).slice(0, -1)}A` }),
    }),
    names: ['rsa-even', 'even'],
  },
  {
    name: 'RSA JWK whose e is even',
    ref: 'RFC 8017 §3.1',
    options: () => ({ algorithms: ['RS256'], key: inSet({ ...rsaJwk, kid: 'rsa-e', e: 'AQAA' }) }),
    names: ['rsa-e', 'exponent'],
  },
  {
    name: 'EC JWK whose point is not on P-256 (invalid curve)',
    ref: 'SEC 1 §3.2.2, RFC 7518 §6.2.1',
    options: () => ({
      algorithms: ['ES256'],
      key: inSet({ ...ecJwk, kid: 'ec-off', y: offCurveY }),
    }),
    names: ['ec-off', 'not on P-256'],
  },
  {
    name: 'EC JWK with a short y coordinate',
    ref: 'RFC 7518 §6.2.1.3',
    options: () => ({
      algorithms: ['ES256'],
      key: inSet({ ...ecJwk, kid: 'ec-short', y: (ecJwk.y as string).slice(3) }),
    }),
    names: ['ec-short', '32 bytes'],
  },
  {
    name: 'a single EC JWK whose point is not on P-256',
    ref: 'SEC 1 §3.2.2',
    options: () => ({ algorithms: ['ES256'], key: { ...ecJwk, kid: 'ec-single', y: offCurveY } }),
    names: ['ec-single', 'not on P-256'],
  },
  {
    name: 'OKP JWK of 31 bytes for Ed25519',
    ref: 'RFC 8037 §2',
    options: () => ({
      algorithms: ['EdDSA'],
      key: inSet({
        ...edJwk,
        kid: 'ed-short',
        x: Buffer.from(edJwk.x as string, 'base64url')
          .subarray(1)
          .toString('base64url'),
      }),
    }),
    names: ['ed-short', 'Ed25519 needs 32'],
  },
  {
    name: 'oct JWK whose k is not base64url (its size was counted from the text)',
    ref: 'RFC 7518 §6.4.1, §3.2',
    options: () => ({
      algorithms: ['HS256'],
      key: inSet({ kty: 'oct', kid: 'oct-text', k: '.'.repeat(43) }),
    }),
    names: ['oct-text', 'base64url'],
  },
  {
    name: 'EC SPKI PEM whose point is not on the curve',
    ref: 'SEC 1 §3.2.2, RFC 5480 §2.2',
    options: () => ({ algorithms: ['ES256'], key: offCurveSpkiPem }),
    names: ['options.key', 'not on P-256'],
  },
  {
    name: 'Ed25519 SPKI PEM of 31 bytes',
    ref: 'RFC 8410 §4',
    options: () => ({ algorithms: ['EdDSA'], key: shortEdSpkiPem }),
    names: ['options.key', 'Ed25519 needs 32'],
  },
  // Issue 21: sizes count real bits, not octets padded with zeros.
  {
    name: 'JWK n: a 1024-bit modulus padded with zero octets to 257',
    ref: 'RFC 7518 §3.3, §6.3.1.1',
    options: () => ({
      algorithms: ['RS256'],
      key: inSet({ kty: 'RSA', kid: 'rsa-padded', e: weakJwk.e, n: paddedN.toString('base64url') }),
    }),
    names: ['RS256', 'rsa-padded', '1024-bit'],
  },
  {
    name: 'SPKI PEM: a 1024-bit modulus padded with zero octets to 257',
    ref: 'RFC 7518 §3.3',
    options: () => ({ algorithms: ['RS256'], key: paddedSpkiPem }),
    names: ['RS256', '1024-bit'],
  },
  {
    name: 'decryption JWK: a 1024-bit modulus padded with zero octets',
    ref: 'RFC 7518 §4.2 (2048 bits or larger)',
    options: () => ({
      algorithms: ['RS256'],
      key: rsa.publicPem,
      decrypt: {
        keys: {
          ...(weakRsa.privateKey.export({ format: 'jwk' }) as object),
          n: paddedN.toString('base64url'),
        },
        keyManagementAlgorithms: ['RSA-OAEP-256'],
      },
    }),
    names: ['decrypt'],
  },
]

describe('start-up refuses a local key that could not be imported later, naming its kid (issue 12 item 4)', () => {
  it.each(brokenKeys)('$name ($ref)', (c) => {
    let error: unknown
    try {
      createAuthenticator(c.options() as Parameters<typeof createAuthenticator>[0])
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(TypeError)
    const message = (error as Error).message
    expect(message).toMatch(/^tokengate: /)
    for (const word of c.names) expect(message).toContain(word)
  })
})

/** Printable random secrets (an `openssl rand -base64 48`, a password manager's) verify as before. */
const printableSecrets = [
  Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64'),
  Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url'),
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'),
  'correct horse battery staple, twice: correct horse battery staple',
]

describe.each(drivers)('local keys after start-up on $name: never a 500', (driver) => {
  let app: RunningApp | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })
  const get = (token: string) =>
    (app as RunningApp).request({
      path: '/protected',
      headers: { authorization: `Bearer ${token}` },
    })

  it.each(printableSecrets)('a printable random secret verifies HS256 (%s)', async (secret) => {
    app = await driver.start({ options: { algorithms: ['HS256'], key: secret } })
    const token = signJws(
      'HS256',
      secret,
      { alg: 'HS256' },
      { sub: 'alice', exp: nowSeconds() + 60 },
    )
    expect((await get(token)).status).toBe(200)
    expect(await get(`${token.slice(0, -4)}AAAA`)).toMatchObject({ status: 401 })
  })

  it('a private JWK in a local set verifies with its public members only (d is never imported)', async () => {
    const privateJwk = {
      ...(ecPair.privateKey.export({ format: 'jwk' }) as object),
      kid: 'ec-private',
    }
    app = await driver.start({
      options: { algorithms: ['ES256'], key: { jwks: { keys: [privateJwk] } } },
    })
    const token = signJws(
      'ES256',
      ecPair.privateKey,
      { alg: 'ES256', kid: 'ec-private' },
      { sub: 'alice', exp: nowSeconds() + 60 },
    )
    expect((await get(token)).status).toBe(200)
    const otherKid = signJws(
      'ES256',
      ecPair.privateKey,
      { alg: 'ES256', kid: 'ec-other' },
      { sub: 'alice', exp: nowSeconds() + 60 },
    )
    for (const junk of ['x', 'a.b.c', `${token.slice(0, -4)}AAAA`, otherKid]) {
      const response = await get(junk)
      expect(response.status).toBe(401)
    }
  })
})

// Issue 12 items 3 and 4 through every adapter: each `tokengate()` refuses at start-up what
// createAuthenticator refuses (the app never starts), and a key that fails at first use is a 503.
describe.each(drivers)(
  'key material through the adapter on $name (issue 12 items 3, 4)',
  (driver) => {
    let app: RunningApp | undefined
    afterEach(async () => {
      await app?.close()
      app = undefined
    })

    const asSecret = keyAsSecret.filter((c) =>
      [
        'SPKI PEM as bytes (readFileSync)',
        'SPKI PEM after a comment line',
        'public JWK as JSON text',
        'SPKI DER in bare base64',
        'OpenSSH ssh-rsa line',
        'X.509 certificate DER bytes',
      ].includes(c.form),
    )
    it.each(asSecret)('$form as the HS256 secret: the app does not start', async ({ key }) => {
      let error: unknown
      try {
        app = await driver.start({ options: { algorithms: ['HS256'], key: key() } })
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toMatch(
        /^tokengate: options\.key is .*asymmetric algorithm/s,
      )
    })

    it.each(brokenKeys.slice(0, 4))(
      'a local key that could not be imported ($name): the app does not start, naming it',
      async (c) => {
        let error: unknown
        try {
          app = await driver.start({ options: c.options() as never })
        } catch (err) {
          error = err
        }
        expect(error).toBeInstanceOf(TypeError)
        for (const word of c.names) expect((error as Error).message).toContain(word)
      },
    )

    it('a decryption key the runtime refuses at first use: 503 keys_unavailable, never 500; other tokens unaffected', async () => {
      const enc = await keysFor('RSA-OAEP-256')
      const unusable = await crypto.subtle.importKey(
        'jwk',
        { ...enc.privateJwk, alg: 'RSA-OAEP-256', key_ops: undefined },
        { name: 'RSA-OAEP', hash: 'SHA-256' },
        false,
        ['unwrapKey'],
      )
      app = await driver.start({
        options: {
          algorithms: ['ES256'],
          key: ec.publicJwk,
          decrypt: { keys: unusable, keyManagementAlgorithms: ['RSA-OAEP-256'] },
        },
      })
      const inner = signJws(
        'ES256',
        ec.privateKey,
        { alg: 'ES256' },
        {
          sub: 'alice',
          exp: nowSeconds() + 60,
        },
      )
      const jwe = await encryptToken(inner, { alg: 'RSA-OAEP-256', key: enc })
      for (let i = 0; i < 2; i++) {
        const res = await app.request({
          path: '/protected',
          headers: { authorization: `Bearer ${jwe}` },
        })
        expect({ status: res.status, code: (res.body as { code?: string }).code }).toEqual({
          status: 503,
          code: 'keys_unavailable',
        })
      }
      const plain = await app.request({
        path: '/protected',
        headers: { authorization: `Bearer ${inner}` },
      })
      expect(plain.status).toBe(200)
      const junk = await app.request({
        path: '/protected',
        headers: { authorization: 'Bearer a.b.c' },
      })
      expect(junk.status).toBe(401)
    })
  },
)
