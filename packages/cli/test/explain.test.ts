// `tokengate explain` run as a child process against a loopback issuer on 127.0.0.1: the real
// pipeline from a config module (ESM, CommonJS, a function), each step, expected against received.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keysFor, nowSeconds, startLoopbackIssuer, type FaultyIssuer } from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tokengate } from './support/cli.js'

let issuer: FaultyIssuer
let dir: string
let esm: string
let cjs: string
let fn: string
beforeAll(async () => {
  issuer = await startLoopbackIssuer()
  dir = mkdtempSync(join(tmpdir(), 'tokengate-explain-'))
  const options = {
    algorithms: ['ES256'],
    key: { discovery: issuer.issuer },
    audience: 'https://api.test',
    typ: 'at+jwt',
  }
  esm = join(dir, 'tokengate.config.mjs')
  writeFileSync(esm, `export default ${JSON.stringify(options)}\n`)
  cjs = join(dir, 'tokengate.config.cjs')
  writeFileSync(cjs, `module.exports = ${JSON.stringify(options)}\n`)
  fn = join(dir, 'async.config.mjs')
  writeFileSync(
    fn,
    `export default async () => ({ ...${JSON.stringify({ ...options, key: { jwksUri: issuer.jwksUri } })}, issuer: process.env.EXPECTED_ISS })\n`,
  )
})
afterAll(() => issuer.close())

interface Explanation {
  outcome: string
  code?: string
  status?: number
  steps: Array<{
    step: string
    status: string
    detail: string
    expected?: unknown
    received?: unknown
  }>
}

