// PBKDF2 password hashing and the user store: format, salts, constant-time compare, no enumeration.
import { describe, expect, it } from 'vitest'
import {
  hashPassword,
  PBKDF2_ITERATIONS,
  timingSafeEqual,
  verifyPassword,
} from '../src/password.js'
import { createUserStore, DEMO_USERS } from '../src/users.js'

describe('hashPassword / verifyPassword', () => {
  it('stores scheme, iteration count (Workers maximum), salt and hash; verifies the right password only', async () => {
    const stored = await hashPassword('wonderland')
    const [scheme, iterations, salt, hash] = stored.split('$')
    expect({ scheme, iterations: Number(iterations) }).toEqual({
      scheme: 'pbkdf2-sha256',
      iterations: 100_000,
    })
    expect(PBKDF2_ITERATIONS).toBe(100_000)
    expect(salt).toMatch(/^[A-Za-z0-9_-]{22}$/) // 16 random bytes
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/) // 32 bytes
    expect(await verifyPassword('wonderland', stored)).toBe(true)
    expect(await verifyPassword('Wonderland', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
  })

  it('salts each hash: the same password never hashes to the same value twice', async () => {
    expect(await hashPassword('same', 1000)).not.toBe(await hashPassword('same', 1000))
  })

  it.each([
    ['another scheme', 'bcrypt$10$abc$def'],
    ['too few fields', 'pbkdf2-sha256$1000$abc'],
    ['a non-numeric count', 'pbkdf2-sha256$many$AAAA$' + 'A'.repeat(43)],
    [
      'a count above the Workers cap (a DoS lever)',
      'pbkdf2-sha256$100000000$AAAA$' + 'A'.repeat(43),
    ],
    ['a zero count', 'pbkdf2-sha256$0$AAAA$' + 'A'.repeat(43)],
    ['a salt that is not base64url', 'pbkdf2-sha256$1000$a+b/$' + 'A'.repeat(43)],
    ['a truncated hash', 'pbkdf2-sha256$1000$AAAA$AAAA'],
    ['an empty string', ''],
  ])('a malformed stored value (%s) is false, never an exception', async (_name, stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false)
  })

  it('timingSafeEqual compares whole arrays', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true)
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false)
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false)
  })
})

describe('createUserStore', () => {
  it('answers the user for the right password, null for a wrong password and an unknown user alike', async () => {
    const users = await createUserStore()
    const alice = DEMO_USERS[0]!
    expect(await users.verify(alice.username, alice.password)).toMatchObject({
      id: alice.id,
      roles: alice.roles,
    })
    expect(await users.verify(alice.username, 'wrong')).toBeNull()
    expect(await users.verify('mallory', alice.password)).toBeNull()
    // A prototype name is just an unknown user.
    expect(await users.verify('__proto__', 'x')).toBeNull()
  })

  it('keeps no plaintext password in the user it returns', async () => {
    const users = await createUserStore()
    const bob = DEMO_USERS[1]!
    const user = await users.verify(bob.username, bob.password)
    expect(JSON.stringify(user)).not.toContain(bob.password)
  })
})
