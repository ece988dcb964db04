// node:crypto gaps that break the test's own fixtures (not tokengate): AES key wrap (node-jose's
// A*KW path) and generating RSA-PSS, secp256k1 and Ed448 keys (der.test.ts's input PEMs).
import { createCipheriv, generateKeyPairSync, getCiphers } from 'node:crypto'
import { runtime } from './runtime.mjs'

console.log(
  runtime,
  'getCiphers() wrap:',
  getCiphers()
    .filter((c) => c.includes('wrap'))
    .join(' '),
)
try {
  createCipheriv('id-aes256-wrap', new Uint8Array(32), new Uint8Array(8).fill(0xa6))
  console.log(runtime, "createCipheriv('id-aes256-wrap') ok")
} catch (e) {
  console.log(runtime, "createCipheriv('id-aes256-wrap')", e.code)
}
for (const [type, options] of [
  ['rsa-pss', { modulusLength: 2048 }],
  ['ec', { namedCurve: 'secp256k1' }],
  ['ed448', {}],
]) {
  try {
    generateKeyPairSync(type, options)
    console.log(runtime, 'generateKeyPairSync', type, JSON.stringify(options), 'ok')
  } catch (e) {
    console.log(runtime, 'generateKeyPairSync', type, JSON.stringify(options), e.message)
  }
}
