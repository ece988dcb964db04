// Reading a Node request (`IncomingMessage`) for the core, shared by the adapters that run on Node.
import type { AuthError } from '../errors.js'
import type { ClientCertificate, HeadersLike, RequestLike } from '../types.js'
import { plainResponse, type PlainResponse } from './flow.js'

/** What {@link nodeRequestHeaders} reads of a Node `IncomingMessage` (the core imports nothing of Node). */
export interface NodeHeadersSource {
  /** Node's merged header record (`req.headers`). */
  headers: Record<string, string | string[] | undefined>
  /** The headers as received, name and value alternating: read to spot a repeated header. */
  rawHeaders?: readonly string[]
  /** Every value of every header (Node 18.3+), used when a judged header is repeated. */
  headersDistinct?: Record<string, string[] | undefined>
}

/** What adapters read of a Node request beyond its headers (@hono/node-server's `c.env.incoming`). */
export interface NodeIncoming extends NodeHeadersSource {
  /** The request target as received (`/x?y`). */
  url?: string
  /** `encrypted` is true on a TLS socket: the request URL is then https. */
  socket?: NodeSocket
}

/** What is read of a Node socket: a `tls.TLSSocket` has `encrypted` and `getPeerCertificate`. */
export interface NodeSocket {
  /** True on a TLS socket (`tls.TLSSocket`); plain HTTP has no client certificate. */
  encrypted?: boolean
  /** The peer's certificate; `raw` is its DER (an empty object when the client sent none). */
  getPeerCertificate?(detailed?: boolean): { raw?: Uint8Array } | null | undefined
}

/**
 * The client certificate of a TLS socket for the core (RFC 8705 §3), read only when a token needs
 * it: `getPeerCertificate().raw`, the DER. Whether the certificate chains to a CA the server trusts
 * (`socket.authorized`) is not asked: a certificate-bound token is bound to one certificate, and the
 * TLS handshake has proven the client holds its private key (RFC 8705 §2.2 allows self-signed
 * certificates). A server that wants PKI validation sets `rejectUnauthorized: true` with its `ca`.
 *
 * @example
 * const clientCertificate = nodeClientCertificate(req.socket)
 */
export function nodeClientCertificate(value: unknown): ClientCertificate | undefined {
  // `unknown`: a net.Socket shares no member with NodeSocket, which TypeScript would refuse.
  const socket = value as NodeSocket | undefined
  if (socket?.encrypted !== true || typeof socket.getPeerCertificate !== 'function')
    return undefined
  return () => {
    const raw = socket.getPeerCertificate?.(false)?.raw
    return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined
  }
}

/**
 * The header record of a Node request for the core. Node's `req.headers` keeps only the first of a
 * repeated Authorization or Host header (and joins a repeated Origin), so a request that repeats one
 * of the headers the core judges gets `headersDistinct`, where the core sees every value and refuses;
 * every other request gets `req.headers`, which frameworks build anyway. `headersDistinct` is a
 * null-prototype object that cost several µs per request to build and to read (bench/README.md).
 *
 * @example
 * authenticator.authenticate({ method: req.method, url, headers: nodeRequestHeaders(req) })
 */
export function nodeRequestHeaders(req: NodeHeadersSource): HeadersLike {
  const raw = req.rawHeaders
  // headersDistinct is a getter that builds the object: it is read only when it is needed.
  if (raw === undefined) return req.headers
  let authorization = 0
  let host = 0
  let origin = 0
  let fetchSite = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    // Length first: most header names are ruled out without lower-casing them.
    if (name.length === 13 && name.toLowerCase() === 'authorization') authorization++
    else if (name.length === 4 && name.toLowerCase() === 'host') host++
    else if (name.length === 6 && name.toLowerCase() === 'origin') origin++
    else if (name.length === 14 && name.toLowerCase() === 'sec-fetch-site') fetchSite++
  }
  return authorization > 1 || host > 1 || origin > 1 || fetchSite > 1
    ? (req.headersDistinct ?? req.headers)
    : req.headers
}

/**
 * One header of a Node header record, as the client sent it: an own property only, so a polluted
 * `Object.prototype.host` is never taken for the request's Host. The first value of a list.
 *
 * @example
 * const host = ownHeader(req.headers, 'host')
 */
export function ownHeader(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  if (!Object.hasOwn(headers, name)) return undefined
  const value: unknown = headers[name]
  const first = Array.isArray(value) ? (value[0] as unknown) : value
  return typeof first === 'string' && first !== '' ? first : undefined
}

