// Micro benchmark, in-process: the core's cost per fresh token (cache off) against the raw
// node:crypto signature check of the same token (the floor), with jose's jwtVerify for reference.
import {
  createDecipheriv,
  createHmac,
  createVerify,
  createPrivateKey,
  constants,
  privateDecrypt,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ALGS, knobs, type Alg } from './config.js'
import {
  generateMaterial,
  makeTokens,
  publicKeyObject,
  readMaterial,
  readTokens,
  sigAlgOf,
  writeMaterial,
  type Material,
} from './material.js'
import { fastJwtVerifier, joseVerifier, tokengateOptions } from './servers/common.js'

/** Microseconds per operation (best round), one figure per measured case (undefined: could not run). */
export interface MicroRow {
  alg: Alg
  floor: number
  core?: number
  corePortable?: number
  coreCached?: number
  /** The core with an onDecision listener (issue 16): the cost of building and delivering events. */
  coreObserved?: number
  /** A cache hit with an onDecision listener. */
  coreCachedObserved?: number
  jose: number
  /**
   * fast-jwt's synchronous verifier (the fastest verifier library on npm; its cache off): what a
   * whole verification (parse, signature, iss/aud/exp) costs elsewhere. Undefined for the JWE.
   */
  fastJwt?: number
  /** The same cases, median round instead of best. */
  median?: Record<string, number>
  error?: string
}

export type Op = (token: string) => unknown

const b64 = (s: string): Buffer => Buffer.from(s, 'base64url')

/** The floor: nothing but node:crypto on the token's own bytes, keys imported once. */
export function floorOf(material: Material, alg: Alg): Op {
  const sigAlg = sigAlgOf(alg)
  let check: (input: Buffer, sig: Buffer) => boolean
  if (sigAlg === 'HS256') {
    const secret = Buffer.from(material.hs256, 'utf8')
    check = (input, sig) => {
      const mac = createHmac('sha256', secret).update(input).digest()
      return mac.length === sig.length && timingSafeEqual(mac, sig)
    }
  } else {
    const key: KeyObject = publicKeyObject(material, alg)
    const keyInput = sigAlg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
    // The cheapest node:crypto call for each: a Verify object for RSA and ECDSA (the one-shot
    // verify() sets up a crypto job per call, 0.5 to 1 µs more; the core uses createVerify since
    // issue 17), the one-shot verify() for Ed25519, which has no Verify object.
    check =
      sigAlg === 'EdDSA'
        ? (input, sig) => verify(null, input, key, sig)
        : (input, sig) => createVerify('sha256').update(input).verify(keyInput, sig)
  }
  const jws: Op = (token) => {
    const dot = token.lastIndexOf('.')
    if (!check(Buffer.from(token.slice(0, dot)), b64(token.slice(dot + 1))))
      throw new Error('floor: bad signature')
  }
  if (alg !== 'JWE') return jws
  // Nested JWE floor: RSA-OAEP-256 unwraps the CEK, AES-256-GCM opens the payload, then the JWS check.
  const encKey = createPrivateKey({ key: material.enc.private as never, format: 'jwk' })
  return (token) => {
    const [header, ek, iv, ct, tag] = token.split('.') as [string, string, string, string, string]
    const cek = privateDecrypt(
      { key: encKey, oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING },
      b64(ek),
    )
    const decipher = createDecipheriv('aes-256-gcm', cek, b64(iv))
    decipher.setAAD(Buffer.from(header))
    decipher.setAuthTag(b64(tag))
    const plain = Buffer.concat([decipher.update(b64(ct)), decipher.final()]).toString()
    return jws(plain)
  }
}

/**
 * CPU µs per call of each case, per round: `rounds` rounds of one batch of `perBatch` calls per case,
 * the order alternating forward and backward so no case always runs right after the same other one
 * (a warm-up batch of each first). Each case walks its inputs in a cycle. For paired statistics:
 * round i of every case was measured milliseconds apart (core-ab-paired.ts, core-stages.ts).
 */
