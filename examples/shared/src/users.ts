// The in-memory user list of the examples: two demo users, passwords hashed at start-up, no enumeration.
import { hashPassword, verifyPassword } from './password.js'

/** What the app knows about a user, and what goes into their token. */
export interface User {
  /** Stable id, the token's `sub`. */
  id: string
  username: string
  name: string
  /** The token's `roles` claim: `requireRoles('admin')` reads it. */
  roles: string[]
  /** The token's `scope` claim (space-delimited, RFC 9068 §2.2.3): `requireScopes` reads it. */
  scope: string
}

export interface DemoUser extends User {
  password: string
}

/**
 * The demo accounts printed on start-up. Alice administers the app but may not read reports;
 * Bob is an analyst who may read reports but is no admin: roles and scopes are independent.
 */
export const DEMO_USERS: readonly DemoUser[] = [
  {
    id: 'user-1',
    username: 'alice',
    password: 'wonderland',
    name: 'Alice Liddell',
    roles: ['admin', 'user'],
    scope: 'profile',
  },
  {
    id: 'user-2',
    username: 'bob',
    password: 'builder',
    name: 'Bob Builder',
    roles: ['user'],
    scope: 'profile reports:read',
  },
]

export interface UserStore {
  /** The user when the password matches; `null` for an unknown user or a wrong password alike. */
  verify(username: string, password: string): Promise<User | null>
}

/**
 * Hashes the given users' passwords (PBKDF2, per-user random salt) and keeps only the hashes.
 *
 * @example
 * const users = await createUserStore()
 * const alice = await users.verify('alice', 'wonderland')
 */
export async function createUserStore(users: readonly DemoUser[] = DEMO_USERS): Promise<UserStore> {
  const byName = new Map<string, { user: User; hash: string }>()
  for (const { password, ...user } of users) {
    byName.set(user.username, { user, hash: await hashPassword(password) })
  }
  // An unknown username still costs one PBKDF2 run, against this throwaway hash, so the response
  // time does not tell an attacker which usernames exist.
  const decoy = await hashPassword(crypto.randomUUID())
  return {
    async verify(username, password) {
      const entry = byName.get(username)
      const ok = await verifyPassword(password, entry?.hash ?? decoy)
      return ok && entry ? entry.user : null
    },
  }
}