/**
 * The path and query of a request target. An absolute-form target (`GET http://other.example/x`,
 * RFC 9112 §3.2.2) names a host of the client's choosing: adapters take their own origin from Host
 * and only the path from the target, so every adapter compares CSRF origins the same way.
 *
 * @example
 * pathOf('http://other.example/x?y=1') // '/x?y=1'
 */
export function pathOf(target: string): string {
  if (target.startsWith('/')) return target
  try {
    const url = new URL(target)
    return `${url.pathname}${url.search}`
  } catch {
    // Not a URL either (asterisk-form, junk): kept as it is; the core treats it as a path-only URL.
    return target
  }
}

/**
 * The request for the core from a Node request behind a framework. The URL is absolute when a Host
 * is present, so the core can compare Origin for CSRF; `protocol` is the framework's (it honours its
 * proxy setting for X-Forwarded-Proto). The origin is always ours (Host, an own property only, so a
 * polluted `Object.prototype.host` is not the client's Host), also for an absolute-form target
 * (RFC 9112 §3.2.2), whose path alone is kept.
 *
 * Lazy (issue 17): the URL and the header record are built when a step first reads them, and
 * `protocol` may be a function, called then. A cache hit reads only the Authorization header; the
 * URL (Express's `req.protocol` walks its proxy settings, about 1.5 µs) is read only by CSRF, DPoP,
 * a custom extractor or a `skip` rule.
 *
 * @example
 * authenticator.authenticate(nodeRequestLike(req.method, () => req.protocol, req.originalUrl, req))
 */
export function nodeRequestLike(
  method: string,
  protocol: string | (() => string),
  target: string,
  req: NodeHeadersSource & { socket?: unknown },
): RequestLike {
  return new NodeRequest(method, protocol, target, req)
}

/** {@link nodeRequestLike}'s request: `url` and `headers` are getters that compute once. */
class NodeRequest implements RequestLike {
  readonly method: string
  readonly #protocol: string | (() => string)
  readonly #target: string
  readonly #req: NodeHeadersSource
  /** The TLS client certificate, for RFC 8705 §3 certificate-bound tokens (TLS only). */
  readonly clientCertificate?: ClientCertificate
  #url: string | undefined
  #headers: HeadersLike | undefined

  constructor(
    method: string,
    protocol: string | (() => string),
    target: string,
    req: NodeHeadersSource & { socket?: unknown },
  ) {
    this.method = method
    this.#protocol = protocol
    this.#target = target
    this.#req = req
    // Over TLS only (plain HTTP has no client certificate); read lazily by the binding check.
    if ((req.socket as NodeSocket | undefined)?.encrypted === true)
      this.clientCertificate = nodeClientCertificate(req.socket)
  }

