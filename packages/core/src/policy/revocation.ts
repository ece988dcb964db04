// Revocation: the in-memory denylist store, and the jti check the authenticator runs on every request.
import { parseDuration } from '../util/duration.js'
import { rejectUnknownOptions } from '../util/options.js'
import { AuthError, isAuthError } from '../errors.js'
import type {
  AuthContext,
  Duration,
  RevocationOptions,
  RevocationStore,
  RevocationToken,
} from '../types.js'

/** Default `grace`: longer than the default `clockTolerance` (5 s) and ordinary clock drift. */
const DEFAULT_GRACE_SECONDS = 60
/** Retry-After for `revocation_unavailable`: a store usually reconnects within seconds. */
const RETRY_AFTER_SECONDS = 5

/** Options of {@link createMemoryRevocationStore}: its bounds. */
export interface MemoryRevocationStoreOptions {
  /**
   * Most records held (default 10000): one per revoked `jti`, plus one per subject whose
   * revocations were folded into a "revoked before" time. See {@link createMemoryRevocationStore}.
   */
  max?: number
  /**
   * Most `jti` entries one subject (`iss` + `sub`) holds (default 100). Its next revocation folds
   * them into one record: every token of that subject issued at or before the newest of them is
   * refused. Must not exceed `max`.
   */
  maxPerSubject?: number
  /**
   * Extra time an entry is kept past its `expiresAt`, so a token that an authenticator still
   * accepts within its `clockTolerance` stays refused. Default 60 s.
   */
  grace?: Duration
}

/** The in-memory store: one process only (see `@tokengate/redis` for several instances). */
export interface MemoryRevocationStore extends RevocationStore<unknown> {
  isRevoked(jti: string, ctx?: unknown, token?: RevocationToken): boolean
  revoke(jti: string, expiresAt: number, token?: RevocationToken): void
  /** Records currently held (jti entries and per-subject records), expired ones not yet pruned included. */
  readonly size: number
}

interface Entry {
  /** Epoch seconds after which the entry is useless. */
  until: number
  subject: string
  iat: number | undefined
}

/** A subject's revocations folded into one record: its tokens with `iat <= before` are refused. */
interface Cutoff {
  before: number
  until: number
}

/**
 * A bounded in-memory denylist. Each entry lives until the token's `expiresAt` plus `grace`, when
 * the token is refused for its `exp` anyway; then it is dropped. Not shared between processes.
 *
 * Bounded so that no one subject can exhaust it (a user who logs in and out in a loop must not
 * stop other users' logouts): a revocation is never forgotten early, it is only made coarser.
 * - A subject (`iss` + `sub`; tokens without `sub` count as one subject) holds at most
 *   `maxPerSubject` `jti` entries. Its next revocation folds them into one record: the subject's
 *   tokens issued (`iat`) at or before the newest folded token, and its tokens without `iat`,
 *   are refused until the last folded token expires (plus `grace`). Every revoked token stays
 *   refused; the cost is that the subject's other sessions issued before that time end too.
 * - When `max` records are held, expired ones are pruned; then the subject holding the most
 *   entries is folded the same way. Only when every record belongs to a different subject (`max`
 *   distinct subjects revoking within one token lifetime) does `revoke` reject: it never evicts.
 *
 * @example
 * const authenticator = createAuthenticator({ ...options, revocation: createMemoryRevocationStore() })
 * app.post('/logout', async (req, res) => { await authenticator.revoke(req.auth); res.end() })
 */
