// `pnpm bench:profile [alg] [cache|nocache] [n]`: where the core's time per token goes, from a V8 CPU
// profile of authenticate() in a loop (self and total time per function), for a missed target.
// `pnpm bench:profile FILE.cpuprofile` summarises a server profile written with BENCH_PROFILE=1 (the
// larger of the two files in its directory: the other is tsx's module loader thread).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Alg } from './config.js'
import { generateMaterial, makeTokens } from './material.js'
import { bearerHeaders } from './micro.js'
import { tokengateOptions } from './servers/common.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  hitCount: number
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
}

/** Self time and total (inclusive, synchronous stacks only) time per function, in % of samples. */
export function summarize(profile: Profile, top = 25): string[] {
  const nodes = profile.nodes
  const total = nodes.reduce((s, x) => s + x.hitCount, 0)
  const nameOf = (node: ProfileNode): string => {
    const { functionName, url } = node.callFrame
    const file = url.replace(
      /^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|packages\/|bench\/)/,
      '',
    )
    return `${functionName || '(anonymous)'}${file ? ` ${file}` : ''}`
  }
  const self = new Map<string, number>()
  for (const node of nodes) self.set(nameOf(node), (self.get(nameOf(node)) ?? 0) + node.hitCount)
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const inclusive = new Map<string, number>()
  const walk = (node: ProfileNode, onStack: Set<string>): number => {
    let sum = node.hitCount
    const name = nameOf(node)
    const fresh = !onStack.has(name)
    if (fresh) onStack.add(name)
    for (const child of node.children ?? []) sum += walk(byId.get(child)!, onStack)
    if (fresh) {
      onStack.delete(name)
      inclusive.set(name, (inclusive.get(name) ?? 0) + sum)
    }
    return sum
  }
  walk(nodes[0]!, new Set())
  const pct = (hits: number): string => `${((hits / total) * 100).toFixed(1).padStart(5)}%`
  const out = [`self time, top ${top} of ${total} samples:`]
  for (const [name, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    out.push(`${pct(hits)}  ${name}`)
  out.push(
    `total time (synchronous stacks), tokengate, crypto, jose and framework functions, top ${top}:`,
  )
  for (const [name, hits] of [...inclusive]
    .filter(([name]) =>
      /core\/src|express\/src|koa\/src|hono\/src|crypto|jose|express@|koa@|hono@|node-server/.test(
        name,
      ),
    )
    .sort((a, b) => b[1] - a[1])
    .slice(0, top))
    out.push(`${pct(hits)}  ${name}`)
  return out
}

const arg = process.argv[2] ?? 'HS256'
if (arg.endsWith('.cpuprofile')) {
  console.log(summarize(JSON.parse(readFileSync(arg, 'utf8')) as Profile).join('\n'))
} else {
  const alg = arg as Alg
  const cache = process.argv[3] === 'cache'
  const n = Number(process.argv[4] ?? 30_000)
  // The portable path: the pipeline with jose's signature check (Node always resolves `#signature-check`
  // to node:crypto, its `node` condition cannot be dropped).
  let { createAuthenticator } = await import('@tokengate/core')
  if (process.env.BENCH_ENTRY === 'portable') {
    const { createAuthenticatorWith } = await import('../../packages/core/src/authenticate.js')
    const { joseSignatureCheck } = await import('../../packages/core/src/token/signature-check.js')
    createAuthenticator = (options) => createAuthenticatorWith(options, joseSignatureCheck)
  }
  const material = generateMaterial()
  const tokens = await makeTokens(material, alg, cache ? 1 : Math.min(n, 20_000))
  const authenticator = createAuthenticator(tokengateOptions(material, alg, cache) as never)
  // Flat header strings built once, as micro.ts does (a concatenation is flattened by the first regex
  // that reads it, which would bill the core for it).
  const requests = bearerHeaders(tokens).map((authorization) => ({
    method: 'GET',
    url: '/',
    headers: { authorization },
  }))
  const loop = async (count: number): Promise<number> => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < count; i++) await authenticator.authenticate(requests[i % requests.length]!)
    return Number(process.hrtime.bigint() - start) / 1000 / count
  }
  await loop(Math.floor(n / 5))
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 50 })
  await session.post('Profiler.start')
  const us = await loop(n)
  const { profile } = await session.post('Profiler.stop')
  session.disconnect()
  const file = join(
    mkdtempSync(join(tmpdir(), 'tokengate-profile-')),
    `core-${alg}-${cache ? 'cache' : 'nocache'}.cpuprofile`,
  )
  writeFileSync(file, JSON.stringify(profile))
  console.log(
    `${process.env.BENCH_ENTRY === 'portable' ? 'portable path' : '@tokengate/core'} ${alg}, cache ${cache ? 'on (one token)' : 'off (fresh tokens)'}: ${us.toFixed(2)} us per authenticate() under the profiler`,
  )
  console.log(`profile: ${file}`)
  console.log(summarize(profile as unknown as Profile).join('\n'))
}