  get url(): string {
    if (this.#url === undefined) {
      const host = ownHeader(this.#req.headers, 'host')
      const protocol = typeof this.#protocol === 'function' ? this.#protocol() : this.#protocol
      this.#url = host ? `${protocol}://${host}${pathOf(this.#target)}` : this.#target
    }
    return this.#url
  }

  // req.headers, or headersDistinct when a header the core judges is repeated (req.headers
  // silently drops a repeated Authorization); a serverless shim without them gets req.headers.
  get headers(): HeadersLike {
    return (this.#headers ??= nodeRequestHeaders(this.#req))
  }
}

/**
 * The request for the core from a Fetch-style framework (Hono). Behind a Node bridge that passes the
 * Node request as `env.incoming` (@hono/node-server), that request ({@link nodeServerRequestLike}):
 * its headers spare building a Fetch `Headers` per request (about 2 µs of a bare Hono request's
 * 20 µs, bench/README.md), and a repeated Authorization header stays visible. Elsewhere (Workers,
 * Deno, Bun) the Fetch Request as is; the core reads `request.cf` itself.
 *
 * @example
 * authenticator.authenticate(bridgedRequestLike(c.req.raw, c.env, () => c.req.url))
 */
export function bridgedRequestLike(request: Request, env: unknown, url: () => string): RequestLike {
  const incoming = (env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming
  if (!incoming?.headers || !incoming.rawHeaders) return request
  return nodeServerRequestLike(request.method, url, incoming as NodeIncoming)
}

/**
 * The key under which a setup built from a factory of `env` is kept ({@link setupPerKey}). The
 * Workers `env` is one object per isolate: the authenticator built for it serves every request. A
 * Node bridge's `env` (`{ incoming, outgoing }`) is new per request, and a test's `app.request()`
 * may pass none: those share one key (their options cannot come from bindings anyway).
 *
 * @example
 * const setup = setupFor(envKey(c.env), c)
 */
export function envKey(env: unknown): object {
  return typeof env === 'object' && env !== null && !('incoming' in env) ? env : NO_ENV
}
const NO_ENV = {}

/**
 * The request for the core from a Node request behind a framework that has built the absolute URL
 * itself (@hono/node-server's `c.env.incoming`, with `url` the framework's `c.req.url`, read only
 * when a step needs it). An absolute-form target (`POST http://other.example/x`, RFC 9112 §3.2.2)
 * is taken by such frameworks as the URL, origin included: CSRF would then find a cross-site Origin
 * "same-origin" with a target the client chose. So for that target, as in
 * {@link nodeRequestLike}, the origin comes from Host (and TLS) and only the path from the target.
 *
 * @example
 * authenticator.authenticate(nodeServerRequestLike(c.req.method, () => c.req.url, c.env.incoming))
 */
export function nodeServerRequestLike(
  method: string,
  url: () => string,
  incoming: NodeIncoming,
): RequestLike {
  return new NodeServerRequest(method, url, incoming)
}

/** {@link nodeServerRequestLike}'s request: the framework's URL for an origin-form target. */
class NodeServerRequest extends NodeRequest {
  readonly #frameworkUrl: () => string
  readonly #incoming: NodeIncoming
  #url: string | undefined

  constructor(method: string, url: () => string, incoming: NodeIncoming) {
    super(method, incoming.socket?.encrypted ? 'https' : 'http', incoming.url ?? '', incoming)
    this.#frameworkUrl = url
    this.#incoming = incoming
  }

  override get url(): string {
    if (this.#url === undefined) {
      const target = this.#incoming.url ?? ''
      if (target.startsWith('/')) return (this.#url = this.#frameworkUrl())
      const host = ownHeader(this.#incoming.headers, 'host')
      const protocol = this.#incoming.socket?.encrypted ? 'https' : 'http'
      this.#url = host ? `${protocol}://${host}${pathOf(target)}` : pathOf(target)
    }
    return this.#url
  }
}

/** What is written of a Node response (`http.ServerResponse`) by {@link nodeSend} and its kin. */
export interface NodeResponse {
  /** The status to send. */
  statusCode: number
  /** True once the head is sent: no status or header can be set now. */
  readonly headersSent: boolean
  /** True once the response is ended. */
  readonly writableEnded: boolean
  /** Sets one response header. */
  setHeader(name: string, value: string): unknown
  /** Sends the body and ends the response. */
  end(body: string): unknown
  /** Drops the connection. */
  destroy(): unknown
}

/**
 * True once a Node response has been started or sent by anyone (a timeout middleware's 503, say):
 * it can take no status or header now, and there is no one left to tell.
 *
 * @example
 * if (nodeAnswered(res)) return
 */
export function nodeAnswered(res: Pick<NodeResponse, 'headersSent' | 'writableEnded'>): boolean {
  return res.headersSent || res.writableEnded
}

/**
 * Writes an AuthError's response with Node's own `setHeader`/`end` (framework helpers such as
 * Express's `res.set` would append a charset to the content type, and `res.json` an ETag).
 *
 * @example
 * nodeSend(res, err)
 */
export function nodeSend(res: NodeResponse, err: AuthError): void {
  nodeWrite(res, plainResponse(err))
}

/**
 * Writes a plain response (an AuthError's, the RFC 9728 metadata document) with Node's own
 * `setHeader`/`end`, as {@link nodeSend} does: no charset or ETag of a framework's helpers.
 *
 * @example
 * metadataFor(setup, req.method, req.url)?.then((answer) => nodeWrite(res, answer))
 */
export function nodeWrite(
  res: Pick<NodeResponse, 'setHeader' | 'end'> & { statusCode: number },
  { status, headers, body }: PlainResponse,
): void {
  res.statusCode = status
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.end(body)
}

/**
 * A throw from the framework's `next()` or from rendering: `handOn` gives it to the framework once
 * if the response is still open, else the connection is dropped. It never becomes an unhandled
 * rejection, which would end the process (Node's default) and every other request with it.
 *
 * @example
 * promise.catch((err) => nodeLastResort(res, () => next(err)))
 */
export function nodeLastResort(res: NodeResponse, handOn: () => void): void {
  try {
    if (!nodeAnswered(res)) return handOn()
  } catch {
    // The framework's own error path threw: fall through and end the connection.
  }
  if (!res.writableEnded) res.destroy()
}
