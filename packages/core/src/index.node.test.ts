// The Node entry (the `node` export condition) against the portable one: the same public API, a
// different signature path, and the entry that Node-side suites (adapters, conformance) really load.
import { describe, expect, it } from 'vitest'
import * as nodeAuthenticate from './authenticate.node.js'
import * as portableAuthenticate from './authenticate.js'
import * as nodeEntry from './index.node.js'
import * as portableEntry from './index.js'
import * as nodeVerify from './token/jws.node.js'
import * as portableVerify from './token/jws.js'

describe('index.node.ts: the Node entry', () => {
  it.each([
    ['index', nodeEntry, portableEntry],
    ['authenticate', nodeAuthenticate, portableAuthenticate],
    ['verify', nodeVerify, portableVerify],
  ] as const)('%s.node.ts exports every name of %s.ts', (_name, node, portable) => {
    for (const name of Object.keys(portable)) expect(Object.keys(node)).toContain(name)
  })

  it('swaps in only what builds an authenticator (createAuthenticator) and verifyJws', () => {
    const swapped = ['createAuthenticator']
    expect(nodeEntry.createAuthenticator).toBe(nodeAuthenticate.createAuthenticator)
    for (const name of swapped)
      expect(nodeEntry[name as keyof typeof nodeEntry]).not.toBe(
        portableEntry[name as keyof typeof portableEntry],
      )
    expect(nodeVerify.verifyJws).not.toBe(portableVerify.verifyJws)
    const shared = Object.keys(portableEntry).filter((name) => !swapped.includes(name))
    for (const name of shared)
      expect(nodeEntry[name as keyof typeof nodeEntry]).toBe(
        portableEntry[name as keyof typeof portableEntry],
      )
  })

  it("'@tokengate/core' resolves to the Node entry under Node's conditions (adapter suites run this path)", async () => {
    const pkg = await import('@tokengate/core')
    expect(pkg.createAuthenticator).toBe(nodeAuthenticate.createAuthenticator)
  })
})
