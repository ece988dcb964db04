// `pnpm bench:cache`: the verified-token cache under three traffic mixes (one-use tokens, one token
// repeated, a Zipf mix over 100,000 users) with the cache off, caching at once (`admitAfter: 1`) and
// the default admission on second sighting, in-process; then RSS over 1,000,000 distinct tokens.
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { ALGS, type Alg } from './config.js'
import { claims, generateMaterial, jwsSigner, type Material } from './material.js'
import { tokengateOptions } from './servers/common.js'

export type CacheSetting = 'off' | 'admit-1' | 'admit-2'
export type Mix = 'one-use' | 'repeat' | 'zipf'

/** One mix under one cache setting: CPU per request (median round), hit rate, what the cache holds. */
export interface CacheMixRow {
  mix: Mix
  setting: CacheSetting
  /** CPU time (user + system) per authenticate(), µs, median of the chunks of all rounds. */
  cpuUs: number
  /** Cache off's CPU over this setting's, median of the per-chunk ratios (1 for off itself). */
  vsOff?: number
  /** Share of requests answered from the cache (last round). */
  hitRate: number
  entries: number
  /** The cache's own accounting (token/cache.ts entryWeight), bytes. */
  weight: number
  /** Heap retained after the last round (forced GC before and after, authenticator alive), MiB. */
  heapMiB?: number
}

/** RSS while 1,000,000 distinct tokens go through one authenticator with the default cache. */
export interface MemoryRow {
  /** `once`: each token sent once; `twice`: each sent twice in a row (so the default admits it). */
  pattern: 'once' | 'twice'
  tokens: number
  /** [tokens so far, RSS MiB, heap used MiB, cache entries] every tenth of the run. */
  samples: Array<[number, number, number, number]>
}

export interface CacheReport {
  alg: Alg
  users: number
  requests: number
  zipfS: number
  /** Requests per interleaved chunk. */
  chunk?: number
  rows: CacheMixRow[]
  memory: MemoryRow[]
}

interface Authenticator {
  authenticate(r: unknown): Promise<unknown>
}
interface Core {
  createAuthenticator(o: unknown): Authenticator
}
const SETTINGS: CacheSetting[] = ['off', 'admit-1', 'admit-2']
const PAIRED: CacheSetting[] = ['off', 'admit-2']

/**
 * Heap retained by a new authenticator after `requests` requests (forced GC before and after, the
 * authenticator alive at the end). Its own function: a variable of the caller's async frame would
 * keep the previous setting's authenticator alive into the next one's baseline.
 */
async function retainedMiB(
  make: () => Authenticator,
  requests: number,
  next: (i: number) => string,
  gc: () => void,
): Promise<number> {
  gc()
  const before = process.memoryUsage().heapUsed
  const authenticator = make()
  for (let i = 0; i < requests; i++) await authenticator.authenticate(request(next(i)))
  gc()
  const retained = (process.memoryUsage().heapUsed - before) / 2 ** 20
  return authenticator ? retained : 0
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

interface CacheStats {
  size: number
  weight: number
  stats: { hits: number; misses: number; deferred: number }
}

const src = (file: string) =>
  pathToFileURL(join(import.meta.dirname, '../../packages/core/src', file)).href

/** A small deterministic PRNG (mulberry32): the same request sequence for every setting. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Ranks 0..n-1 drawn with P(rank k) proportional to 1 / (k + 1)^s. */
function zipfSequence(n: number, s: number, length: number, seed: number): Uint32Array {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / Math.pow(k + 1, s)
  const random = prng(seed)
  const out = new Uint32Array(length)
  for (let i = 0; i < length; i++) {
    const u = random() * sum
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cdf[mid]! < u) lo = mid + 1
      else hi = mid
    }
    out[i] = lo
  }
  return out
}

const gc = (globalThis as { gc?: () => void }).gc
const request = (token: string) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
})

