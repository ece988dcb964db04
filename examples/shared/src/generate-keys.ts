// `pnpm --filter @tokengate/example-shared keys`: prints a fresh signing and encryption key pair as env lines.
import { exportJWK, generateKeyPair } from 'jose'

// Written to stdout only: redirect it into a file that stays out of git (.env is gitignored).
const date = new Date().toISOString().slice(0, 10)
for (const [name, alg, use] of [
  ['TOKENGATE_SIGNING_JWK', 'ES256', 'sig'],
  ['TOKENGATE_ENCRYPTION_JWK', 'ECDH-ES+A256KW', 'enc'],
] as const) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: `${use}-${date}` }
  console.log(`${name}='${JSON.stringify(jwk)}'`)
}
