// Certificate-bound access tokens (RFC 8705 §3): the token's cnf["x5t#S256"] against the client certificate.
import { AuthError } from '../errors.js'
import { headerValues } from '../request/headers.js'
import type { RequestLike } from '../types.js'
import { encode } from '../util/base64url.js'
import { rejectUnknownOptions } from '../util/options.js'

/** RFC 9440 §2: the header a TLS-terminating proxy puts the client certificate in. */
const DEFAULT_HEADER = 'client-cert'
/** A certificate chain's leaf is a few KiB; anything much larger in the header is refused, not decoded. */
const MAX_HEADER_LENGTH = 32 * 1024
/** RFC 8941 §3.3.5: a byte sequence is `:` base64 (RFC 4648 §4, padded) `:`. */
const BYTE_SEQUENCE = /^:((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?):$/
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/

/** The certificate binding as configured: created once by {@link resolveMtls}, asked per request. */
export interface MtlsBinding {
  /** `mtls.required`: every token must be certificate-bound. */
  readonly required: boolean
  /**
   * After the claims: a token with `cnf["x5t#S256"]` (or any token in required mode) passes only
   * when the request's client certificate has that SHA-256 thumbprint (RFC 8705 §3.1). Resolves to
   * the thumbprint of a bound token, undefined for an unbound one; throws an AuthError (401
   * `invalid_token`, RFC 8705 §3; 400 for a malformed `Client-Cert` header).
   */
  check(
    request: RequestLike,
    claims: Readonly<Record<string, unknown>>,
  ): Promise<string | undefined>
}

/**
 * Validates `options.mtls` at start-up. The binding is always enforced for a token that carries
 * `cnf["x5t#S256"]` (a bound token is never accepted without its certificate, RFC 8705 §3), so this
 * returns a binding even when `options.mtls` is absent. Throws a TypeError naming the fix.
 *
 * @example
 * const mtls = resolveMtls({ required: true, clientCertHeader: 'client-cert' }, false)
 */
export function resolveMtls(
  options: unknown,
  trustProxy: unknown,
  path = 'options.mtls',
): MtlsBinding {
  if (
    options !== undefined &&
    (typeof options !== 'object' || options === null || Array.isArray(options))
  )
    throw new TypeError(
      `tokengate: ${path} must be an object such as { required: true } or { clientCertHeader: 'client-cert' }`,
    )
  const o = (options ?? {}) as Record<string, unknown>
  rejectUnknownOptions(
    o,
    ['required', 'clientCertHeader'],
    path,
    `${path} takes { required, clientCertHeader }`,
  )
  if (o.required !== undefined && typeof o.required !== 'boolean')
    throw new TypeError(`tokengate: ${path}.required must be true or false`)
  const header = o.clientCertHeader
  if (
    header !== undefined &&
    header !== false &&
    (typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header))
  )
    throw new TypeError(
      `tokengate: ${path}.clientCertHeader must be a header name such as 'client-cert' (RFC 9440), or false to ignore it even with options.trustProxy`,
    )
  // RFC 9440 §4: the header is believed only from a proxy that sets it and drops the client's own;
  // that is what trustProxy (or naming the header) says. Otherwise it is ignored entirely.
  const fromHeader =
    typeof header === 'string'
      ? header.toLowerCase()
      : header === undefined && trustProxy === true
        ? DEFAULT_HEADER
        : undefined
  return new CertificateBinding(o.required === true, fromHeader)
}

class CertificateBinding implements MtlsBinding {
  constructor(
    readonly required: boolean,
    readonly header: string | undefined,
  ) {}

  async check(
    request: RequestLike,
    claims: Readonly<Record<string, unknown>>,
  ): Promise<string | undefined> {
    const cnf = claims.cnf
    const bound =
      typeof cnf === 'object' && cnf !== null && Object.hasOwn(cnf, 'x5t#S256')
        ? (cnf as Record<string, unknown>)['x5t#S256']
        : undefined
    if (bound === undefined) {
      if (this.required)
        throw new AuthError(
          'certificate_binding_required',
          'this API accepts only certificate-bound tokens (cnf x5t#S256, RFC 8705 §3)',
        )
      return undefined
    }
    if (typeof bound !== 'string' || bound === '')
      throw new AuthError('claim_invalid', 'the token cnf x5t#S256 is not a string (RFC 8705 §3.1)')
    const thumbprint = await this.#thumbprint(request)
    if (thumbprint === undefined)
      throw new AuthError(
        'client_certificate_missing',
        'the token is certificate-bound (RFC 8705 §3): send it over a TLS connection with its client certificate',
      )
    // Both sides are base64url text of 32 bytes; compared as text, as the RFC 8705 §3.1 member is.
    if (thumbprint !== bound)
      throw new AuthError(
        'client_certificate_mismatch',
        "the client certificate does not match the token's cnf x5t#S256 (RFC 8705 §3.1)",
      )
    return thumbprint
  }

  /** base64url(SHA-256(DER)) of the request's client certificate, or undefined when it has none. */
  async #thumbprint(request: RequestLike): Promise<string | undefined> {
    if (this.header !== undefined) return fromHeader(request, this.header)
    const source = request.clientCertificate
    if (source !== undefined) {
      let der: unknown
      try {
        der = typeof source === 'function' ? await source() : source
      } catch {
        der = undefined // a socket that closed meanwhile: no certificate
      }
      return der instanceof Uint8Array && der.length > 0 ? sha256(der) : undefined
    }
    return fromCloudflare(request)
  }
}

/** RFC 9440 §2.1: `Client-Cert: :<base64 DER>:`, set by the TLS-terminating proxy. */
async function fromHeader(request: RequestLike, name: string): Promise<string | undefined> {
  const values = headerValues(request.headers, name)
  if (values === undefined) return undefined
  const value = (values[0] as string).trim()
  if (values.length > 1 || value.length > MAX_HEADER_LENGTH || !BYTE_SEQUENCE.test(value))
    throw new AuthError(
      'invalid_request',
      `the ${name} header is not one RFC 9440 byte sequence (:base64 DER:)`,
    )
  const binary = atob(value.slice(1, -1))
  const der = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i)
  // A DER certificate is a SEQUENCE (X.690 §8.9): anything else is not what RFC 9440 carries.
  if (der.length < 2 || der[0] !== 0x30)
    throw new AuthError('invalid_request', `the ${name} header does not hold a DER certificate`)
  return sha256(der)
}

/**
 * Cloudflare Workers: `request.cf.tlsClientAuth` (set by Cloudflare's edge, never by the client)
 * gives `certPresented: '1'` and `certFingerprintSHA256`, the hex SHA-256 of the certificate's DER:
 * the same digest as RFC 8705's, re-encoded as base64url.
 */
function fromCloudflare(request: RequestLike): string | undefined {
  const cf = (request as { cf?: unknown }).cf
  if (typeof cf !== 'object' || cf === null) return undefined
  const auth = (cf as { tlsClientAuth?: unknown }).tlsClientAuth
  if (typeof auth !== 'object' || auth === null) return undefined
  const { certPresented, certFingerprintSHA256: hex } = auth as Record<string, unknown>
  if (certPresented !== '1' || typeof hex !== 'string' || !HEX_SHA256.test(hex)) return undefined
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return encode(bytes)
}

async function sha256(der: Uint8Array): Promise<string> {
  return encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', der as Uint8Array<ArrayBuffer>)),
  )
}
