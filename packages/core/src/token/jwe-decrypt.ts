// The portable JWE decryption step: jose on Web Crypto. The `#jwe-decrypt` import (package.json
// `imports`) picks this file everywhere but under the `node` condition (jwe-decrypt.node.ts).
import { compactDecrypt, type JWEHeaderParameters } from 'jose'

/** What one decryption gives back: the plaintext and the token's protected header. */
export interface JweDecrypted {
  plaintext: Uint8Array
  protectedHeader: JWEHeaderParameters
}

/**
 * The cryptographic step alone, for one candidate key, after jwe.ts has checked the token's shape
 * and header (five canonical segments, alg/enc allowlisted, no zip, no crit, the encrypted key
 * segment empty exactly for direct modes, epk an object, p2c within the bound). Throws a bare
 * TypeError for a key that cannot serve `alg` (jwe.ts: keys_unavailable, 503), any other error for
 * a token that does not decrypt with this key (decryption_failed). Both implementations (this file
 * and jwe-decrypt.node.ts) pass the same tests.
 */
export type JweDecrypt = (
  token: string,
  key: CryptoKey | Uint8Array,
  header: JWEHeaderParameters,
  alg: string,
  enc: string,
  maxPbes2Count: number,
) => JweDecrypted | Promise<JweDecrypted>

/** The portable decryption: jose's compactDecrypt, one alg and one enc allowed, zip refused. */
export const joseJweDecrypt: JweDecrypt = async (token, key, _header, alg, enc, maxPbes2Count) => {
  const result = await compactDecrypt(token, key, {
    keyManagementAlgorithms: [alg],
    contentEncryptionAlgorithms: [enc],
    maxPBES2Count: maxPbes2Count,
    maxDecompressedLength: 0,
  })
  return { plaintext: result.plaintext, protectedHeader: result.protectedHeader }
}

/** What `#jwe-decrypt` gives the pipeline on this path. */
export const jweDecrypt: JweDecrypt = joseJweDecrypt

/** Which path this is, for the sentinel tests (jwe-decrypt.path.test.ts). */
export const jwePath: 'jose' | 'node:crypto' = 'jose'