export async function roundsOf(
  cases: Record<string, { op: Op; inputs: string[] }>,
  perBatch: number,
  rounds: number,
): Promise<Record<string, number[]>> {
  const cursor: Record<string, number> = {}
  const batch = async (name: string): Promise<number> => {
    const { op, inputs } = cases[name]!
    let i = cursor[name] ?? 0
    const start = process.cpuUsage()
    for (let k = 0; k < perBatch; k++) {
      const r = op(inputs[i]!)
      if (r instanceof Promise) await r
      i = i + 1 === inputs.length ? 0 : i + 1
    }
    cursor[name] = i
    const used = process.cpuUsage(start)
    return (used.user + used.system) / perBatch
  }
  const names = Object.keys(cases)
  for (const name of names) await batch(name) // warm-up
  const raw: Record<string, number[]> = {}
  for (let r = 0; r < rounds; r++)
    for (const name of r % 2 ? [...names].reverse() : names)
      (raw[name] ??= []).push(await batch(name))
  return raw
}

/** A copy of the core from a checkout's `packages/core/src` (bench:ab's two sides). */
export async function loadCore(root: string): Promise<CoreModule> {
  return (await import(pathToFileURL(join(root, 'packages/core/src/index.ts')).href)) as CoreModule
}

/**
 * Microseconds per call for each case, measured interleaved: every round runs one batch of each case
 * in turn, so a noisy neighbour slows all cases alike. The best round counts (other load only ever
 * adds time); the median is kept too.
 */
export async function measureAll(
  cases: Record<string, { op: Op; tokens: string[] }>,
  iterations: number,
): Promise<{ best: Record<string, number>; median: Record<string, number> }> {
  const rounds = 15
  const perRound = Math.max(100, Math.floor(iterations / rounds))
  // CPU time (user + system) of this process rather than wall time: on a shared machine a batch
  // that loses the core to another job is not charged for the time it waited.
  const samples = await roundsOf(
    Object.fromEntries(
      Object.entries(cases).map(([name, { op, tokens }]) => [name, { op, inputs: tokens }]),
    ),
    perRound,
    rounds,
  )
  const best: Record<string, number> = {}
  const median: Record<string, number> = {}
  for (const [name, xs] of Object.entries(samples)) {
    xs.sort((a, b) => a - b)
    best[name] = xs[0]!
    median[name] = xs[xs.length >> 1]!
  }
  return { best, median }
}

export interface CoreModule {
  createAuthenticator(options: unknown): { authenticate(request: unknown): Promise<unknown> }
}

// A listener that keeps the last event (so building it cannot be optimised away) and does nothing.
const sink: { last: unknown } = { last: undefined }
const keepLast = (event: unknown): void => {
  sink.last = event
}

export function coreOp(
  core: CoreModule,
  material: Material,
  alg: Alg,
  cache: boolean,
  observed = false,
): Op {
  const options = tokengateOptions(material, alg, cache)
  const authenticator = core.createAuthenticator(
    observed ? { ...(options as object), onDecision: keepLast } : options,
  )
  return (authorization) =>
    authenticator.authenticate({ method: 'GET', url: '/', headers: { authorization } })
}

/**
 * `Bearer <token>` for each token, made before measuring and flattened (a regex over it makes V8
 * flatten the concatenation in place): an HTTP parser hands a middleware one flat string, while a
 * string concatenated per call would bill the first scan of it for copying the two halves.
 */
export function bearerHeaders(tokens: readonly string[]): string[] {
  return tokens.map((token) => {
    const header = `Bearer ${token}`
    if (!/^Bearer [^ ]+$/.test(header)) throw new Error('micro: a token with a space')
    return header
  })
}