export function createMemoryRevocationStore(
  options: MemoryRevocationStoreOptions = {},
): MemoryRevocationStore {
  const max = options.max ?? 10_000
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError(
      'tokengate: revocation store max must be a positive integer (default 10000)',
    )
  }
  const maxPerSubject = options.maxPerSubject ?? Math.min(100, max)
  if (!Number.isSafeInteger(maxPerSubject) || maxPerSubject < 1 || maxPerSubject > max) {
    throw new TypeError(
      `tokengate: revocation store maxPerSubject must be a positive integer no larger than max (${max}); default 100`,
    )
  }
  const grace = parseDuration(options.grace ?? DEFAULT_GRACE_SECONDS, 'revocation store grace')
  const entries = new Map<string, Entry>()
  const bySubject = new Map<string, Set<string>>()
  const cutoffs = new Map<string, Cutoff>()
  const nowSeconds = () => Date.now() / 1000

  const drop = (jti: string, entry: Entry) => {
    entries.delete(jti)
    const set = bySubject.get(entry.subject)
    set?.delete(jti)
    if (set?.size === 0) bySubject.delete(entry.subject)
  }
  const prune = (now: number) => {
    for (const [jti, entry] of entries) if (entry.until <= now) drop(jti, entry)
    for (const [subject, cutoff] of cutoffs) if (cutoff.until <= now) cutoffs.delete(subject)
  }
  const pruneSubject = (subject: string, now: number) => {
    for (const jti of bySubject.get(subject) ?? []) {
      const entry = entries.get(jti) as Entry
      if (entry.until <= now) drop(jti, entry)
    }
  }
  const liveCutoff = (subject: string, now: number) => {
    const cutoff = cutoffs.get(subject)
    if (cutoff !== undefined && cutoff.until <= now) cutoffs.delete(subject)
    return cutoff !== undefined && cutoff.until > now ? cutoff : undefined
  }
  // Folds a subject's entries (and, optionally, one more token) into its cutoff record.
  const fold = (subject: string, extra?: { iat: number | undefined; until: number }) => {
    const cutoff = cutoffs.get(subject) ?? {
      before: Number.NEGATIVE_INFINITY,
      until: Number.NEGATIVE_INFINITY,
    }
    const add = (iat: number | undefined, until: number) => {
      // A token without iat is refused by any cutoff (see covers), so it needs no bound here.
      if (iat !== undefined && iat > cutoff.before) cutoff.before = iat
      if (until > cutoff.until) cutoff.until = until
    }
    for (const jti of bySubject.get(subject) ?? []) {
      const entry = entries.get(jti) as Entry
      add(entry.iat, entry.until)
      entries.delete(jti)
    }
    bySubject.delete(subject)
    if (extra) add(extra.iat, extra.until)
    cutoffs.set(subject, cutoff)
  }
  const largestSubject = (): string | undefined => {
    let best: string | undefined
    let most = 1 // folding one entry into one record frees nothing
    for (const [subject, set] of bySubject) {
      if (set.size > most) {
        most = set.size
        best = subject
      }
    }
    return best
  }

  return {
    isRevoked(jti, _ctx, token) {
      const now = nowSeconds()
      const entry = entries.get(jti)
      if (entry !== undefined) {
        if (entry.until > now) return true
        drop(jti, entry)
      }
      if (cutoffs.size === 0) return false
      const cutoff = liveCutoff(subjectOf(token), now)
      return cutoff !== undefined && covers(cutoff, iatOf(token))
    },
    revoke(jti, expiresAt, token) {
      assertRevokeArguments(jti, expiresAt)
      const now = nowSeconds()
      const until = expiresAt + grace
      if (until <= now) return // already refused for its exp: nothing to remember
      const previous = entries.get(jti)
      if (previous !== undefined) {
        if (until > previous.until) previous.until = until
        return
      }
      const subject = subjectOf(token)
      const iat = iatOf(token)
      // A subject already folded stays folded: its record grows to cover this token too.
      if (liveCutoff(subject, now) !== undefined) return fold(subject, { iat, until })
      if ((bySubject.get(subject)?.size ?? 0) >= maxPerSubject) {
        pruneSubject(subject, now)
        if ((bySubject.get(subject)?.size ?? 0) >= maxPerSubject)
          return fold(subject, { iat, until })
      }
      if (entries.size + cutoffs.size >= max) {
        prune(now)
        if (entries.size + cutoffs.size >= max) {
          const largest = largestSubject()
          if (largest !== undefined) fold(largest)
          else if (bySubject.has(subject)) return fold(subject, { iat, until })
          else
            // Evicting a live record would silently un-revoke tokens: refuse loudly instead.
            throw new Error(
              `tokengate: the memory revocation store is full (${max} live records, each of another subject); raise its max or use a shared store such as @tokengate/redis`,
            )
        }
      }
      entries.set(jti, { until, subject, iat })
      let set = bySubject.get(subject)
      if (set === undefined) bySubject.set(subject, (set = new Set()))
      set.add(jti)
    },
    get size() {
      return entries.size + cutoffs.size
    },
  }
}

