// Sentinel for the runtime split (issue 13 item 5): each suite run is on the signature path it
// claims. The default vitest run resolves `#signature-check` under the `node` condition
// (node:crypto); vitest.portable.config.ts sets TOKENGATE_SIGNATURE_PATH=jose and resolves it
// without `node` (jose on Web Crypto, as on Workers). A resolver change that silently puts both
// runs on one path fails here.
import * as chosen from '#signature-check'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { joseSignatureCheck } from './signature-check.js'
import { nodeSignatureCheck } from './signature-check.node.js'

const claimed = process.env.TOKENGATE_SIGNATURE_PATH ?? 'node:crypto'

describe(`#signature-check in this run (${claimed})`, () => {
  it('is the path this run claims', () => {
    expect(chosen.signaturePath).toBe(claimed)
    expect(chosen.signatureCheck).toBe(claimed === 'jose' ? joseSignatureCheck : nodeSignatureCheck)
  })

  it("'@tokengate/core' (what the adapters and test/ load) is this same module graph", async () => {
    const pkg = await import('@tokengate/core')
    expect(pkg.createAuthenticator).toBe(createAuthenticator)
  })
})
