// `tokengate keys generate` and `tokengate jwks`: development keys from the core's generateKeys,
// and the public JWK Set of private keys through the core's publicJwks (RFC 7517 §5).
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { generateKeys, publicJwks } from '@tokengate/core'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { UsageError } from '../io.js'
import type { Command } from './command.js'

/** The alg a key of this type serves when the file does not say (RSA is ambiguous: RS or PS). */
function algOf(jwk: JWK): string | undefined {
  if (jwk.kty === 'EC')
    return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv as string]
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA'
  return undefined
}

/** `tokengate keys generate --alg ES256 [--kid x] [--out dir]`. */
export const keys: Command = {
  name: 'keys',
  summary: 'a development key (private JWK and PEM, public JWK and JWKS)',
  usage: 'tokengate keys generate --alg <alg> [--kid <kid>] [--out <dir>] [--force]',
  help: `Generates a key for development with @tokengate/core's generateKeys: for an asymmetric alg
(ES256, RS256, PS256, EdDSA, ECDH-ES, RSA-OAEP-256...) the private key as a JWK and as a PKCS#8
PEM, and the public key as a JWK and as a one-key JWKS; for HS256/384/512 (and dir, A*KW) one
secret JWK, which has no public half. Production keys belong in a key store.

  --alg <alg>     the algorithm the key is for (required)
  --kid <kid>     the key id (default: the RFC 7638 thumbprint of the public key)
  --out <dir>     write <kid>.private.jwk.json, <kid>.private.pem, <kid>.public.jwk.json and
                  <kid>.jwks.json there (private files mode 0600); default: print JSON to stdout
  --force         overwrite existing files

Exit codes: 0 written, 1 refused (a file exists), 2 usage error (an unknown alg).`,
  options: {
    alg: { type: 'string' },
    kid: { type: 'string' },
    out: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
  },
  async run({ positionals, values, io, out, json, cwd }) {
    if (positionals[0] !== 'generate' || positionals.length !== 1)
      throw new UsageError('the keys command is `tokengate keys generate --alg <alg>`')
    const alg = values.alg as string | undefined
    if (alg === undefined)
      throw new UsageError('keys generate needs --alg (ES256, RS256, EdDSA...)')
    const generated = await generateKeys(alg, {
      ...(values.kid !== undefined && { kid: values.kid as string }),
    }).catch((err: Error) => {
      // jose's "Invalid or unsupported JWK "alg"" or the core's own refusal: a usage mistake.
      throw new UsageError(`--alg ${alg}: ${err.message.replace(/^tokengate: /, '')}`)
    })
    const files: Record<string, string> = {}
    const kid = generated.kid
    if (generated.kind === 'secret') {
      files[`${kid}.secret.jwk.json`] = JSON.stringify(generated.secretJwk, null, 2) + '\n'
    } else {
      files[`${kid}.private.jwk.json`] = JSON.stringify(generated.privateJwk, null, 2) + '\n'
      files[`${kid}.private.pem`] = KeyObject.from(generated.privateKey)
        .export({ type: 'pkcs8', format: 'pem' })
        .toString()
      files[`${kid}.public.jwk.json`] = JSON.stringify(generated.publicJwk, null, 2) + '\n'
      files[`${kid}.jwks.json`] = JSON.stringify(publicJwks([generated]), null, 2) + '\n'
    }
    if (values.out === undefined) {
      const doc =
        generated.kind === 'secret'
          ? { kid, alg, secretJwk: generated.secretJwk }
          : {
              kid,
              alg,
              privateJwk: generated.privateJwk,
              privatePem: files[`${kid}.private.pem`],
              publicJwk: generated.publicJwk,
            }
      io.stdout(JSON.stringify(doc, null, 2) + '\n')
      return 0
    }
    const dir = resolve(cwd, values.out as string)
    mkdirSync(dir, { recursive: true })
    const existing = Object.keys(files).filter((f) => existsSync(join(dir, f)))
    if (existing.length > 0 && values.force !== true) {
      io.stderr(
        `tokengate keys: ${existing.map((f) => join(dir, f)).join(', ')} exists; pass --force to overwrite\n`,
      )
      return 1
    }
    for (const [name, text] of Object.entries(files))
      writeFileSync(join(dir, name), text, {
        mode: /private|secret/.test(name) ? 0o600 : 0o644,
      })
    if (json)
      io.stdout(
        JSON.stringify({ kid, alg, files: Object.keys(files).map((f) => join(dir, f)) }, null, 2) +
          '\n',
      )
    else {
      io.stdout(`${out.green('generated')} ${alg} key ${JSON.stringify(kid)} in ${dir}\n`)
      for (const name of Object.keys(files))
        io.stdout(
          `  ${name}${/private|secret/.test(name) ? out.yellow('  (keep it secret)') : ''}\n`,
        )
    }
    return 0
  },
}

