// The external signer against a real HSM (SoftHSM2 through PKCS#11): keys generated inside the
// token and never extractable, tokens signed there, verified by tokengate on every framework.
import { createTokenIssuer, SignerError, type TokenIssuer } from '@tokengate/core'
import type { JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allDrivers } from '../support/workers.js'
import type { ProtectedBody } from '../support/drivers.js'
import { startSoftHsm, type SoftHsm } from './softhsm.js'

const ISSUER = 'https://gateway.example.test'
const AUDIENCE = 'https://api.example.test'
// key id in the token → JWS alg → PKCS#11 key type
const KEYS = [
  { id: '01', alg: 'ES256', type: 'EC:prime256v1' },
  { id: '02', alg: 'RS256', type: 'rsa:2048' },
  { id: '02', alg: 'PS256', type: 'rsa:2048' },
] as const

let hsm: SoftHsm
const publicPems = new Map<string, string>()
const tokens = new Map<string, string>()
const jwks = new Map<string, { keys: JWK[] }>()

beforeAll(async () => {
  hsm = await startSoftHsm()
  for (const { id, type } of KEYS)
    if (!publicPems.has(id)) publicPems.set(id, await hsm.generate(id, type))
  // A second EC key in the same token: the "wrong key" a misconfigured signer would use.
  publicPems.set('03', await hsm.generate('03', 'EC:prime256v1'))
  for (const { id, alg } of KEYS) {
    const issuer = hsmIssuer(id, alg)
    await issuer.ready()
    tokens.set(
      alg,
      await issuer.issue({ sub: `user-${alg}`, scope: 'read write', client_id: 'app-1' }),
    )
    jwks.set(alg, await issuer.publicJwks())
  }
}, 120_000)

afterAll(async () => {
  await hsm?.close()
})

function hsmIssuer(id: string, alg: string, signWith = id): TokenIssuer {
  return createTokenIssuer({
    alg,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: '5m',
    signer: {
      publicKey: publicPems.get(id) as string,
      sign: (input) => hsm.sign(signWith, alg, input),
    },
  })
}

describe('SoftHSM2: the private key never leaves the token', () => {
  it.each(['01', '02'])(
    'key %s was generated in the token, sensitive and never extractable',
    async (id) => {
      const listing = await hsm.describe(id)
      const privateObject = listing.slice(listing.indexOf('Private Key Object'))
      expect(privateObject).toMatch(/Private Key Object/)
      // CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE and CKA_LOCAL (generated on the token).
      expect(privateObject).toMatch(
        /Access:\s+sensitive, always sensitive, never extractable, local/,
      )
      expect(privateObject).not.toMatch(/\bextractable\b(?<!never extractable)/)
    },
  )

  it.each(['01', '02'])('reading key %s out of the token yields no key material', async (id) => {
    const { bytes } = await hsm.readPrivate(id)
    expect(bytes).toBeUndefined()
  })

  it('publicJwks() publishes only the public half read from the token', () => {
    for (const { alg } of KEYS) {
      const [key] = (jwks.get(alg) as { keys: JWK[] }).keys
      expect(key).toMatchObject({ alg, use: 'sig' })
      for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(m)
    }
  })
})

describe('SoftHSM2: a signer with the wrong key issues nothing', () => {
  it('signs with key 03 while publishing key 01: signature_invalid, no token', async () => {
    const issuer = hsmIssuer('01', 'ES256', '03')
    await expect(issuer.ready()).rejects.toBeInstanceOf(SignerError)
    await expect(issuer.issue({ sub: 'u' })).rejects.toMatchObject({ code: 'signature_invalid' })
  })

  it('an RSA key for ES256: refused at start-up (the token key does not fit the alg)', () => {
    expect(() => hsmIssuer('02', 'ES256')).toThrow(/does not fit options\.alg 'ES256'/)
  })
})

describe.each(allDrivers)('SoftHSM2-signed tokens on $name', (driver) => {
  it.each(KEYS.map((k) => k.alg))(
    '%s: accepted with the published JWKS; tampered: refused',
    async (alg) => {
      const app = await driver.start({
        options: {
          algorithms: [alg],
          key: { jwks: jwks.get(alg) as { keys: JWK[] } },
          issuer: ISSUER,
          audience: AUDIENCE,
        },
      })
      try {
        const token = tokens.get(alg) as string
        const ok = await app.request({
          path: '/protected',
          headers: { authorization: `Bearer ${token}` },
        })
        expect(ok.status).toBe(200)
        const body = ok.body as ProtectedBody
        expect(body.payload).toMatchObject({ sub: `user-${alg}`, iss: ISSUER, client_id: 'app-1' })
        expect(body.scopes).toEqual(['read', 'write'])
        // One payload byte changed: the HSM's signature no longer covers it (RFC 7515 §5.2).
        const [h, p, s] = token.split('.') as [string, string, string]
        const forged = `${h}.${p.slice(0, -2)}${p.at(-2) === 'A' ? 'B' : 'A'}${p.at(-1)}.${s}`
        const bad = await app.request({
          path: '/protected',
          headers: { authorization: `Bearer ${forged}` },
        })
        expect(bad.status).toBe(401)
      } finally {
        await app.close()
      }
    },
  )
})
