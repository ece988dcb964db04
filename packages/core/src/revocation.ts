// Revocation: the in-memory denylist store, and the jti check the authenticator runs on every request.
import { parseDuration } from './duration.js'
import { AuthError, isAuthError } from './errors.js'
import type { AuthContext, Duration, RevocationOptions, RevocationStore } from './types.js'

/** Default `grace`: longer than the default `clockTolerance` (5 s) and ordinary clock drift. */
const DEFAULT_GRACE_SECONDS = 60
/** Retry-After for `revocation_unavailable`: a store usually reconnects within seconds. */
const RETRY_AFTER_SECONDS = 5

export interface MemoryRevocationStoreOptions {
  /**
   * Most live entries kept (default 10000). When full, expired entries are pruned; if every entry
   * is still live, `revoke` rejects rather than forget a revocation (see the README).
   */
  max?: number
  /**
   * Extra time an entry is kept past its `expiresAt`, so a token that an authenticator still
   * accepts within its `clockTolerance` stays refused. Default 60 s.
   */
  grace?: Duration
}

/** The in-memory store: one process only (see `@tokengate/redis` for several instances). */
export interface MemoryRevocationStore extends RevocationStore<unknown> {
  isRevoked(jti: string): boolean
  revoke(jti: string, expiresAt: number): void
  /** Entries currently held, expired ones not yet pruned included. */
  readonly size: number
}

/**
 * A bounded in-memory denylist. Each entry lives until the token's `expiresAt` plus `grace`, when
 * the token is refused for its `exp` anyway; then it is dropped. Not shared between processes.
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
  const grace = parseDuration(options.grace ?? DEFAULT_GRACE_SECONDS, 'revocation store grace')
  // jti -> epoch seconds after which the entry is useless.
  const entries = new Map<string, number>()
  const nowSeconds = () => Date.now() / 1000

  const prune = (now: number) => {
    for (const [jti, until] of entries) if (until <= now) entries.delete(jti)
  }

  return {
    isRevoked(jti) {
      const until = entries.get(jti)
      if (until === undefined) return false
      if (until > nowSeconds()) return true
      entries.delete(jti)
      return false
    },
    revoke(jti, expiresAt) {
      assertRevokeArguments(jti, expiresAt)
      const now = nowSeconds()
      const until = expiresAt + grace
      if (until <= now) return // already refused for its exp: nothing to remember
      const previous = entries.get(jti)
      if (previous !== undefined) {
        entries.set(jti, Math.max(previous, until))
        return
      }
      if (entries.size >= max) prune(now)
      // Evicting a live entry would silently un-revoke a token: refuse loudly instead.
      if (entries.size >= max) {
        throw new Error(
          `tokengate: the memory revocation store is full (${max} live entries); raise its max or use a shared store such as @tokengate/redis`,
        )
      }
      entries.set(jti, until)
    },
    get size() {
      return entries.size
    },
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
  /** Revokes the token behind a context that {@link check} saw (or whose payload has jti/exp). */
  revoke(ctx: AuthContext<any>, clockTolerance: number): Promise<void>
}

/**
 * Validates the `revocation` option (throws a configuration error) and returns its checker, or
 * `undefined` when the option is absent.
 */
export function resolveRevocation(option: unknown): Revocation | undefined {
  if (option === undefined) return undefined
  const { store, withoutJti } = normalise(option)
  // The claims each context was verified with, so revoke(ctx) works when a zod schema reshaped
  // or dropped `jti`/`exp` in ctx.payload. Weak: contexts are not kept alive by this.
  const seen = new WeakMap<object, { jti: unknown; exp: unknown }>()

  return {
    async check(ctx, claims) {
      seen.set(ctx, { jti: claims.jti, exp: claims.exp })
      const jti = claims.jti
      if (jti === undefined) {
        if (withoutJti === 'allow') return
        throw new AuthError(
          'claim_invalid',
          'The token has no "jti" claim, which revocation requires',
        )
      }
      // RFC 7519 §4.1.7: jti is a case-sensitive string; an empty one identifies nothing.
      if (typeof jti !== 'string' || jti.length === 0) {
        throw new AuthError('claim_invalid', 'The "jti" claim must be a non-empty string')
      }
      let revoked: boolean
      try {
        revoked = await store.isRevoked(jti, ctx)
      } catch (cause) {
        if (isAuthError(cause)) throw cause
        throw new AuthError('revocation_unavailable', 'The revocation store is unavailable', {
          cause,
          retryAfter: RETRY_AFTER_SECONDS,
        })
      }
      if (revoked === true) throw new AuthError('token_revoked', 'The token has been revoked')
      // Anything but an explicit false is a broken store: refuse rather than let the token in.
      if (revoked !== false) {
        throw new AuthError('revocation_unavailable', 'The revocation store gave no answer', {
          retryAfter: RETRY_AFTER_SECONDS,
        })
      }
    },

    async revoke(ctx, clockTolerance) {
      const known = seen.get(ctx)
      const payload = (
        typeof ctx.payload === 'object' && ctx.payload !== null ? ctx.payload : {}
      ) as {
        jti?: unknown
        exp?: unknown
      }
      const jti = known?.jti ?? payload.jti
      const exp = known?.exp ?? payload.exp
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
      await store.revoke(jti, exp + clockTolerance)
    },
  }
}

function normalise(option: unknown): Required<RevocationOptions<any>> {
  if (isStore(option)) return { store: option, withoutJti: 'reject' }
  if (typeof option === 'object' && option !== null && 'store' in option) {
    const { store, withoutJti = 'reject', ...rest } = option as Record<string, unknown>
    const unknownKeys = Object.keys(rest)
    if (unknownKeys.length > 0) {
      throw new TypeError(
        `tokengate: options.revocation has unknown keys (${unknownKeys.join(', ')}); it takes { store, withoutJti }`,
      )
    }
    if (!isStore(store)) {
      throw new TypeError(
        'tokengate: options.revocation.store must have isRevoked(jti, ctx) and revoke(jti, expiresAt) methods',
      )
    }
    if (withoutJti !== 'allow' && withoutJti !== 'reject') {
      throw new TypeError(
        "tokengate: options.revocation.withoutJti must be 'allow' or 'reject' (default 'reject')",
      )
    }
    return { store, withoutJti }
  }
  throw new TypeError(
    'tokengate: options.revocation must be a store ({ isRevoked, revoke }, e.g. createMemoryRevocationStore()) or { store, withoutJti }',
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
