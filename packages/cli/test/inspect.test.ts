// `tokengate inspect` run as a child process: decoding without trusting, the warnings, exit codes,
// colour (NO_COLOR, FORCE_COLOR, no colour on a pipe) and --json.
import {
  encryptToken,
  keysFor,
  nowSeconds,
  rawToken,
  signToken,
  startLoopbackIssuer,
  type FaultyIssuer,
} from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { wantsColor } from '../src/io.js'
import { tokengate } from './support/cli.js'

let issuer: FaultyIssuer
beforeAll(async () => {
  issuer = await startLoopbackIssuer()
})
afterAll(() => issuer.close())

const ESC = '\u001b['
// inspect never vouches for a token: "valid" (as a verdict) never appears in its output.
const VERDICT = /\bvalid\b/i

describe.concurrent('tokengate inspect', { timeout: 120_000 }, () => {
  it('shows the header, the claims and the times as dates with "expires in", exit 0', async () => {
    const token = await issuer.sign({ scope: 'read' }, { exp: nowSeconds() + 15 * 60 })
    const { code, stdout, stderr } = await tokengate(['inspect', token])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('JWS (signed)')
    expect(stdout).toContain('decoded only: the signature and claims were not checked')
    expect(stdout).toContain('"typ": "at+jwt"')
    expect(stdout).toContain(`"kid": "${issuer.keys.kid}"`)
    expect(stdout).toContain('"scope": "read"')
    expect(stdout).toMatch(/exp\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}expires in 1[45] min/)
    expect(stdout).toMatch(/iat\s+\S+Z {2}issued \d+ s ago/)
    expect(stdout).not.toContain('Warnings')
    expect(stdout).not.toMatch(VERDICT)
    expect(stdout).not.toContain(ESC)
  })

  it('an expired token: "expired ... ago" and a warning, still exit 0 (decoding is not judging)', async () => {
    const token = await issuer.sign({}, { iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 })
    const { code, stdout } = await tokengate(['inspect', token])
    expect(code).toBe(0)
    expect(stdout).toMatch(/exp\s+\S+Z {2}expired 1 h( \d+ s)? ago/)
    expect(stdout).toMatch(/! expired 1 h/)
  })

  it('warns about alg none, no exp, no typ, no kid, crit, embedded jku, and never says valid', async () => {
    const token = rawToken(
      { alg: 'none', crit: ['exp'], jku: 'https://attacker.example/jwks' },
      { sub: 'mallory' },
    )
    const { code, stdout } = await tokengate(['inspect', token, '--json'])
    expect(code).toBe(0)
    const result = JSON.parse(stdout) as { verified: boolean; warnings: Array<{ code: string }> }
    expect(result.verified).toBe(false)
    expect(result.warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['alg_none', 'crit', 'embedded_key', 'no_kid', 'no_typ', 'no_exp']),
    )
    expect(stdout).not.toMatch(VERDICT)
    const human = await tokengate(['inspect', token])
    expect(human.stdout).toContain('alg "none": an unsigned token')
    expect(human.stdout).toContain('no exp: the token never expires')
    expect(human.stdout).not.toMatch(VERDICT)
  })

  it('HS256: says the secret length cannot be known; an odd typ is named', async () => {
    const keys = await keysFor('HS256')
    const token = await signToken(
      { sub: 'a', iss: 'i', aud: 'a' },
      { alg: 'HS256', key: keys, typ: 'JOSE' },
    )
    const { stdout } = await tokengate(['inspect', token, '--json'])
    const warnings = (JSON.parse(stdout) as { warnings: Array<{ code: string; message: string }> })
      .warnings
    expect(warnings.find((w) => w.code === 'hmac')?.message).toContain(
      'whether that secret has the 32 bytes HS256 needs (RFC 7518 §3.2) cannot be known',
    )
    expect(warnings.find((w) => w.code === 'typ')?.message).toContain('typ "JOSE"')
  })

  it('a huge token is flagged against maxTokenLength', async () => {
    const token = await issuer.sign({ blob: 'x'.repeat(9000) })
    const { code, stdout } = await tokengate(['inspect', token, '--json'])
    expect(code).toBe(0)
    const warnings = (JSON.parse(stdout) as { warnings: Array<{ code: string; message: string }> })
      .warnings
    expect(warnings.find((w) => w.code === 'size')?.message).toMatch(
      /^\d+ characters: longer than tokengate's default maxTokenLength \(8192\)/,
    )
  })

  it('an encrypted token (JWE): its protected header, claims reported as encrypted', async () => {
    const enc = await keysFor('RSA-OAEP-256')
    const inner = await issuer.sign()
    const token = await encryptToken(inner, { alg: 'RSA-OAEP-256', key: enc, cty: 'JWT' })
    const { code, stdout } = await tokengate(['inspect', token])
    expect(code).toBe(0)
    expect(stdout).toContain('JWE (encrypted)')
    expect(stdout).toContain('JWE protected header')
    expect(stdout).toContain('"enc": "A256GCM"')
    expect(stdout).toContain('"alg": "RSA-OAEP-256"')
    expect(stdout).toContain('Claims: encrypted')
    const json = JSON.parse((await tokengate(['inspect', token, '--json'])).stdout) as Record<
      string,
      unknown
    >
    expect(json.kind).toBe('jwe')
    expect(json.claims).toBeUndefined()
  })

  it('reads the token from stdin with "-", a "Bearer " prefix ignored', async () => {
    const token = await issuer.sign()
    const { code, stdout } = await tokengate(['inspect', '-', '--json'], {
      input: `Bearer ${token}\n`,
    })
    expect(code).toBe(0)
    expect((JSON.parse(stdout) as { claims: { sub: string } }).claims.sub).toBe('alice')
  })

  it('exit 1 for something that is not a JWS or JWE, with the reason on stderr', async () => {
    const { code, stdout, stderr } = await tokengate(['inspect', 'not-a-token'])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toContain('not a compact JWS or JWE: 1 dot-separated segment')
  })

  it('exit 2 for a usage error: no token, an unknown option, an unknown command', async () => {
    const [none, option, command] = await Promise.all([
      tokengate(['inspect']),
      tokengate(['inspect', 'a.b.c', '--frobnicate']),
      tokengate(['inspekt', 'a.b.c']),
    ])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('inspect takes one token')
    expect(none.stderr).toContain('Usage: tokengate inspect')
    expect(option.code).toBe(2)
    expect(option.stderr).toContain("Unknown option '--frobnicate'")
    expect(command.code).toBe(2)
    expect(command.stderr).toContain('unknown command "inspekt"')
  })

  it('--help and --version exit 0; no arguments prints the help and exits 2', async () => {
    const [help, commandHelp, version, bare] = await Promise.all([
      tokengate(['--help']),
      tokengate(['doctor', '--help']),
      tokengate(['--version']),
      tokengate([]),
    ])
    expect(help.code).toBe(0)
    for (const name of ['inspect', 'explain', 'doctor', 'keys generate', 'jwks'])
      expect(help.stdout).toContain(`  ${name}  `)
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 refused or a failed check, 2 usage error.')
    expect(commandHelp.code).toBe(0)
    expect(commandHelp.stdout).toContain('Usage: tokengate doctor')
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    expect(bare.code).toBe(2)
    expect(bare.stdout).toContain('Usage: tokengate <command>')
  })

  it('colour: none on a pipe or with NO_COLOR or --no-color; FORCE_COLOR=1 turns it on, FORCE_COLOR=0 off', async () => {
    const token = await issuer.sign({}, { exp: false })
    const [pipe, forced, forcedOff, noColorFlag, forcedJson] = await Promise.all([
      tokengate(['inspect', token]),
      tokengate(['inspect', token], { env: { FORCE_COLOR: '1' } }),
      tokengate(['inspect', token], { env: { FORCE_COLOR: '0' } }),
      tokengate(['inspect', token, '--no-color'], { env: { FORCE_COLOR: '1' } }),
      tokengate(['inspect', token, '--json'], { env: { FORCE_COLOR: '1' } }),
    ])
    expect(pipe.stdout).not.toContain(ESC)
    expect(forced.stdout).toContain(`${ESC}1m`) // bold titles
    expect(forced.stdout).toContain(`${ESC}33m!`) // yellow warning marks
    expect(forcedOff.stdout).not.toContain(ESC)
    expect(noColorFlag.stdout).not.toContain(ESC)
    // --json is for scripts: never coloured, always parseable.
    expect(forcedJson.stdout).not.toContain(ESC)
    expect(() => JSON.parse(forcedJson.stdout)).not.toThrow()
  })
})

describe('the colour rule (a terminal cannot be given to a child process here)', () => {
  it.each([
    ['a terminal', undefined, {}, true, true],
    ['a pipe', undefined, {}, false, false],
    ['NO_COLOR=1 on a terminal', undefined, { NO_COLOR: '1' }, true, false],
    ['NO_COLOR empty is ignored (no-color.org)', undefined, { NO_COLOR: '' }, true, true],
    ['TERM=dumb', undefined, { TERM: 'dumb' }, true, false],
    ['FORCE_COLOR=1 on a pipe', undefined, { FORCE_COLOR: '1' }, false, true],
    [
      'FORCE_COLOR over NO_COLOR (Node)',
      undefined,
      { FORCE_COLOR: '1', NO_COLOR: '1' },
      false,
      true,
    ],
    ['FORCE_COLOR=0 on a terminal', undefined, { FORCE_COLOR: '0' }, true, false],
    ['--no-color over FORCE_COLOR', false, { FORCE_COLOR: '1' }, true, false],
    ['--color on a pipe', true, {}, false, true],
  ] as const)('%s', (_name, flag, env, terminal, expected) => {
    expect(wantsColor(flag, env, terminal)).toBe(expected)
  })
})
