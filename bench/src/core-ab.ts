// Interleaved A/B of two copies of the core in one process: `BENCH_AB_BASE=<dir holding
// packages/core/src>` (e.g. `git archive <commit> packages/core | tar -x -C <dir>`, plus a symlink
// of packages/core/node_modules) against this worktree's sources, beside the node:crypto floor.
// CPU time per authenticate() (cache off, fresh tokens), best and median of interleaved rounds.
// `BENCH_ALGS=HS256,RS256 BENCH_MICRO_ITERATIONS=30000 node --conditions=@tokengate/source --import tsx src/core-ab.ts`
import { createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ALGS, knobs, type Alg } from './config.js'
import {
  generateMaterial,
  makeTokens,
  publicKeyObject,
  sigAlgOf,
  type Material,
} from './material.js'
import { tokengateOptions } from './servers/common.js'

type Op = (token: string) => unknown

interface Core {
  createAuthenticator(options: unknown): { authenticate(request: unknown): Promise<unknown> }
}

/** The floor of micro.ts for JWS algorithms: the signature check alone (a JWE's is micro.ts's). */
function floorOf(material: Material, alg: Alg): Op | undefined {
  if (alg === 'JWE') return undefined
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
    const digest = sigAlg === 'EdDSA' ? null : 'sha256'
    const keyInput = sigAlg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
    check = (input, sig) => verify(digest, input, keyInput, sig)
  }
  return (token) => {
    const dot = token.lastIndexOf('.')
    if (!check(Buffer.from(token.slice(0, dot)), Buffer.from(token.slice(dot + 1), 'base64url')))
      throw new Error('floor: bad signature')
  }
}

async function measure(cases: Record<string, Op>, tokens: string[], iterations: number) {
  const rounds = 15
  const perRound = Math.max(100, Math.floor(iterations / rounds))
  const cursor: Record<string, number> = {}
  const batch = async (name: string): Promise<number> => {
    const op = cases[name]!
    let i = cursor[name] ?? 0
    const start = process.cpuUsage()
    for (let k = 0; k < perRound; k++) {
      const r = op(tokens[i]!)
      if (r instanceof Promise) await r
      i = i + 1 === tokens.length ? 0 : i + 1
    }
    cursor[name] = i
    const used = process.cpuUsage(start)
    return (used.user + used.system) / perRound
  }
  const samples: Record<string, number[]> = {}
  for (const name of Object.keys(cases)) await batch(name)
  for (let r = 0; r < rounds; r++)
    for (const name of Object.keys(cases)) (samples[name] ??= []).push(await batch(name))
  const out: Record<string, string> = {}
  for (const [name, xs] of Object.entries(samples)) {
    xs.sort((a, b) => a - b)
    out[name] = `${xs[0]!.toFixed(2)} / ${xs[xs.length >> 1]!.toFixed(2)}`
  }
  return out
}

const base = process.env.BENCH_AB_BASE
if (!base) throw new Error('set BENCH_AB_BASE to a directory holding packages/core/src')
const load = async (root: string): Promise<Core> =>
  (await import(pathToFileURL(join(root, 'packages/core/src/index.ts')).href)) as Core
const A = await load(base)
const B = await load(join(import.meta.dirname, '../..'))
const k = knobs()
const material = generateMaterial()
for (const alg of k.algs.filter((a) => ALGS.includes(a))) {
  const tokens = await makeTokens(material, alg, 2000)
  const opOf = (core: Core): Op => {
    const authenticator = core.createAuthenticator(tokengateOptions(material, alg, false))
    return (token) =>
      authenticator.authenticate({
        method: 'GET',
        url: '/',
        headers: { authorization: `Bearer ${token}` },
      })
  }
  const floor = floorOf(material, alg)
  const cases: Record<string, Op> = { ...(floor && { floor }), base: opOf(A), new: opOf(B) }
  const result = await measure(cases, tokens, k.microIterations)
  console.log(
    `${alg} (token ${tokens[0]!.length} chars), best / median us: ${JSON.stringify(result)}`,
  )
}
