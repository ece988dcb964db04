// Interleaved A/B of two copies of the core in one process: `BENCH_AB_BASE=<dir holding
// packages/core/src>` (e.g. `git archive <commit> packages/core | tar -x -C <dir>`, plus a symlink
// of packages/core/node_modules) against this worktree's sources, beside the node:crypto floor.
// CPU time per authenticate() (cache off, fresh tokens), best and median of interleaved rounds,
// with micro.ts's floor, cases and rounds.
// `BENCH_ALGS=HS256,RS256 BENCH_MICRO_ITERATIONS=30000 pnpm --filter @tokengate/bench bench:ab`
import { join } from 'node:path'
import { ALGS, knobs } from './config.js'
import { generateMaterial, makeTokens } from './material.js'
import { bearerHeaders, coreOp, floorOf, loadCore, measureAll, type Op } from './micro.js'

const base = process.env.BENCH_AB_BASE
if (!base) throw new Error('set BENCH_AB_BASE to a directory holding packages/core/src')
const A = await loadCore(base)
const B = await loadCore(join(import.meta.dirname, '../..'))
const k = knobs()
const material = generateMaterial()
for (const alg of k.algs.filter((a) => ALGS.includes(a))) {
  const tokens = await makeTokens(material, alg, 2000)
  const headers = bearerHeaders(tokens)
  const cases: Record<string, { op: Op; tokens: string[] }> = {
    floor: { op: floorOf(material, alg), tokens },
    base: { op: coreOp(A, material, alg, false), tokens: headers },
    new: { op: coreOp(B, material, alg, false), tokens: headers },
  }
  const { best, median } = await measureAll(cases, k.microIterations)
  const result = Object.fromEntries(
    Object.keys(cases).map((name) => [
      name,
      `${best[name]!.toFixed(2)} / ${median[name]!.toFixed(2)}`,
    ]),
  )
  console.log(
    `${alg} (token ${tokens[0]!.length} chars), best / median us: ${JSON.stringify(result)}`,
  )
}