describe.concurrent('tokengate explain', { timeout: 120_000 }, () => {
  it('a token the configuration accepts: every step passed, exit 0', async () => {
    const token = await issuer.sign({ scope: 'read write' })
    const { code, stdout, stderr } = await tokengate(['explain', '--config', esm, token])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/passed\s+extract\s+read from the Authorization header \(Bearer\)/)
    expect(stdout).toMatch(
      new RegExp(`passed\\s+verify\\s+ES256 signature checked with kid "${issuer.keys.kid}"`),
    )
    expect(stdout).toMatch(/passed\s+claims/)
    expect(stdout).toMatch(/skipped\s+decrypt/)
    expect(stdout).toContain('accepted  sub "alice"')
    expect(stdout).toContain('scopes [read write]')
  })

  it('a wrong audience: claims FAILED with claim_invalid, expected against received, exit 1', async () => {
    const token = await issuer.sign({ aud: 'https://billing.test' })
    const { code, stdout } = await tokengate(['explain', '--config', esm, token])
    expect(code).toBe(1)
    expect(stdout).toMatch(/passed\s+verify/)
    expect(stdout).toMatch(
      /FAILED\s+claims\s+claim_invalid: claim aud does not include this audience/,
    )
    expect(stdout).toMatch(/no {2}aud {2}expected {2}\["https:\/\/api\.test"\]/)
    expect(stdout).toMatch(/received {2}"https:\/\/billing\.test"/)
    expect(stdout).toMatch(/ok {2}iss {2}"http:\/\/127\.0\.0\.1:\d+"/)
    expect(stdout).toContain('refused  401 claim_invalid')
  })

  it('--json: the same verdict for scripts', async () => {
    const token = await issuer.sign({ aud: 'https://billing.test' })
    const { code, stdout } = await tokengate(['explain', '-c', cjs, token, '--json'])
    expect(code).toBe(1)
    const result = JSON.parse(stdout) as Explanation
    expect(result).toMatchObject({ outcome: 'refused', code: 'claim_invalid', status: 401 })
    expect(result.steps.find((s) => s.step === 'claims')).toMatchObject({
      status: 'failed',
      expected: ['https://api.test'],
      received: 'https://billing.test',
    })
    expect(result.steps.find((s) => s.step === 'verify')?.status).toBe('passed')
    expect(result.steps.find((s) => s.step === 'revocation')?.status).toBe('skipped')
  })

  it('an expired token: token_expired at the claims step, with its date', async () => {
    const token = await issuer.sign({}, { iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 })
    const { code, stdout } = await tokengate(['explain', '--config', cjs, token])
    expect(code).toBe(1)
    expect(stdout).toMatch(/FAILED\s+claims\s+token_expired: the token has expired/)
    expect(stdout).toMatch(/no {2}exp {2}expected {2}after \S+Z \(now\), clockTolerance 5 s/)
    expect(stdout).toMatch(/received {2}\S+Z \(expired 1 h/)
  })

  it('a bad signature (another key, the same kid): signature_invalid at verify, claims not reached', async () => {
    const other = await keysFor('ES256', { label: 'attacker' })
    const token = await issuer.sign({}, { key: other, kid: issuer.keys.kid })
    const { code, stdout } = await tokengate(['explain', '--config', esm, token, '--json'])
    expect(code).toBe(1)
    const result = JSON.parse(stdout) as Explanation
    expect(result.code).toBe('signature_invalid')
    expect(result.steps.find((s) => s.step === 'verify')?.status).toBe('failed')
    expect(result.steps.find((s) => s.step === 'claims')?.status).toBe('not reached')
  })

  it('keys that cannot be fetched: keys_unavailable at verify, with the real cause (HTTP 404)', async () => {
    const broken = await startLoopbackIssuer()
    broken.set({ jwksStatus: 404 })
    try {
      const config = join(dir, 'broken.config.mjs')
      writeFileSync(
        config,
        `export default { algorithms: ['ES256'], key: { jwksUri: '${broken.jwksUri}' } }\n`,
      )
      const token = await broken.sign()
      const [human, json] = await Promise.all([
        tokengate(['explain', '--config', config, token]),
        tokengate(['explain', '--config', config, token, '--json']),
      ])
      expect(human.code).toBe(1)
      expect(human.stdout).toMatch(/FAILED\s+verify\s+keys_unavailable/)
      expect(human.stdout).toContain(
        `key failure: http_status (HTTP 404): unexpected HTTP status 404 [${broken.jwksUri}]`,
      )
      const result = JSON.parse(json.stdout) as Explanation & {
        keyFailure: { reason: string; status: number }
        event: { step: string; code: string; cacheHit: boolean; explain: { verified: boolean } }
      }
      expect(result.keyFailure).toMatchObject({ reason: 'http_status', status: 404 })
      // The core's own decision event, explain mode on.
      expect(result.event).toMatchObject({
        outcome: 'refused',
        step: 'verify',
        code: 'keys_unavailable',
        cacheHit: false,
        explain: { verified: false },
      })
    } finally {
      await broken.close()
    }
  })

  it('a config function (async) is called; the issuer it expects is shown against the token', async () => {
    const token = await issuer.sign()
    const { code, stdout } = await tokengate(['explain', '--config', fn, token], {
      env: { EXPECTED_ISS: `${issuer.issuer}/` },
    })
    expect(code).toBe(1)
    expect(stdout).toMatch(/FAILED\s+claims\s+claim_invalid: claim iss is not an accepted issuer/)
    expect(stdout).toContain(`expected  ["${issuer.issuer}/"]`)
    expect(stdout).toContain(`received  "${issuer.issuer}"`)
  })

  it('a configuration the core refuses at start-up: its message, exit 1', async () => {
    const bad = join(dir, 'bad.config.mjs')
    writeFileSync(bad, `export default { algorithms: ['none'], key: 'x' }\n`)
    const { code, stderr } = await tokengate(['explain', '--config', bad, 'a.b.c'])
    expect(code).toBe(1)
    expect(stderr).toMatch(/tokengate explain: tokengate: options\.algorithms/)
  })

  it('usage errors exit 2: no --config, a missing config file, no token', async () => {
    const [noConfig, missing, noToken] = await Promise.all([
      tokengate(['explain', 'a.b.c']),
      tokengate(['explain', '--config', join(dir, 'nope.mjs'), 'a.b.c']),
      tokengate(['explain', '--config', esm]),
    ])
    expect(noConfig.code).toBe(2)
    expect(noConfig.stderr).toContain('explain needs --config <file>')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('no such file')
    expect(noToken.code).toBe(2)
  })
})
