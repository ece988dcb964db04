// Where the core's microseconds above the node:crypto floor go, per fresh token (cache off): the
// pipeline's stages cumulated one by one, each measured in the same round as the floor and reported
// as the median of (stage - floor) over the rounds (CPU time, interleaved, so a noisy neighbour
// slows both sides of each difference alike). Then the same JSON.parse of the payload measured
// alone and right after the algorithm's crypto: the gap is what a cold CPU cache costs the same code.
// From bench/: `BENCH_ALGS=HS256,RS256,ES256 BENCH_STAGE_ROUNDS=40 node --conditions=@tokengate/source
// --import tsx src/core-stages.ts`
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { ALGS, knobs, type Alg } from './config.js'
import { generateMaterial, makeTokens } from './material.js'
import { bearerHeaders, coreOp, floorOf, roundsOf, type CoreModule, type Op } from './micro.js'
import { fastJwtVerifier, tokengateOptions } from './servers/common.js'

const source = async <T>(file: string): Promise<T> =>
  (await import(
    pathToFileURL(join(import.meta.dirname, '../../packages/core/src', file)).href
  )) as T

type Claims = Record<string, unknown>
const core = await source<CoreModule>('index.ts')
const { resolveOptions } = await source<{ resolveOptions(o: unknown): ResolvedConfig }>(
  'options.ts',
)
const { extractToken } = await source<{
  extractToken(r: unknown, c: unknown): { token: string } | undefined
}>('request/extract.ts')
const { tokenShape } = await source<{ tokenShape(t: string, shaped?: boolean): string }>(
  'token/compact.ts',
)
const { checkJws } = await source<{
  checkJws(t: string, k: unknown, a: unknown, c: unknown, s?: boolean): Verified
}>('token/jws.ts')
const { nodeSignatureCheck } = await source<{
  nodeSignatureCheck(t: string, k: CryptoKey, a: string, s?: boolean): Uint8Array
}>('token/signature-check.node.ts')
const { parsePayload, checkClaims } = await source<{
  parsePayload(b: Uint8Array): Claims
  checkClaims(c: Claims, typ: unknown, rules: unknown, now: number): number
}>('token/claims.ts')

interface ResolvedConfig {
  keys: {
    select(alg: string, kid: undefined): readonly CryptoKey[] | Promise<readonly CryptoKey[]>
  }
  algorithms: ReadonlySet<string>
  extract: unknown
  claims: unknown
}
interface Verified {
  payload: Uint8Array
  protectedHeader: { typ?: unknown }
}

const rounds = Number(process.env.BENCH_STAGE_ROUNDS ?? 40)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

/** Per round, each case's µs per call minus the first case's in the same round; medians. */
async function paired(cases: Record<string, { op: Op; inputs: string[] }>, perBatch: number) {
  const names = Object.keys(cases)
  const raw = await roundsOf(cases, perBatch, rounds)
  const base = raw[names[0]!]!
  return {
    base: median(base),
    over: Object.fromEntries(
      names.slice(1).map((name) => [name, median(raw[name]!.map((x, i) => x - base[i]!))]),
    ),
  }
}

const material = generateMaterial()
for (const alg of knobs().algs.filter((a): a is Exclude<Alg, 'JWE'> => ALGS.includes(a))) {
  if ((alg as Alg) === 'JWE') continue
  const tokens = await makeTokens(material, alg, 2000)
  const headers = bearerHeaders(tokens)
  const config = resolveOptions(tokengateOptions(material, alg, false))
  const selected = config.keys.select(alg, undefined)
  const [key] = selected instanceof Promise ? await selected : selected
  const request = (authorization: string) => ({
    method: 'GET',
    url: '/',
    headers: { authorization },
  })
  const extracted = (h: string): Verified => {
    const token = extractToken(request(h), config.extract)!.token
    tokenShape(token, true)
    return checkJws(token, config.keys, config.algorithms, nodeSignatureCheck, true)
  }
  const perBatch = alg === 'HS256' ? 1000 : 200
  const { base, over } = await paired(
    {
      floor: { op: floorOf(material, alg), inputs: tokens },
      '+ signature check': {
        op: (t) => nodeSignatureCheck(t, key!, alg, true),
        inputs: tokens,
      },
      '+ header, key, length': {
        op: (t) => checkJws(t, config.keys, config.algorithms, nodeSignatureCheck, true),
        inputs: tokens,
      },
      '+ Bearer, shape': { op: extracted, inputs: headers },
      '+ payload JSON, claims': {
        op: (h) => {
          const verified = extracted(h)
          const claims = parsePayload(verified.payload)
          return checkClaims(claims, verified.protectedHeader.typ, config.claims, Date.now() / 1000)
        },
        inputs: headers,
      },
      'authenticate()': { op: coreOp(core, material, alg, false), inputs: headers },
      'fast-jwt': { op: await fastJwtVerifier(material, alg), inputs: headers },
    },
    perBatch,
  )
  const cells = Object.entries(over).map(([name, us]) => `${name} ${us.toFixed(2)}`)
  console.log(
    `${alg}: floor ${base.toFixed(2)} us; above it (median of paired rounds): ${cells.join(', ')}`,
  )

  // The same JSON.parse alone, and right after the algorithm's crypto (the floor) on each token.
  const texts = tokens.map((t) => Buffer.from(t.split('.')[1]!, 'base64url').toString())
  const floor = floorOf(material, alg)
  let k = 0
  const parse = (): unknown => JSON.parse(texts[k++ % texts.length]!)
  const cold = await paired(
    {
      floor: { op: (t) => floor(t), inputs: tokens },
      'floor + JSON.parse': {
        op: (t) => {
          floor(t)
          return parse()
        },
        inputs: tokens,
      },
      nothing: { op: () => 0, inputs: tokens },
      'JSON.parse alone': { op: () => parse(), inputs: tokens },
    },
    perBatch,
  )
  const after = cold.over['floor + JSON.parse']!
  const alone = cold.over['JSON.parse alone']! - cold.over.nothing!
  console.log(
    `${alg}: the payload's JSON.parse costs ${alone.toFixed(2)} us alone, ${after.toFixed(2)} us right after the crypto`,
  )
}