/** Reads one key file: a JWK, a JWK Set, or PEM (PKCS#8 / SEC1 / PKCS#1 private, SPKI public). */
async function readKeys(path: string, alg: string | undefined): Promise<JWK[]> {
  const text = readFileSync(path, 'utf8')
  let jwks: JWK[]
  if (text.trimStart().startsWith('{')) {
    const value = JSON.parse(text) as JWK | { keys: JWK[] }
    jwks = 'keys' in value && Array.isArray(value.keys) ? value.keys : [value as JWK]
  } else if (text.includes('-----BEGIN')) {
    const key = text.includes('PRIVATE KEY') ? createPrivateKey(text) : createPublicKey(text)
    jwks = [createPublicKey(key).export({ format: 'jwk' }) as JWK]
  } else {
    throw new Error(`${path} is neither a JWK, a JWK Set nor a PEM key`)
  }
  return Promise.all(
    jwks.map(async (jwk) => {
      const out = { ...jwk }
      out.alg ??= alg ?? algOf(jwk)
      if (out.alg === undefined && jwk.kty !== 'oct')
        throw new Error(
          `${path}: an ${jwk.kty} key without alg can serve several algorithms; pass --alg (RS256, PS256...)`,
        )
      out.kid ??= jwk.kty === 'oct' ? undefined : await calculateJwkThumbprint(jwk)
      return out
    }),
  )
}

/** `tokengate jwks <key files...>`. */
export const jwks: Command = {
  name: 'jwks',
  summary: 'the public JWK Set of private key files (private members stripped)',
  usage: 'tokengate jwks <key file...> [--alg <alg>] [--out <file>]',
  help: `Prints the JWK Set to publish at your jwks_uri, from private (or public) key files: JWK,
JWK Set or PEM. Only public members are kept (never d, p, q, dp, dq, qi or k), each key with
kid, alg and use, through @tokengate/core's publicJwks. A symmetric key (kty oct, HS256) is
refused: it has no public half.

  <key file...>   JWK / JWKS JSON or PEM files
  --alg <alg>     the alg of keys that do not say (needed for RSA PEM: RS256, PS256...)
  --out <file>    write the set there instead of stdout

Exit codes: 0 printed, 1 a file cannot be read or holds a secret key, 2 usage error.`,
  options: {
    alg: { type: 'string' },
    out: { type: 'string', short: 'o' },
  },
  async run({ positionals, values, io, cwd }) {
    if (positionals.length === 0) throw new UsageError('jwks needs at least one key file')
    let set: { keys: JWK[] }
    try {
      const all: JWK[] = []
      for (const file of positionals)
        all.push(...(await readKeys(resolve(cwd, file), values.alg as string | undefined)))
      set = publicJwks(all)
    } catch (err) {
      io.stderr(`tokengate jwks: ${(err as Error).message.replace(/^tokengate: /, '')}\n`)
      return 1
    }
    const text = JSON.stringify(set, null, 2) + '\n'
    if (values.out !== undefined) writeFileSync(resolve(cwd, values.out as string), text)
    else io.stdout(text)
    return 0
  },
}
