// A real SoftHSM2 token for the signer tests, driven through OpenSC's pkcs11-tool (PKCS#11 v2.40).
//
// Why pkcs11-tool and not an npm binding: pkcs11js (the binding graphene-pk11 also builds on) is a
// native addon; node-gyp fetches the Node headers from nodejs.org when it builds it, so it does not
// install here without a download (it builds only with npm_config_nodedir pointing at local
// headers). pkcs11-tool comes with Debian's opensc package (.ci/ensure-softhsm) and speaks PKCS#11
// to the same libsofthsm2.so module; each signature is one C_Sign through it.
import { execFile } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

const MODULES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
]

/** The PKCS#11 mechanism and pre-hash of each JWS alg (RFC 7518 §3.3-§3.5) on SoftHSM2. */
const MECHANISMS: Record<string, { args: string[]; prehash?: string }> = {
  // SoftHSM2 has no CKM_ECDSA_SHA256: the SHA-256 digest is signed with CKM_ECDSA, whose output
  // is r || s (PKCS#11 v2.40 §2.3.1), already the JOSE form of RFC 7518 §3.4.
  ES256: { args: ['-m', 'ECDSA'], prehash: 'sha256' },
  RS256: { args: ['-m', 'SHA256-RSA-PKCS'] },
  // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
  PS256: {
    args: ['-m', 'SHA256-RSA-PKCS-PSS', '--mgf', 'MGF1-SHA256', '--salt-len', '32'],
  },
}

/** One initialised token in its own SOFTHSM2_CONF directory. */
export interface SoftHsm {
  dir: string
  module: string
  /** Generates a key pair inside the token (CKA_TOKEN, never extractable); returns its SPKI PEM. */
  generate(id: string, keyType: 'EC:prime256v1' | 'rsa:2048'): Promise<string>
  /** `pkcs11-tool --list-objects` of one key id, logged in. */
  describe(id: string): Promise<string>
  /** Tries to read the private key's value (CKA_VALUE) out of the token: the file it wrote, if any. */
  readPrivate(id: string): Promise<{ output: string; bytes: Uint8Array | undefined }>
  /** Signs with key `id` inside the token: the JWS signature of `alg` over `input`. */
  sign(id: string, alg: string, input: Uint8Array): Promise<Uint8Array>
  close(): Promise<void>
}

export function softHsmModule(): string {
  const found = MODULES.find((m) => existsSync(m))
  if (!found) throw new Error('libsofthsm2.so not found: run .ci/ensure-softhsm')
  return found
}

export async function startSoftHsm(): Promise<SoftHsm> {
  const module = softHsmModule()
  const dir = await mkdtemp(join(tmpdir(), 'tokengate-softhsm-'))
  const conf = join(dir, 'softhsm2.conf')
  await writeFile(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  )
  await run('mkdir', ['-p', join(dir, 'tokens')])
  const env = { ...process.env, SOFTHSM2_CONF: conf }
  const label = 'tokengate-test'
  const pin = '1234'
  await run(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--so-pin', '5678', '--pin', pin],
    { env },
  )
  const tool = (args: string[]) =>
    run('pkcs11-tool', ['--module', module, '--token-label', label, ...args], {
      env,
      encoding: 'buffer',
      maxBuffer: 1 << 20,
    }).then(({ stdout, stderr }) => ({
      stdout: stdout.toString('utf8'),
      stderr: stderr.toString('utf8'),
    }))
  const login = ['--login', '--pin', pin]
  const file = () => join(dir, randomUUID())

  return {
    dir,
    module,
    async generate(id, keyType) {
      await tool([
        ...login,
        '--keypairgen',
        '--key-type',
        keyType,
        '--id',
        id,
        '--label',
        `key-${id}`,
      ])
      const out = file()
      await tool(['--read-object', '--type', 'pubkey', '--id', id, '-o', out])
      const der = await readFile(out)
      const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n')
      return `-----BEGIN PUBLIC KEY-----\n${b64.trimEnd()}\n-----END PUBLIC KEY-----\n`
    },
    async describe(id) {
      const { stdout } = await tool([...login, '--list-objects', '--id', id])
      return stdout
    },
    async readPrivate(id) {
      const out = file()
      const { stdout, stderr } = await tool([
        ...login,
        '--read-object',
        '--type',
        'privkey',
        '--id',
        id,
        '-o',
        out,
      ]).catch((e: { stdout?: Buffer; stderr?: Buffer }) => ({
        stdout: String(e.stdout ?? ''),
        stderr: String(e.stderr ?? ''),
      }))
      const bytes = existsSync(out) ? new Uint8Array(await readFile(out)) : undefined
      return { output: stdout + stderr, bytes }
    },
    async sign(id, alg, input) {
      const mechanism = MECHANISMS[alg]
      if (!mechanism) throw new Error(`no PKCS#11 mechanism mapped for ${alg}`)
      const data = mechanism.prehash ? createHash(mechanism.prehash).update(input).digest() : input
      const inFile = file()
      const outFile = file()
      await writeFile(inFile, data)
      try {
        await tool([...login, '--sign', '--id', id, ...mechanism.args, '-i', inFile, '-o', outFile])
        return new Uint8Array(await readFile(outFile))
      } finally {
        await rm(inFile, { force: true })
        await rm(outFile, { force: true })
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  }
}
