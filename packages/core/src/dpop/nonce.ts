// DPoP server nonces (RFC 9449 §8, §9) without shared state: an HMAC of the time window's number.
import { AuthError } from '../errors.js'
import { encode } from '../util/base64url.js'
import { parseDuration } from '../util/duration.js'
import { rejectUnknownOptions } from '../util/options.js'

/** The shortest secret: 256 bits, the HMAC-SHA-256 output size (RFC 2104 §3). */
const MIN_SECRET_BYTES = 32
const encoder = new TextEncoder()

/**
 * Server nonces as configured by `dpop.nonce`. A nonce names a time window (`floor(now / window)`)
 * and carries an HMAC of it under the shared secret: every instance with the same secret issues
 * and accepts the same nonces, with no store. A proof's nonce is accepted from the current and the
 * previous window, so a nonce lives between one and two windows.
 */
export interface DpopNonces {
  /** The nonce of the current window, for a `DPoP-Nonce` header. */
  current(now: number): Promise<string>
  /**
   * RFC 9449 §4.3 check 10. Resolves to the nonce to hand out on the successful response (§8.2)
   * when the proof's nonce is from the previous window, or undefined when it is current; throws
   * `use_dpop_nonce` (with the current nonce) when it is missing, stale or not ours.
   */
  check(nonce: unknown, now: number): Promise<string | undefined>
}

/**
 * Validates `dpop.nonce` at start-up: `{ secret, window? }`, the secret at least 32 bytes and
 * shared by every instance, the window a duration (default 60 s). Throws a TypeError naming the fix.
 *
 * @example
 * const nonces = resolveNonce({ secret: env.DPOP_NONCE_SECRET, window: '1m' }, 'options.dpop.nonce')
 */
export function resolveNonce(options: unknown, path: string): DpopNonces | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(
      `tokengate: ${path} must be an object such as { secret: <32 random bytes shared by every instance>, window: '1m' }`,
    )
  const o = options as Record<string, unknown>
  rejectUnknownOptions(o, ['secret', 'window'], path, `${path} takes { secret, window }`)
  const secret =
    typeof o.secret === 'string'
      ? encoder.encode(o.secret)
      : o.secret instanceof Uint8Array
        ? new Uint8Array(o.secret)
        : undefined
  if (secret === undefined || secret.length < MIN_SECRET_BYTES)
    throw new TypeError(
      `tokengate: ${path}.secret must be a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes, the same on every instance (e.g. 32 random bytes, base64url-encoded, from a secret store)`,
    )
  const window = parseDuration((o.window ?? 60) as string | number, `${path}.window`)
  if (!(window >= 1))
    throw new TypeError(`tokengate: ${path}.window must be at least 1 second, e.g. '1m'`)
  return new HmacNonces(secret, window)
}

class HmacNonces implements DpopNonces {
  #key: Promise<CryptoKey> | undefined
  /** The nonces of the last windows asked for, by window number (two or three entries). */
  readonly #byWindow = new Map<number, Promise<string>>()

  constructor(
    readonly secret: Uint8Array,
    readonly window: number,
  ) {}

  current(now: number): Promise<string> {
    return this.#nonce(Math.floor(now / this.window))
  }

  async check(nonce: unknown, now: number): Promise<string | undefined> {
    const index = Math.floor(now / this.window)
    const current = await this.#nonce(index)
    if (nonce === current) return undefined
    // §8.2: accepted, and the response hands out the nonce of the window that has begun.
    if (typeof nonce === 'string' && nonce === (await this.#nonce(index - 1))) return current
    throw new AuthError(
      'use_dpop_nonce',
      nonce === undefined
        ? 'the DPoP proof has no nonce: send it again with the nonce of the DPoP-Nonce header (RFC 9449 §8, §9)'
        : 'the DPoP proof nonce is stale or unknown: send it again with the nonce of the DPoP-Nonce header (RFC 9449 §8, §9)',
      { dpopNonce: current },
    )
  }

  #nonce(index: number): Promise<string> {
    let nonce = this.#byWindow.get(index)
    if (nonce === undefined) {
      nonce = this.#sign(index)
      // Windows only move forward: older entries than the previous one are never asked again.
      for (const known of this.#byWindow.keys()) if (known < index - 1) this.#byWindow.delete(known)
      this.#byWindow.set(index, nonce)
      // A failed signature must not stay cached (it cannot fail with a valid key, but never cache it).
      nonce.catch(() => this.#byWindow.delete(index))
    }
    return nonce
  }

  async #sign(index: number): Promise<string> {
    this.#key ??= crypto.subtle.importKey(
      'raw',
      this.secret as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    const mac = await crypto.subtle.sign(
      'HMAC',
      await this.#key,
      encoder.encode(`tokengate DPoP nonce ${index}`),
    )
    // RFC 9449 §8.1: NQCHAR only; the window number (base 36) then 128 bits of the MAC, base64url.
    return `${index.toString(36)}.${encode(new Uint8Array(mac, 0, 16))}`
  }
}