function optionsFor(material: Material, alg: Alg, setting: CacheSetting): unknown {
  const base = tokengateOptions(material, alg, setting !== 'off') as Record<string, unknown>
  return setting === 'admit-1' ? { ...base, cache: { admitAfter: 1 } } : base
}

export async function runCacheMix(options: {
  alg?: Alg
  users?: number
  requests?: number
  zipfS?: number
  rounds?: number
  /** Requests per chunk: every chunk runs through all settings in turn (default 10,000). */
  chunk?: number
  memoryTokens?: number
  /** False: the memory run alone. */
  mixes?: boolean
}): Promise<CacheReport> {
  const alg = options.alg ?? 'HS256'
  const users = options.users ?? 100_000
  const requests = options.requests ?? 200_000
  const zipfS = options.zipfS ?? 1
  const rounds = options.rounds ?? 2
  const core = (await import('@tokengate/core')) as unknown as Core
  const { cacheOf } = (await import(src('token/cache.ts'))) as {
    cacheOf(a: object): CacheStats | undefined
  }
  const material = generateMaterial()
  if (alg === 'JWE') throw new Error('cache mix: JWS algorithms only')
  const sign = jwsSigner(material, alg)
  process.stderr.write(`  cache mix: signing ${users + requests} ${alg} tokens...\n`)
  const userTokens = Array.from({ length: users }, (_, i) => sign(claims(i)))
  const oneUse = Array.from({ length: requests }, (_, i) => sign(claims(users + i)))
  const zipf = zipfSequence(users, zipfS, requests, 17)
  const sequences: Record<Mix, (i: number) => string> = {
    'one-use': (i) => oneUse[i]!,
    repeat: () => userTokens[0]!,
    zipf: (i) => userTokens[zipf[i]!]!,
  }
  const rows: CacheMixRow[] = []
  const chunk = Math.max(1000, Math.min(options.chunk ?? 10_000, requests))
  const order = prng(29)
  for (const mix of ((options.mixes ?? true) ? Object.keys(sequences) : []) as Mix[]) {
    const next = sequences[mix]
    const cpu: Record<CacheSetting, number[]> = { off: [], 'admit-1': [], 'admit-2': [] }
    const vsOff: Record<CacheSetting, number[]> = { off: [], 'admit-1': [], 'admit-2': [] }
    const last = {} as Record<CacheSetting, CacheStats | undefined>
    const heap = {} as Record<CacheSetting, number>
    for (let r = 0; r < rounds; r++) {
      // Every round starts each setting on a new authenticator (a cold cache) and sends it the same
      // sequence. The sequence goes in chunks, and every chunk runs through cache off and the default
      // in a random order before the next chunk: a setting's cost is its chunks' CPU time, and "x cache off" is
      // the median of the per-chunk ratios, each from runs milliseconds apart (this VM's speed moves
      // by 2x within seconds; whole 2-second blocks one after the other gave 0.94x and 1.29x on two
      // runs of the same code). The cache state carries over from chunk to chunk: one stream each.
      const live = {} as Record<CacheSetting, Authenticator>
      for (const setting of SETTINGS) {
        last[setting] = undefined
        live[setting] = core.createAuthenticator(optionsFor(material, alg, setting))
      }
      gc?.()
      for (let from = 0; from < requests; from += chunk) {
        const to = Math.min(requests, from + chunk)
        const took = {} as Record<CacheSetting, number>
        // Off and the default interleaved (the target's pair); caching at once alone after them: its
        // churn of old-generation garbage (see token/cache.ts Doorkeeper) would be collected during
        // the others' chunks (concurrent marking counts in this process's CPU time).
        const paired = order() < 0.5 ? PAIRED : [...PAIRED].reverse()
        for (const setting of paired) {
          const authenticator = live[setting]
          const start = process.cpuUsage()
          for (let i = from; i < to; i++) await authenticator.authenticate(request(next(i)))
          const used = process.cpuUsage(start)
          took[setting] = (used.user + used.system) / (to - from)
          cpu[setting].push(took[setting])
        }
        for (const setting of PAIRED) vsOff[setting].push(took.off / took[setting])
      }
      gc?.()
      for (let from = 0; from < requests; from += chunk) {
        const to = Math.min(requests, from + chunk)
        const authenticator = live['admit-1']
        const start = process.cpuUsage()
        for (let i = from; i < to; i++) await authenticator.authenticate(request(next(i)))
        const used = process.cpuUsage(start)
        cpu['admit-1'].push((used.user + used.system) / (to - from))
      }
      for (const setting of SETTINGS) last[setting] = cacheOf(live[setting])
    }
    // Heap retained: one more pass per setting, alone, on a new authenticator (forced GC before
    // and after it, the authenticator alive at the end).
    if (gc)
      for (const setting of SETTINGS)
        heap[setting] = await retainedMiB(
          () => core.createAuthenticator(optionsFor(material, alg, setting)),
          requests,
          next,
          gc,
        )
    for (const setting of SETTINGS) {
      const c = last[setting]
      rows.push({
        mix,
        setting,
        cpuUs: median(cpu[setting]),
        vsOff:
          vsOff[setting].length > 0
            ? median(vsOff[setting])
            : median(cpu.off) / median(cpu[setting]),
        hitRate: c ? c.stats.hits / (c.stats.hits + c.stats.misses) : 0,
        entries: c?.size ?? 0,
        weight: c?.weight ?? 0,
        heapMiB: heap[setting],
      })
      process.stderr.write(`  cache mix ${mix} ${setting}: ${JSON.stringify(rows.at(-1))}\n`)
    }
  }
  const memory: MemoryRow[] = []
  const total = options.memoryTokens ?? 1_000_000
  if (total > 0)
    for (const pattern of ['once', 'twice'] as const) {
      const authenticator = core.createAuthenticator(optionsFor(material, alg, 'admit-2'))
      const cache = cacheOf(authenticator)!
      const samples: MemoryRow['samples'] = []
      const every = Math.max(1, Math.floor(total / 10))
      for (let i = 0; i < total; i++) {
        const token = sign(claims(i))
        await authenticator.authenticate(request(token))
        if (pattern === 'twice') await authenticator.authenticate(request(token))
        if ((i + 1) % every === 0) {
          ;(globalThis as { gc?: () => void }).gc?.()
          const m = process.memoryUsage()
          samples.push([i + 1, m.rss / 2 ** 20, m.heapUsed / 2 ** 20, cache.size])
          process.stderr.write(`  memory ${pattern}: ${JSON.stringify([samples.at(-1)])}\n`)
        }
      }
      memory.push({ pattern, tokens: total, samples })
    }
  return { alg, users, requests, zipfS, chunk, rows, memory }
}

// Standalone (`pnpm bench:cache`) or as the child of run.ts (result on stdout).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = process.env
  const alg = (env.BENCH_CACHE_ALG ?? 'HS256') as Alg
  if (!ALGS.includes(alg) || alg === 'JWE')
    throw new Error(`BENCH_CACHE_ALG: one of ${ALGS.filter((a) => a !== 'JWE').join(', ')}`)
  const result = await runCacheMix({
    alg,
    ...(env.BENCH_CACHE_REQUESTS && { requests: Number(env.BENCH_CACHE_REQUESTS) }),
    ...(env.BENCH_CACHE_USERS && { users: Number(env.BENCH_CACHE_USERS) }),
    ...(env.BENCH_CACHE_ROUNDS && { rounds: Number(env.BENCH_CACHE_ROUNDS) }),
    ...(env.BENCH_CACHE_CHUNK && { chunk: Number(env.BENCH_CACHE_CHUNK) }),
    mixes: env.BENCH_CACHE_MIXES !== '0',
    ...(env.BENCH_MEMORY_TOKENS !== undefined && {
      memoryTokens: Number(env.BENCH_MEMORY_TOKENS),
    }),
  })
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
}
