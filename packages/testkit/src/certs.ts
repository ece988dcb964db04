// X.509 fixtures for mTLS (RFC 8705) tests: a CA, a server and client certificates, made by the openssl CLI.
import { execFileSync } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** One certificate and its key, in the forms a test needs. */
export interface TestCertificate {
  /** PEM certificate. */
  cert: string
  /** PEM PKCS#8 private key. */
  key: string
  /** The certificate's DER. */
  der: Uint8Array
  /** RFC 8705 §3.1 `x5t#S256`: base64url(SHA-256(DER)). */
  x5tS256: string
}

/** A CA, a server certificate for 127.0.0.1/localhost, two clients of the CA and a self-signed one. */
export interface TestPki {
  ca: TestCertificate
  server: TestCertificate
  /** The client the tokens are bound to. */
  client: TestCertificate
  /** Another client of the same CA: a valid certificate, the wrong one for the token. */
  otherClient: TestCertificate
  /** A self-signed client certificate (RFC 8705 §2.2): binding does not need a CA. */
  selfSigned: TestCertificate
}

/** RFC 8705 §3.1: base64url(SHA-256(DER)). */
export function x5tS256Of(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url')
}

/** RFC 9440 §2.1 `Client-Cert` value: an RFC 8941 byte sequence, `:` base64 DER `:`. */
export function clientCertHeader(certificate: TestCertificate): string {
  return `:${Buffer.from(certificate.der).toString('base64')}:`
}

let pki: TestPki | undefined

/**
 * Generates (once per test process) the test PKI with the `openssl` CLI: EC P-256 keys, one-day
 * validity. Synchronous: a few openssl runs, well under a second.
 *
 * @example
 * const { server, client } = makePki()
 * https.createServer({ cert: server.cert, key: server.key, requestCert: true, rejectUnauthorized: false })
 */
export function makePki(): TestPki {
  if (pki) return pki
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-pki-'))
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  const keyOf = (name: string) =>
    run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`)
  const read = (name: string): TestCertificate => {
    const cert = readFileSync(join(dir, `${name}.crt`), 'utf8')
    const der = new Uint8Array(new X509Certificate(cert).raw)
    return {
      cert,
      key: readFileSync(join(dir, `${name}.key`), 'utf8'),
      der,
      x5tS256: x5tS256Of(der),
    }
  }
  try {
    keyOf('ca')
    run(
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=tokengate test CA',
      '-days',
      '1',
      '-out',
      'ca.crt',
    )
    const issue = (name: string, subject: string, extensions: string) => {
      keyOf(name)
      run('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`)
      writeFileSync(join(dir, `${name}.ext`), extensions)
      run(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      )
    }
    issue(
      'server',
      '/CN=localhost',
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    )
    issue('client', '/CN=client-a', 'extendedKeyUsage=clientAuth\n')
    issue('other', '/CN=client-b', 'extendedKeyUsage=clientAuth\n')
    keyOf('self')
    run(
      'req',
      '-x509',
      '-new',
      '-key',
      'self.key',
      '-subj',
      '/CN=self-signed client',
      '-days',
      '1',
      '-out',
      'self.crt',
    )
    pki = {
      ca: read('ca'),
      server: read('server'),
      client: read('client'),
      otherClient: read('other'),
      selfSigned: read('self'),
    }
    return pki
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
