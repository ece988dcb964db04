// The portable signature check: jose on Web Crypto. The `#signature-check` import (package.json
// `imports`) picks this file everywhere but under the `node` condition (signature-check.node.ts).
import { compactVerify } from 'jose'

/**
 * The signature step alone, for one candidate key: returns the decoded payload, throws jose's
 * JWSSignatureVerificationFailed when the key does not verify, anything else for fromJoseError
 * (jws.ts). Both implementations (this file and signature-check.node.ts) pass the same tests.
 * `shaped`: the caller has already required `tokenShape(token) === 'jws'` (compact.ts), so a check
 * may skip its own shape test (the node:crypto one does; jose's always parses).
 */
export type SignatureCheck = (
  token: string,
  key: CryptoKey,
  alg: string,
  shaped?: boolean,
) => Uint8Array | Promise<Uint8Array>

/** The portable signature check: jose's compactVerify, one algorithm allowed. */
export const joseSignatureCheck: SignatureCheck = async (token, key, alg) =>
  (await compactVerify(token, key, { algorithms: [alg] })).payload

/** What `#signature-check` gives the pipeline on this path. */
export const signatureCheck: SignatureCheck = joseSignatureCheck

/** Which path this is, for the sentinel tests (signature-check.path.test.ts). */
export const signaturePath: 'jose' | 'node:crypto' = 'jose'