// A token without iat cannot be placed before or after the cutoff: it is refused (fail closed).
function covers(cutoff: Cutoff, iat: number | undefined): boolean {
  return iat === undefined || iat <= cutoff.before
}

// The subject a token belongs to: its issuer and subject (RFC 7519 §4.1.2, `sub` is unique per
// issuer); every token without `sub` of an issuer shares one.
function subjectOf(token: RevocationToken | undefined): string {
  const iss = typeof token?.iss === 'string' ? token.iss : null
  const sub = typeof token?.sub === 'string' ? token.sub : null
  return JSON.stringify([iss, sub])
}

function iatOf(token: RevocationToken | undefined): number | undefined {
  return typeof token?.iat === 'number' && Number.isFinite(token.iat) ? token.iat : undefined
}

/**
 * The answer of a revocation check (the `isRevoked` hook or a store), awaited: only `true` and
 * `false` are answers. `undefined`, `null`, a string or a number means the check is broken, and a
 * broken check must not let a possibly revoked token in (fail closed, 503).
 */
export function revocationAnswer(answer: unknown): void {
  if (answer === true) throw new AuthError('token_revoked', 'the token has been revoked')
  if (answer !== false) {
    throw new AuthError(
      'revocation_unavailable',
      'the revocation check answered neither true nor false',
      { retryAfter: RETRY_AFTER_SECONDS },
    )
  }
}

/** The authenticator's view of the `revocation` option, resolved once at start-up. */
export interface Revocation {
  /**
   * Refuses a revoked token (`token_revoked`), a token without a usable `jti` under the `'reject'`
   * policy (`claim_invalid`), and fails with `revocation_unavailable` when the store fails.
   * `claims` is the verified payload as signed (before any zod transform).
   */
  check(ctx: AuthContext<any>, claims: Readonly<Record<string, unknown>>): Promise<void>
  /** Records the verified claims behind a context derived from one {@link check} saw (DPoP's). */
  remember(ctx: AuthContext<any>, claims: Readonly<Record<string, unknown>>): void
  /** Revokes the token behind a context that {@link check} saw (or whose payload has jti/exp). */
  revoke(ctx: AuthContext<any>, clockTolerance: number): Promise<void>
}

/**
 * Validates the `revocation` option (throws a configuration error) and returns its checker, or
 * `undefined` when the option is absent.
 */