export async function runMicro(
  dir: string,
  algs: readonly Alg[],
  iterations: number,
): Promise<MicroRow[]> {
  const material = readMaterial(dir)
  // The entry Node resolves for '@tokengate/core' (the `node` condition picks the node:crypto
  // `#signature-check`), and the portable path: the same pipeline with jose's signature check, as
  // Workers, Deno and browsers load it (Node itself cannot drop its `node` condition).
  const load = async (
    specifier: string,
    pick: (mod: Record<string, unknown>) => unknown = (mod) => mod.createAuthenticator,
  ): Promise<CoreModule | string> => {
    try {
      const create = pick((await import(specifier)) as Record<string, unknown>)
      return typeof create === 'function'
        ? ({ createAuthenticator: create } as CoreModule)
        : 'createAuthenticator not exported yet'
    } catch (err) {
      return `cannot load ${specifier}: ${(err as Error).message.split('\n')[0]}`
    }
  }
  const core = await load('@tokengate/core')
  const source = (file: string) =>
    pathToFileURL(join(import.meta.dirname, '../../packages/core/src', file)).href
  const { joseSignatureCheck } = (await import(source('token/signature-check.ts'))) as {
    joseSignatureCheck: unknown
  }
  const portable = await load(
    source('authenticate.ts'),
    (mod) =>
      typeof mod.createAuthenticatorWith === 'function' &&
      ((options: unknown) =>
        (mod.createAuthenticatorWith as (o: unknown, c: unknown) => unknown)(
          options,
          joseSignatureCheck,
        )),
  )
  const rows: MicroRow[] = []
  for (const alg of algs) {
    const tokens = readTokens(dir, alg)
    const headers = bearerHeaders(tokens)
    const joseVerify = await joseVerifier(material, alg)
    const cases: Record<string, { op: Op; tokens: string[] }> = {
      floor: { op: floorOf(material, alg), tokens },
      jose: { op: (h) => joseVerify(h), tokens: headers },
    }
    if (alg !== 'JWE') {
      const fastVerify = await fastJwtVerifier(material, alg)
      cases.fastJwt = { op: (h) => fastVerify(h), tokens: headers }
    }
    const row: MicroRow = { alg, floor: 0, jose: 0 }
    try {
      if (typeof core !== 'string') {
        cases.core = { op: coreOp(core, material, alg, false), tokens: headers }
        cases.coreCached = {
          op: coreOp(core, material, alg, true),
          tokens: headers.slice(0, 1),
        }
        cases.coreObserved = { op: coreOp(core, material, alg, false, true), tokens: headers }
        cases.coreCachedObserved = {
          op: coreOp(core, material, alg, true, true),
          tokens: headers.slice(0, 1),
        }
      } else row.error = core
      if (typeof portable !== 'string')
        cases.corePortable = { op: coreOp(portable, material, alg, false), tokens: headers }
      const { best, median } = await measureAll(cases, iterations)
      Object.assign(row, best, { median })
    } catch (err) {
      row.error = `core failed: ${(err as Error).message.split('\n')[0]}`
    }
    rows.push(row)
    process.stderr.write(`  micro ${alg}: ${JSON.stringify(row)}\n`)
  }
  return rows
}

// Standalone (`pnpm bench:micro`) or as the child of run.ts (BENCH_DIR set, result on stdout).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const k = knobs()
  let dir = process.env.BENCH_DIR
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'tokengate-micro-'))
    writeMaterial(dir, generateMaterial())
    const { writeFileSync } = await import('node:fs')
    const { tokensPath } = await import('./material.js')
    const material = readMaterial(dir)
    for (const alg of k.algs)
      writeFileSync(tokensPath(dir, alg), JSON.stringify(await makeTokens(material, alg, 5000)))
  }
  const rows = await runMicro(
    dir,
    k.algs.filter((a) => ALGS.includes(a)),
    k.microIterations,
  )
  process.stdout.write(`RESULT ${JSON.stringify(rows)}\n`)
}
