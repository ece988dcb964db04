// Web Crypto and EC public points off the curve (WebCrypto "import key" for ECDH/ECDSA: an invalid
// point is a DataError). Node and Bun refuse at importKey; Deno 2.9 accepts and fails at deriveBits
// with a TypeError ("Unexpected error decoding private key").
import { runtime } from './runtime.mjs'

const curve = { name: 'ECDH', namedCurve: 'P-256' }
const pair = await crypto.subtle.generateKey(curve, true, ['deriveBits'])
const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey)
const cases = [
  ['off-curve point (y := x)', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.x }],
  ['3-byte coordinates', { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }],
]
for (const [label, bad] of cases) {
  let step = 'importKey'
  try {
    const pub = await crypto.subtle.importKey('jwk', bad, curve, true, [])
    step = 'deriveBits'
    await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, pair.privateKey, 256)
    console.log(runtime, label, 'accepted by importKey and deriveBits')
  } catch (e) {
    console.log(runtime, label, `refused at ${step}:`, e.name, e.message)
  }
}
