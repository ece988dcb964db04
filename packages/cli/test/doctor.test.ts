// `tokengate doctor` run as a child process against loopback issuers on 127.0.0.1, one per fault:
// a good issuer, a 404 JWKS, a duplicate kid, a key of the wrong type, a skewed Date, an issuer
// that names itself with a trailing slash, RFC 8414 metadata only, an unreachable issuer, http.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keysFor, startLoopbackIssuer, type FaultyIssuer } from '@tokengate/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { tokengate } from './support/cli.js'

interface Report {
  ok: boolean
  targets: Array<{
    issuer?: string
    checks: Array<{ check: string; status: string; detail: string; fix?: string }>
  }>
}

const started: FaultyIssuer[] = []
async function issuerWith(change: Parameters<FaultyIssuer['set']>[0] = {}) {
  const issuer = await startLoopbackIssuer()
  issuer.set(change)
  started.push(issuer)
  return issuer
}
afterAll(() => Promise.all(started.map((i) => i.close())))

async function doctor(args: string[]) {
  const result = await tokengate(['doctor', ...args, '--json'])
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr }
}
const find = (report: Report, check: string) =>
  report.targets[0]!.checks.filter((c) => c.check === check)

describe.concurrent('tokengate doctor', { timeout: 120_000 }, () => {
  it('a good issuer: every check ok, tokengate fetched the keys itself, exit 0', async () => {
    const issuer = await issuerWith()
    const human = await tokengate(['doctor', '--issuer', issuer.issuer, '--alg', 'ES256'])
    expect(human.stderr).toBe('')
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(`tokengate doctor  ${issuer.issuer}`)
    expect(human.stdout).toMatch(/ok\s+url\s+.*http on a loopback host/)
    expect(human.stdout).toMatch(/ok\s+jwks\s+.*200, application\/jwk-set\+json, 1 key/)
    expect(human.stdout).toMatch(/ok\s+cache\s+Cache-Control: public, max-age=600/)
    expect(human.stdout).toMatch(/ok\s+kid\s+every key has a kid, all distinct/)
    expect(human.stdout).toMatch(/ok\s+keys\s+kid "[^"]+" \(EC P-256, alg ES256\): verifies ES256/)
    expect(human.stdout).toMatch(/ok\s+clock/)
    expect(human.stdout).toMatch(/ok\s+pipeline\s+tokengate fetched the keys itself/)
    expect(human.stdout).toMatch(/\d+ ok, 0 warnings, 0 failed/)
    const { report } = await doctor(['--issuer', issuer.issuer])
    expect(report.ok).toBe(true)
    expect(report.targets[0]!.checks.every((c) => c.status === 'ok')).toBe(true)
  })

  it('a JWKS answering 404: jwks fails with the status and a fix, exit 1', async () => {
    const issuer = await issuerWith({ jwksStatus: 404 })
    const { code, report } = await doctor(['--issuer', issuer.issuer])
    expect(code).toBe(1)
    expect(find(report, 'jwks')[0]).toMatchObject({
      status: 'fail',
      detail: `${issuer.jwksUri}: HTTP 404; tokengate answers every token with 503 keys_unavailable`,
      fix: 'check jwks_uri: nothing is served there',
    })
  })

  it('a duplicate kid fails; a missing Cache-Control warns', async () => {
    const issuer = await startLoopbackIssuer()
    started.push(issuer)
    const second = await keysFor('ES256', { label: 'second', kid: issuer.keys.kid })
    issuer.set({ jwks: { keys: [issuer.keys.publicJwk, second.publicJwk] }, cacheControl: null })
    const { code, report } = await doctor(['--issuer', issuer.issuer])
    expect(code).toBe(1)
    expect(find(report, 'kid')[0]).toMatchObject({ status: 'fail' })
    expect(find(report, 'kid')[0]!.detail).toContain(
      `kid "${issuer.keys.kid}" names more than one key`,
    )
    expect(find(report, 'cache')[0]).toMatchObject({ status: 'warn' })
    expect(find(report, 'cache')[0]!.fix).toContain('Cache-Control: public, max-age=')
  })

  it('a key of the wrong type for the configured algorithms: no key verifies RS256', async () => {
    const issuer = await issuerWith()
    const { code, report } = await doctor(['--issuer', issuer.issuer, '--alg', 'RS256'])
    expect(code).toBe(1)
    expect(find(report, 'keys')[0]).toMatchObject({ status: 'warn' })
    expect(find(report, 'keys')[0]!.detail).toMatch(/\(EC P-256, alg ES256\): fits none of RS256/)
    expect(find(report, 'algorithms')[0]).toMatchObject({
      status: 'fail',
      detail: 'no key in the set verifies RS256: every RS256 token is refused (key_not_found)',
    })
    expect(find(report, 'algorithms')[0]!.fix).toContain('ES256')
  })

  it('a server clock an hour ahead fails, 30 s ahead warns (the tolerance is 5 s)', async () => {
    const [far, near] = await Promise.all([
      issuerWith({ dateOffset: 3600 }),
      issuerWith({ dateOffset: 30 }),
    ])
    const [a, b] = await Promise.all([
      doctor(['--issuer', far.issuer]),
      doctor(['--issuer', near.issuer]),
    ])
    expect(a.code).toBe(1)
    expect(find(a.report, 'clock')[0]).toMatchObject({ status: 'fail' })
    expect(find(a.report, 'clock')[0]!.detail).toMatch(
      /the server's clock is 3\d{3} s ahead of this machine's, beyond clockTolerance \(5 s\)/,
    )
    expect(b.code).toBe(0)
    expect(find(b.report, 'clock')[0]).toMatchObject({ status: 'warn' })
    // A wider tolerance accepts the smaller skew.
    const tolerant = await doctor(['--issuer', near.issuer, '--clock-tolerance', '1m'])
    expect(find(tolerant.report, 'clock')[0]).toMatchObject({ status: 'ok' })
  })

  it('a discovery document naming the issuer with a trailing slash: the classic mismatch, named', async () => {
    const issuer = await startLoopbackIssuer()
    started.push(issuer)
    issuer.set({ documentIssuer: `${issuer.issuer}/` })
    const { code, report } = await doctor(['--issuer', issuer.issuer])
    expect(code).toBe(1)
    const check = find(report, 'issuer')[0]!
    expect(check.status).toBe('fail')
    expect(check.detail).toContain('(they differ by a trailing slash)')
    expect(check.fix).toBe(
      `use exactly "${issuer.issuer}/" as the issuer (it must equal the tokens' iss)`,
    )
  })

  it('RFC 8414 metadata only (no OpenID document): found at oauth-authorization-server', async () => {
    const issuer = await issuerWith({ discovery: 'oauth' })
    const { code, report } = await doctor(['--issuer', issuer.issuer])
    expect(code).toBe(0)
    const discovery = find(report, 'discovery')
    expect(discovery.map((c) => c.status)).toEqual(['ok', 'ok'])
    expect(discovery[1]!.detail).toContain('/.well-known/oauth-authorization-server: 200')
    expect(find(report, 'pipeline')[0]).toMatchObject({ status: 'ok' })
  })

  it('an unreachable issuer: connection refused, exit 1', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number }
        server.close(() => resolve(port))
      })
    })
    const { code, report } = await doctor(['--issuer', `http://127.0.0.1:${port}`])
    expect(code).toBe(1)
    expect(find(report, 'discovery')[0]).toMatchObject({ status: 'fail' })
    expect(find(report, 'discovery')[0]!.detail).toContain('connection refused')
  })

  it('http on a host that is not loopback: refused by the core before any request', async () => {
    const { code, report } = await doctor(['--issuer', 'http://issuer.example'])
    expect(code).toBe(1)
    expect(report.targets[0]!.checks).toHaveLength(1)
    expect(find(report, 'url')[0]!.detail).toContain('must use https')
  })

  it('--config: the issuers, algorithms and tolerance of the app', async () => {
    const issuer = await issuerWith({ dateOffset: 30 })
    const dir = mkdtempSync(join(tmpdir(), 'tokengate-doctor-'))
    const config = join(dir, 'tokengate.config.mjs')
    writeFileSync(
      config,
      `export default { algorithms: ['ES256'], key: { discovery: '${issuer.issuer}' }, clockTolerance: '1m' }\n`,
    )
    const { code, report } = await doctor(['--config', config])
    expect(code).toBe(0)
    expect(report.targets[0]!.issuer).toBe(issuer.issuer)
    expect(find(report, 'clock')[0]).toMatchObject({ status: 'ok' })
  })

  it('usage errors exit 2: no target, two targets, a symmetric --alg', async () => {
    const [none, two, hs] = await Promise.all([
      tokengate(['doctor']),
      tokengate(['doctor', '--issuer', 'https://a.example', '--jwks-uri', 'https://a.example/j']),
      tokengate(['doctor', '--issuer', 'https://a.example', '--alg', 'HS256']),
    ])
    expect([none.code, two.code, hs.code]).toEqual([2, 2, 2])
    expect(hs.stderr).toContain('HMAC secrets are never published')
  })
})
