// Start-up configuration of the examples: env vars and files, keys given or generated, and the refusals.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isLoopbackHttp } from '../src/auth.js'
import { loadKeys, parsePrivateJwk } from '../src/keys.js'
import { banner, configFromEnv } from '../src/node.js'

let dir: string
let signingJwk: Record<string, unknown>
let encryptionJwk: Record<string, unknown>

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tokengate-example-config-'))
  signingJwk = {
    ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)),
  }
  encryptionJwk = {
    ...(await exportJWK(
      (await generateKeyPair('ECDH-ES+A256KW', { extractable: true })).privateKey,
    )),
    kid: 'enc-1',
  }
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('configFromEnv', () => {
  it('defaults: the given port, 127.0.0.1, development cookies on http://localhost, no keys', async () => {
    expect(await configFromEnv(3000, {})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      insecureDevCookies: true,
      insecureOnNetwork: false,
    })
  })

  it('reads PORT, HOST, an https PUBLIC_URL (Secure cookies) and keys inline and from files', async () => {
    const file = join(dir, 'enc.json')
    await writeFile(file, JSON.stringify(encryptionJwk))
    const config = await configFromEnv(3000, {
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://demo.example.com/some/path',
      TOKENGATE_SIGNING_JWK: JSON.stringify(signingJwk),
      TOKENGATE_ENCRYPTION_JWK_FILE: file,
    })
    expect(config).toEqual({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'https://demo.example.com',
      insecureDevCookies: false,
      insecureOnNetwork: false,
      signingJwk,
      encryptionJwk,
    })
  })

  it.each([
    ['a port that is not a number', { PORT: 'eighty' }, /PORT must be a port number/],
    ['a port out of range', { PORT: '70000' }, /PORT must be a port number/],
    [
      'plain http off localhost (Secure cookies would never be stored)',
      { PUBLIC_URL: 'http://demo.example.com' },
      /PUBLIC_URL must be https/,
    ],
    [
      'a key both inline and as a file',
      { TOKENGATE_SIGNING_JWK: '{}', TOKENGATE_SIGNING_JWK_FILE: '/x' },
      /not both/,
    ],
    [
      'a key that is not JSON',
      { TOKENGATE_SIGNING_JWK: 'not json' },
      /TOKENGATE_SIGNING_JWK must hold a private JWK as JSON/,
    ],
    [
      'a public key',
      { TOKENGATE_ENCRYPTION_JWK: '{"kty":"EC","crv":"P-256","x":"a","y":"b"}' },
      /with "d"/,
    ],
    // Issue 21 item 7: without PUBLIC_URL the cookies lack Secure; on a network interface that
    // sends sessions in clear text. Refused, with the three ways out in the message.
    [
      'HOST=0.0.0.0 without PUBLIC_URL (non-Secure cookies on the network)',
      { HOST: '0.0.0.0' },
      /HOST=0\.0\.0\.0 listens beyond this machine.*PUBLIC_URL=https:.*HOST=127\.0\.0\.1.*INSECURE_COOKIES=1/,
    ],
    ['HOST=:: without PUBLIC_URL', { HOST: '::' }, /HOST=:: listens beyond this machine/],
    [
      'a LAN address without PUBLIC_URL',
      { HOST: '192.168.1.20', INSECURE_COOKIES: 'yes' },
      /INSECURE_COOKIES=1/,
    ],
  ])('refuses %s', async (_name, env, message) => {
    await expect(configFromEnv(3000, env)).rejects.toThrow(message)
  })

  it.each(['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]'])(
    'HOST=%s without PUBLIC_URL is loopback only: development cookies',
    async (host) => {
      expect(await configFromEnv(3000, { HOST: host })).toMatchObject({
        insecureDevCookies: true,
        insecureOnNetwork: false,
      })
    },
  )

  it('INSECURE_COOKIES=1 is the explicit opt-in, and the banner says what it means', async () => {
    const config = await configFromEnv(3000, { HOST: '0.0.0.0', INSECURE_COOKIES: '1' })
    expect(config).toMatchObject({ insecureDevCookies: true, insecureOnNetwork: true })
    const text = banner('Koa', 'http://localhost:3000', 'network', true)
    expect(text).toContain('WITHOUT Secure on a network interface (INSECURE_COOKIES=1)')
    expect(text).not.toContain('http on localhost')
  })

  it('never echoes key material in its errors', async () => {
    const secret = 'super-secret-d-value'
    await expect(
      configFromEnv(3000, { TOKENGATE_SIGNING_JWK: `{"d":"${secret}",` }),
    ).rejects.toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }))
  })
})

describe('isLoopbackHttp', () => {
  it.each([
    ['http://localhost:3000', true],
    ['http://127.0.0.1:3000', true],
    ['http://[::1]:3000', true],
    ['https://localhost:3000', false],
    ['http://localhost.evil.example', false],
    ['http://10.0.0.5:3000', false],
  ])('%s => %s', (origin, expected) => {
    expect(isLoopbackHttp(origin)).toBe(expected)
  })
})

describe('loadKeys', () => {
  it('generates both pairs when none is given, with public JWKs that carry kid, alg and use', async () => {
    const keys = await loadKeys({})
    expect(keys.generated).toBe(true)
    expect(keys.signing.publicJwk).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
    })
    expect(keys.encryption.publicJwk).toMatchObject({
      kty: 'EC',
      alg: 'ECDH-ES+A256KW',
      use: 'enc',
    })
    expect(keys.signing.publicJwk).not.toHaveProperty('d')
    // Generated private keys never leave Web Crypto.
    expect(keys.signing.privateKey.extractable).toBe(false)
  })

  it('imports given private JWKs; the public JWK has no private member; kid is kept or derived', async () => {
    const keys = await loadKeys({ signingJwk, encryptionJwk })
    expect(keys.generated).toBe(false)
    expect(keys.encryption.kid).toBe('enc-1')
    expect(keys.signing.kid).toMatch(/^[A-Za-z0-9_-]{43}$/) // RFC 7638 thumbprint
    for (const pair of [keys.signing, keys.encryption])
      expect(pair.publicJwk).not.toHaveProperty('d')
  })

  it('refuses a key of the wrong type for its job, without echoing it', async () => {
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)
    const error = await loadKeys({ signingJwk: rsa }).catch((err: Error) => err)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toMatch(/signingJwk must be a private P-256 EC JWK/)
    expect((error as Error).message).not.toContain(rsa.d)
  })

  it('parsePrivateJwk names the source in its errors', () => {
    expect(() => parsePrivateJwk('[1]', 'MY_SECRET')).toThrow(/^MY_SECRET must hold a private JWK/)
  })
})

describe('banner', () => {
  it('prints the URL, the demo credentials and how the keys and cookies are set up', () => {
    const text = banner('Express', 'http://localhost:3000', true, true)
    expect(text).toContain('http://localhost:3000')
    expect(text).toMatch(/alice\s+\/ wonderland/)
    expect(text).toMatch(/bob\s+\/ builder/)
    expect(text).toContain('without Secure')
    expect(text).toContain('generated at start-up')
  })
})