export function resolveRevocation(
  option: unknown,
  path = 'options.revocation',
): Revocation | undefined {
  if (option === undefined) return undefined
  const { store, withoutJti } = normalise(option, path)
  // The registered claims each context was verified with, so revoke(ctx) works when a zod schema
  // reshaped or dropped `jti`/`exp` in ctx.payload. Weak: contexts are not kept alive by this.
  const seen = new WeakMap<object, Registered>()

  return {
    remember(ctx, claims) {
      seen.set(ctx, registered(claims))
    },

    async check(ctx, claims) {
      seen.set(ctx, registered(claims))
      const jti = claims.jti
      if (jti === undefined) {
        if (withoutJti === 'allow') return
        throw new AuthError(
          'claim_invalid',
          'the token has no "jti" claim, which revocation requires',
        )
      }
      // RFC 7519 §4.1.7: jti is a case-sensitive string; an empty one identifies nothing.
      if (typeof jti !== 'string' || jti.length === 0) {
        throw new AuthError('claim_invalid', 'the "jti" claim must be a non-empty string')
      }
      let revoked: unknown
      try {
        revoked = await store.isRevoked(jti, ctx, tokenOf(claims))
      } catch (cause) {
        if (isAuthError(cause)) throw cause
        throw new AuthError('revocation_unavailable', 'the revocation store is unavailable', {
          cause,
          retryAfter: RETRY_AFTER_SECONDS,
        })
      }
      // Anything but an explicit true or false is a broken store: refuse rather than let it in.
      revocationAnswer(revoked)
    },

    async revoke(ctx, clockTolerance) {
      const known = typeof ctx === 'object' && ctx !== null ? seen.get(ctx) : undefined
      const payload = (
        typeof ctx?.payload === 'object' && ctx.payload !== null ? ctx.payload : {}
      ) as Record<string, unknown>
      // The verified claims win; the app's payload is only a fallback for a context this
      // authenticator did not produce (e.g. one rebuilt by the app).
      const claims = known ?? registered(payload)
      const { jti, exp } = claims
      if (typeof jti !== 'string' || jti.length === 0) {
        throw new TypeError(
          'tokengate: revoke(ctx): the token has no "jti" claim, so it cannot be revoked',
        )
      }
      if (typeof exp !== 'number' || !Number.isFinite(exp)) {
        throw new TypeError(
          'tokengate: revoke(ctx): the token has no "exp" claim, so its revocation would never end; call store.revoke(jti, expiresAt) with a bound of your own',
        )
      }
      // Kept while any authenticator with this tolerance would still accept the token.
      await store.revoke(jti, exp + clockTolerance, tokenOf(claims))
    },
  }
}

/** The registered claims (RFC 7519 §4.1) revocation needs, copied from the verified payload. */
interface Registered {
  jti: unknown
  exp: unknown
  iss: unknown
  sub: unknown
  iat: unknown
}

function registered(claims: Readonly<Record<string, unknown>>): Registered {
  return { jti: claims.jti, exp: claims.exp, iss: claims.iss, sub: claims.sub, iat: claims.iat }
}

function tokenOf(claims: Readonly<Record<string, unknown>> | Registered): RevocationToken {
  return {
    ...(typeof claims.iss === 'string' && { iss: claims.iss }),
    ...(typeof claims.sub === 'string' && { sub: claims.sub }),
    ...(typeof claims.iat === 'number' && Number.isFinite(claims.iat) && { iat: claims.iat }),
  }
}

function normalise(option: unknown, path: string): Required<RevocationOptions<any>> {
  if (isStore(option)) return { store: option, withoutJti: 'reject' }
  if (typeof option === 'object' && option !== null && 'store' in option) {
    const { store, withoutJti = 'reject', ...rest } = option as Record<string, unknown>
    rejectUnknownOptions(rest, [], path, `${path} takes { store, withoutJti }`)
    if (!isStore(store)) {
      throw new TypeError(
        `tokengate: ${path}.store must have isRevoked(jti, ctx) and revoke(jti, expiresAt) methods`,
      )
    }
    if (withoutJti !== 'allow' && withoutJti !== 'reject') {
      throw new TypeError(
        `tokengate: ${path}.withoutJti must be 'allow' or 'reject' (default 'reject')`,
      )
    }
    return { store, withoutJti }
  }
  throw new TypeError(
    `tokengate: ${path} must be a store ({ isRevoked, revoke }, e.g. createMemoryRevocationStore()) or { store, withoutJti }`,
  )
}

function isStore(value: unknown): value is RevocationStore<any> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RevocationStore).isRevoked === 'function' &&
    typeof (value as RevocationStore).revoke === 'function'
  )
}

function assertRevokeArguments(jti: unknown, expiresAt: unknown): void {
  if (typeof jti !== 'string' || jti.length === 0) {
    throw new TypeError('tokengate: revoke(jti, expiresAt): jti must be a non-empty string')
  }
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw new TypeError(
      'tokengate: revoke(jti, expiresAt): expiresAt must be a finite number of epoch seconds',
    )
  }
}
