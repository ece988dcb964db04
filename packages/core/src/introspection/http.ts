// The introspection request (RFC 7662 §2.1) and its discovery: fetch only, bounded in time and size.
import { SignJWT } from 'jose'
import { checkRemoteUrl } from '../keys/remote-jwks.js'
import { encode } from '../util/base64url.js'
import type { ClientAuth } from './options.js'

/** An introspection answer is a few hundred bytes; a JWT answer a few KiB. Anything larger is refused. */
export const MAX_RESPONSE_BYTES = 64 * 1024

/** What the endpoint answered: its media type (lower case, no parameters) and its text. */
export interface RawAnswer {
  mediaType: string
  text: string
}

/**
 * A failure of the endpoint itself (network, status, size, media type): the token may be fine, so
 * it ends as 503. Its message never holds the request (token or client credentials).
 */
export class EndpointError extends Error {
  override readonly name = 'IntrospectionEndpointError'
}

/**
 * POSTs `token` to the endpoint (RFC 7662 §2.1), authenticated as the client (RFC 6749 §2.3.1,
 * RFC 7523 §2.2), and reads the answer within the signal's deadline and {@link MAX_RESPONSE_BYTES}.
 * Redirects are not followed: the client's credentials go to the configured URL only.
 */
export async function postIntrospection(
  endpoint: string,
  token: string,
  tokenTypeHint: string | undefined,
  client: ClientAuth,
  assertionAudience: string,
  accept: string,
  signal: AbortSignal,
): Promise<RawAnswer> {
  const body = new URLSearchParams({ token })
  if (tokenTypeHint !== undefined) body.set('token_type_hint', tokenTypeHint)
  const headers: Record<string, string> = {
    accept,
    'content-type': 'application/x-www-form-urlencoded',
  }
  if (client.method === 'private_key_jwt') {
    body.set('client_id', client.id)
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    body.set('client_assertion', await clientAssertion(client, assertionAudience))
  } else if (client.method === 'client_secret_basic') {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
    headers.authorization = `Basic ${btoa(`${formEncode(client.id)}:${formEncode(client.secret)}`)}`
  } else {
    body.set('client_id', client.id)
    body.set('client_secret', client.secret)
  }
  let response: Response
  try {
    response = await fetch(endpoint, { method: 'POST', headers, body, signal, redirect: 'manual' })
  } catch (cause) {
    throw new EndpointError(
      signal.aborted
        ? 'the introspection endpoint did not answer in time'
        : 'the introspection endpoint cannot be reached',
      { cause },
    )
  }
  return readAnswer(response)
}

/** A GET of a JSON document (discovery), with the same bounds. */
export async function getJson(url: string, signal: AbortSignal): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal,
      redirect: 'manual',
    })
  } catch (cause) {
    throw new EndpointError('the discovery document cannot be fetched', { cause })
  }
  const answer = await readAnswer(response)
  if (answer.mediaType !== 'application/json')
    throw new EndpointError('the discovery document is not application/json')
  try {
    return JSON.parse(answer.text)
  } catch {
    throw new EndpointError('the discovery document is not JSON')
  }
}

/**
 * The introspection endpoint named by the issuer's discovery document (OpenID Connect Discovery
 * 1.0 §4, then RFC 8414 §3). The document's `issuer` must be ours exactly (RFC 8414 §3.3), and the
 * endpoint on the issuer's own origin: the client's credentials are sent there, and whoever can
 * change one path of the issuer's web server must not be able to send them to another host.
 */
export async function discoverEndpoint(issuer: string, signal: AbortSignal): Promise<string> {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  const candidates = [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ]
  let failure: unknown
  for (const candidate of candidates) {
    try {
      const doc = (await getJson(candidate, signal)) as {
        issuer?: unknown
        introspection_endpoint?: unknown
      } | null
      if (doc?.issuer !== issuer)
        throw new EndpointError('the discovery document names another issuer')
      const endpoint = doc.introspection_endpoint
      if (typeof endpoint !== 'string')
        throw new EndpointError(
          'the discovery document has no introspection_endpoint: set options.introspection.endpoint',
        )
      let found: URL
      try {
        found = checkRemoteUrl(endpoint, 'the discovered introspection_endpoint')
      } catch (err) {
        throw new EndpointError((err as Error).message)
      }
      if (found.origin !== url.origin || found.username !== '' || found.password !== '')
        throw new EndpointError(
          `the discovered introspection_endpoint is not on the issuer's origin ${url.origin}; if that is intended, set options.introspection.endpoint to it`,
        )
      return found.href
    } catch (err) {
      failure = err
      if (signal.aborted) break
    }
  }
  throw failure
}

async function readAnswer(response: Response): Promise<RawAnswer> {
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined)
    throw new EndpointError(`the introspection endpoint answered HTTP ${response.status}`)
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel().catch(() => undefined)
    throw new EndpointError('the introspection answer is too large')
  }
  return { mediaType, text: await readCapped(response) }
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.length
      if (size > MAX_RESPONSE_BYTES) {
        await reader.cancel().catch(() => undefined)
        throw new EndpointError('the introspection answer is too large')
      }
      chunks.push(value)
    }
  } catch (cause) {
    if (cause instanceof EndpointError) throw cause
    throw new EndpointError('the introspection answer was cut off', { cause })
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new EndpointError('the introspection answer is not UTF-8')
  }
}

/**
 * The client assertion of RFC 7523 §2.2 / §3 (OpenID Connect Core §9 private_key_jwt): `iss` and
 * `sub` are the client id, `aud` the authorization server (its issuer when known, else the
 * endpoint), a fresh `jti`, and a one-minute lifetime.
 */
async function clientAssertion(
  client: Extract<ClientAuth, { method: 'private_key_jwt' }>,
  audience: string,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: client.alg, ...(client.kid !== undefined && { kid: client.kid }) })
    .setIssuer(client.id)
    .setSubject(client.id)
    .setAudience(audience)
    .setJti(encode(crypto.getRandomValues(new Uint8Array(16))))
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(await client.key.load(client.alg))
}

/** application/x-www-form-urlencoded, as URLSearchParams writes it (RFC 6749 Appendix B). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}
