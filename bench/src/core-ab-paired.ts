// core-ab.ts with paired differences: per round, each core's CPU µs per authenticate() minus the
// node:crypto floor's in the same round, and the median of those differences over many short rounds
// (BENCH_AB_ROUNDS, default 80). On a shared machine whose speed swings within seconds, the
// difference of two cases measured side by side is steadier than either case's best or median: it
// shows a change of a few hundred nanoseconds above a floor of tens of microseconds.
// From bench/: `BENCH_AB_BASE=/tmp/base BENCH_ALGS=HS256,RS256 node --conditions=@tokengate/source
// --import tsx src/core-ab-paired.ts`
import { join } from 'node:path'
import { ALGS, knobs } from './config.js'
import { generateMaterial, makeTokens } from './material.js'
import { bearerHeaders, coreOp, floorOf, loadCore, roundsOf, type Op } from './micro.js'

const base = process.env.BENCH_AB_BASE
if (!base) throw new Error('set BENCH_AB_BASE to a directory holding packages/core/src')
const A = await loadCore(base)
const B = await loadCore(join(import.meta.dirname, '../..'))
const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 80)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const material = generateMaterial()

for (const alg of knobs().algs.filter((a) => ALGS.includes(a))) {
  const tokens = await makeTokens(material, alg, 2000)
  const headers = bearerHeaders(tokens)
  const cases: Record<string, { op: Op; inputs: string[] }> = {
    floor: { op: floorOf(material, alg), inputs: tokens },
    base: { op: coreOp(A, material, alg, false), inputs: headers },
    new: { op: coreOp(B, material, alg, false), inputs: headers },
  }
  const perBatch = alg === 'HS256' ? 2000 : alg === 'JWE' ? 50 : 300
  const raw = await roundsOf(cases, perBatch, rounds)
  const floor = raw.floor!
  const cell = (name: string): string => {
    const xs = raw[name]!
    const over = median(xs.map((x, i) => x - floor[i]!))
    return `${name} best ${Math.min(...xs).toFixed(2)} median ${median(xs).toFixed(2)}, above the floor ${over.toFixed(2)} (median of paired rounds)`
  }
  console.log(
    `${alg}: floor best ${Math.min(...floor).toFixed(2)} median ${median(floor).toFixed(2)} | ${cell('base')} | ${cell('new')}`,
  )
}
