// Sentinel: this run executes in the runtime it claims. scripts/runtimes.mjs sets TOKENGATE_RUNTIME
// to `bun` or `deno` and runs the core suite under that runtime (vitest.runtime.config.ts); a run
// that silently fell back to Node fails here. Unset, the run is Node's.
import { describe, expect, it } from 'vitest'

const claimed = process.env.TOKENGATE_RUNTIME ?? 'node'
const { Bun, Deno } = globalThis as {
  Bun?: { version: string }
  Deno?: { version: { deno: string } }
}
const actual = Bun ? 'bun' : Deno ? 'deno' : 'node'

describe(`the runtime of this run (${claimed})`, () => {
  it('is the runtime this run claims', () => {
    expect(actual).toBe(claimed)
    if (claimed === 'node') expect(process.release.name).toBe('node')
  })

  it('reports its version', () => {
    const version = Bun?.version ?? Deno?.version.deno ?? process.versions.node
    expect(version).toMatch(/^\d+\.\d+\.\d+/)
  })
})
