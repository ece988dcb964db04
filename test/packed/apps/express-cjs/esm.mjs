// The same packages from ESM on the same Node: which files the `node` condition picks.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const coreEntry = import.meta.resolve('@tokengate/core')
console.log(
  JSON.stringify({
    coreEntry,
    // The private #signature-check import as seen from the core's own files (node condition).
    signatureCheck: createRequire(fileURLToPath(coreEntry)).resolve('#signature-check'),
    jweDecrypt: createRequire(fileURLToPath(coreEntry)).resolve('#jwe-decrypt'),
    expressEntry: import.meta.resolve('@tokengate/express'),
    exports: Object.keys(await import('@tokengate/express')).sort(),
  }),
)
