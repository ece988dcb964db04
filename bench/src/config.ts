// Bench matrix and knobs: which frameworks, algorithms, middlewares and modes one `pnpm bench` run covers.

export const FRAMEWORKS = ['express', 'koa', 'hono'] as const
export type Framework = (typeof FRAMEWORKS)[number]

/** `JWE` is a nested token: RSA-OAEP-256 + A256GCM around an ES256 JWS. */
export const ALGS = ['HS256', 'RS256', 'ES256', 'EdDSA', 'JWE'] as const
export type Alg = (typeof ALGS)[number]

/**
 * The members of `all` named in a comma-separated environment value (unknown names dropped), or all
 * of them when it is unset: the hit-path harnesses' `*_FRAMEWORKS` / `*_ALGS` knobs.
 */
export const envList = <T extends string>(value: string | undefined, all: readonly T[]): T[] =>
  value ? (value.split(',').filter((v) => (all as readonly string[]).includes(v)) as T[]) : [...all]

export const MODES = ['repeat', 'fresh'] as const
/** `repeat`: one token on every request. `fresh`: a new token per request from a pre-generated pool. */
export type Mode = (typeof MODES)[number]

export const VARIANTS = [
  'bare',
  'noop',
  'tokengate',
  'tokengate-nocache',
  'jose',
  'express-jwt',
  'express-oauth2-jwt-bearer',
  'koa-jwt',
  'hono-jwt',
  'fast-jwt',
] as const
export type Variant = (typeof VARIANTS)[number]

export const PEERS: Record<Framework, Variant[]> = {
  express: ['express-jwt', 'express-oauth2-jwt-bearer', 'fast-jwt'],
  koa: ['koa-jwt', 'fast-jwt'],
  hono: ['hono-jwt', 'fast-jwt'],
}

export const LABELS: Record<Variant, string> = {
  bare: 'bare framework (no auth)',
  noop: 'one no-op middleware (no auth)',
  tokengate: 'tokengate (cache on)',
  'tokengate-nocache': 'tokengate (cache off)',
  jose: 'thin jose middleware',
  'express-jwt': 'express-jwt',
  'express-oauth2-jwt-bearer': 'express-oauth2-jwt-bearer',
  'koa-jwt': 'koa-jwt',
  'hono-jwt': 'hono/jwt',
  'fast-jwt': 'fast-jwt (thin middleware)',
}

/**
 * Why a peer has no row for an algorithm. jsonwebtoken 9 (under express-jwt and koa-jwt) has no
 * EdDSA; no peer opens a JWE.
 */
export function unsupported(variant: Variant, alg: Alg): string | undefined {
  const peer = !['bare', 'noop', 'jose'].includes(variant) && !variant.startsWith('tokengate')
  if (!peer) return undefined
  if (alg === 'JWE') return 'no JWE support'
  if (alg === 'EdDSA' && (variant === 'express-jwt' || variant === 'koa-jwt'))
    return 'jsonwebtoken 9 has no EdDSA'
  return undefined
}

export const ISSUER = 'https://issuer.bench.example'
export const AUDIENCE = 'https://api.bench.example'

function num(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

function list<T extends string>(name: string, all: readonly T[], fallback: readonly T[]): T[] {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return [...fallback]
  const wanted = raw.split(',').map((s) => s.trim())
  for (const w of wanted)
    if (!all.includes(w as T)) throw new Error(`${name}: unknown '${w}' (one of ${all.join(', ')})`)
  return all.filter((a) => wanted.includes(a))
}

export interface Knobs {
  quick: boolean
  /** Seconds per measured run. */
  duration: number
  runs: number
  /**
   * Rounds over the whole matrix (BENCH_ROUNDS, default 1): with 2 or more, every configuration is
   * measured once per round, in turn, so a noisy neighbour slows all alike; the runs of all rounds
   * then give each cell's median.
   */
  rounds: number
  /** Seconds of warm-up load before the measured runs. */
  warmup: number
  connections: number
  /** Tokens per algorithm for the fresh mode; more than the cache's default 10,000 entries. */
  pool: number
  /** Iterations per case in the micro benchmark. */
  microIterations: number
  frameworks: Framework[]
  algs: Alg[]
  modes: Mode[]
  variants: Variant[]
  micro: boolean
}

export function knobs(): Knobs {
  const quick = process.env.BENCH_QUICK === '1'
  return {
    quick,
    duration: num('BENCH_DURATION', quick ? 1 : 3),
    runs: Math.round(num('BENCH_RUNS', quick ? 1 : 3)),
    rounds: Math.round(num('BENCH_ROUNDS', 1)),
    warmup: num('BENCH_WARMUP', quick ? 0.5 : 1),
    connections: Math.round(num('BENCH_CONNECTIONS', 10)),
    pool: Math.round(num('BENCH_POOL', quick ? 12_000 : 20_000)),
    microIterations: Math.round(num('BENCH_MICRO_ITERATIONS', quick ? 2_000 : 10_000)),
    frameworks: list('BENCH_FRAMEWORKS', FRAMEWORKS, FRAMEWORKS),
    algs: list('BENCH_ALGS', ALGS, ALGS),
    modes: list('BENCH_MODES', MODES, MODES),
    variants: list('BENCH_VARIANTS', VARIANTS, VARIANTS),
    micro: process.env.BENCH_MICRO !== '0',
  }
}
