// `tokengate keys generate` and `tokengate jwks` as child processes: the files written, their
// modes, the public set stripped of private members, and a generated key that really signs.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuthenticator } from '@tokengate/core'
import { signToken } from '@tokengate/testkit'
import { importJWK, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { tokengate } from './support/cli.js'

const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

describe.concurrent('tokengate keys generate / jwks', { timeout: 120_000 }, () => {
  it('ES256 into --out: private JWK and PEM (0600), public JWK and JWKS; the key signs, the set verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokengate-keys-'))
    const { code, stdout } = await tokengate([
      'keys',
      'generate',
      '--alg',
      'ES256',
      '--kid',
      'dev-1',
      '--out',
      dir,
    ])
    expect(code).toBe(0)
    expect(stdout).toContain(`generated ES256 key "dev-1" in ${dir}`)
    for (const name of ['dev-1.private.jwk.json', 'dev-1.private.pem'])
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(dir, 'dev-1.private.pem'), 'utf8')).toMatch(
      /^-----BEGIN PRIVATE KEY-----/,
    )
    const privateJwk = JSON.parse(readFileSync(join(dir, 'dev-1.private.jwk.json'), 'utf8')) as JWK
    const jwks = JSON.parse(readFileSync(join(dir, 'dev-1.jwks.json'), 'utf8')) as { keys: JWK[] }
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      kid: 'dev-1',
      alg: 'ES256',
      use: 'sig',
    })
    for (const member of PRIVATE) expect(jwks.keys[0]).not.toHaveProperty(member)

    // What the files are for: a token signed with the private key passes an authenticator on the set.
    const token = await signToken(
      { sub: 'dev' },
      { alg: 'ES256', key: await importJWK(privateJwk, 'ES256'), kid: 'dev-1' },
    )
    const ctx = await createAuthenticator({ algorithms: ['ES256'], key: { jwks } }).authenticate({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ctx?.payload.sub).toBe('dev')

    // Never overwritten silently.
    const again = await tokengate([
      'keys',
      'generate',
      '--alg',
      'ES256',
      '--kid',
      'dev-1',
      '--out',
      dir,
    ])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('pass --force to overwrite')
  })

  it('jwks: a public set from a PEM and a private JWK, private members stripped, kid by thumbprint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokengate-jwks-'))
    await tokengate(['keys', 'generate', '--alg', 'EdDSA', '--kid', 'ed', '--out', dir])
    const rsa = await tokengate(['keys', 'generate', '--alg', 'PS256'])
    const rsaDoc = JSON.parse(rsa.stdout) as { kid: string; privatePem: string }
    writeFileSync(join(dir, 'rsa.pem'), rsaDoc.privatePem)
    const [noAlg, ok] = await Promise.all([
      tokengate(['jwks', join(dir, 'rsa.pem')]),
      tokengate(['jwks', join(dir, 'ed.private.jwk.json'), join(dir, 'rsa.pem'), '--alg', 'PS256']),
    ])
    expect(noAlg.code).toBe(1)
    expect(noAlg.stderr).toContain(
      'an RSA key without alg can serve several algorithms; pass --alg',
    )
    expect(ok.code).toBe(0)
    const set = JSON.parse(ok.stdout) as { keys: JWK[] }
    expect(set.keys.map((k) => [k.kty, k.alg, k.kid])).toEqual([
      ['OKP', 'EdDSA', 'ed'],
      ['RSA', 'PS256', rsaDoc.kid], // the generated kid is the RFC 7638 thumbprint, as jwks computes
    ])
    for (const key of set.keys) for (const member of PRIVATE) expect(key).not.toHaveProperty(member)
  })

  it('HS256: one secret JWK, no public half; jwks refuses to publish it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokengate-secret-'))
    const { code } = await tokengate([
      'keys',
      'generate',
      '--alg',
      'HS256',
      '--kid',
      's',
      '--out',
      dir,
    ])
    expect(code).toBe(0)
    expect(existsSync(join(dir, 's.secret.jwk.json'))).toBe(true)
    expect(existsSync(join(dir, 's.public.jwk.json'))).toBe(false)
    const refused = await tokengate(['jwks', join(dir, 's.secret.jwk.json')])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('must never be published')
  })

  it('usage errors exit 2: no --alg, an unknown alg, no subcommand, no key file', async () => {
    const results = await Promise.all([
      tokengate(['keys', 'generate']),
      tokengate(['keys', 'generate', '--alg', 'XS999']),
      tokengate(['keys']),
      tokengate(['jwks']),
    ])
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2])
    expect(results[1]!.stderr).toContain('--alg XS999')
  })
})
