// Password hashing for the demo users: PBKDF2-HMAC-SHA256 through Web Crypto, so it runs on Node and Workers.
import { base64url } from 'jose'

/**
 * Iteration count. OWASP's current advice for PBKDF2-SHA256 is 600 000, but Cloudflare Workers
 * refuses more than 100 000 (`NotSupportedError`), and the Hono example must run there. For a real
 * service on Node alone, raise it, or use a memory-hard hash (scrypt, Argon2id) instead.
 */
export const PBKDF2_ITERATIONS = 100_000

const SALT_BYTES = 16
const HASH_BITS = 256
const SCHEME = 'pbkdf2-sha256'

/**
 * Hashes a password with a fresh random salt. The result is self-describing:
 * `pbkdf2-sha256$<iterations>$<salt, base64url>$<hash, base64url>`.
 *
 * @example
 * const stored = await hashPassword('wonderland')
 * await verifyPassword('wonderland', stored) // true
 */
export async function hashPassword(
  password: string,
  iterations = PBKDF2_ITERATIONS,
): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const hash = await derive(password, salt, iterations)
  return [SCHEME, String(iterations), base64url.encode(salt), base64url.encode(hash)].join('$')
}

/**
 * Checks a password against a value from {@link hashPassword}, comparing in constant time.
 * A malformed stored value is `false`, never an exception.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 4 || parts[0] !== SCHEME) return false
  const iterations = Number(parts[1])
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > PBKDF2_ITERATIONS)
    return false
  const salt = fromBase64url(parts[2] ?? '')
  const expected = fromBase64url(parts[3] ?? '')
  if (salt === undefined || expected === undefined || expected.length !== HASH_BITS / 8)
    return false
  return timingSafeEqual(await derive(password, salt, iterations), expected)
}

function fromBase64url(text: string): Uint8Array | undefined {
  return /^[A-Za-z0-9_-]+$/.test(text) ? base64url.decode(text) : undefined
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(password),
    'PBKDF2',
    false,
    ['deriveBits'],
  )
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations },
    material,
    HASH_BITS,
  )
  return new Uint8Array(bits)
}

/**
 * Compares two byte strings without an early exit, so the time taken does not reveal how many
 * leading bytes matched. Web Crypto has no standard `timingSafeEqual`, hence this loop.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}
