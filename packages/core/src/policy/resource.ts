// OAuth 2.0 Protected Resource Metadata (RFC 9728): the document a client reads to find the
// authorization server of this API, where it is served, and the `resource_metadata` challenge.
import { SignJWT } from 'jose'
import { JWS_ALGORITHM_NAMES, jwsAlgorithm, misfit } from '../keys/algorithms.js'
import { describePrivateKey } from '../keys/private-key.js'
import type { KeyMaterial, ProtectedResource, ProtectedResourceOptions } from '../types.js'
import { rejectUnknownOptions } from '../util/options.js'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'
// camelCase option -> RFC 9728 §2 member, in the order the RFC lists them.
const MEMBERS = {
  authorizationServers: 'authorization_servers',
  jwksUri: 'jwks_uri',
  scopesSupported: 'scopes_supported',
  bearerMethodsSupported: 'bearer_methods_supported',
  resourceSigningAlgValuesSupported: 'resource_signing_alg_values_supported',
  resourceName: 'resource_name',
  resourceDocumentation: 'resource_documentation',
  resourcePolicyUri: 'resource_policy_uri',
  resourceTosUri: 'resource_tos_uri',
  tlsClientCertificateBoundAccessTokens: 'tls_client_certificate_bound_access_tokens',
  authorizationDetailsTypesSupported: 'authorization_details_types_supported',
  dpopSigningAlgValuesSupported: 'dpop_signing_alg_values_supported',
  dpopBoundAccessTokensRequired: 'dpop_bound_access_tokens_required',
} as const
const URL_MEMBERS = [
  'jwksUri',
  'resourceDocumentation',
  'resourcePolicyUri',
  'resourceTosUri',
] as const
const LIST_MEMBERS = [
  'scopesSupported',
  'resourceSigningAlgValuesSupported',
  'dpopSigningAlgValuesSupported',
  'authorizationDetailsTypesSupported',
] as const
const KNOWN = ['resource', ...Object.keys(MEMBERS), 'extra', 'signed', 'checkAudience']

/** What the rest of the options imply for the document's defaults. */
export interface ResourceContext {
  /** Tokens are read from the `Authorization` header. */
  header: boolean
  /** DPoP proof algorithms, when DPoP is on. */
  dpopAlgorithms: readonly string[] | undefined
  /** DPoP is required. */
  dpopRequired: boolean
}

/**
 * Validates `options.protectedResource` and builds the document once; undefined when not set.
 * Throws a TypeError naming the member and the fix.
 *
 * @example
 * resolveProtectedResource({ resource: 'https://api.example.com/mcp', authorizationServers: ['https://as.example.com'] }, ctx)
 */
export function resolveProtectedResource(
  raw: unknown,
  context: ResourceContext,
  path = 'options.protectedResource',
): ProtectedResource | undefined {
  if (raw === undefined) return undefined
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TypeError(
      `tokengate: ${path} must be an object such as { resource: 'https://api.example.com', authorizationServers: ['https://as.example.com'] }`,
    )
  const o = raw as Partial<ProtectedResourceOptions> & Record<string, unknown>
  rejectUnknownOptions(
    o,
    KNOWN,
    path,
    `${path} takes resource, ${Object.keys(MEMBERS).join(', ')}, extra, signed and checkAudience (RFC 9728 §2)`,
  )
  const resource = checkUrl(o.resource, `${path}.resource`, true)
  const document: Record<string, unknown> = { resource }
  if (o.authorizationServers !== undefined) {
    if (!Array.isArray(o.authorizationServers) || o.authorizationServers.length === 0)
      throw new TypeError(
        `tokengate: ${path}.authorizationServers must be a non-empty list of issuer URLs, e.g. ['https://as.example.com']`,
      )
    o.authorizationServers.forEach((url, i) =>
      checkUrl(url, `${path}.authorizationServers[${i}]`, true),
    )
  }
  for (const name of URL_MEMBERS) if (o[name] !== undefined) checkUrl(o[name], `${path}.${name}`)
  for (const name of LIST_MEMBERS) {
    const list = o[name]
    if (
      list !== undefined &&
      !(Array.isArray(list) && list.every((v) => typeof v === 'string' && v.length > 0))
    )
      throw new TypeError(`tokengate: ${path}.${name} must be a list of non-empty strings`)
  }
  if (o.bearerMethodsSupported !== undefined) {
    const methods = o.bearerMethodsSupported
    if (!Array.isArray(methods) || !methods.every((m) => ['header', 'body', 'query'].includes(m)))
      throw new TypeError(
        `tokengate: ${path}.bearerMethodsSupported must list RFC 6750 methods: 'header', 'body', 'query'`,
      )
  }
  for (const name of [
    'tlsClientCertificateBoundAccessTokens',
    'dpopBoundAccessTokensRequired',
    'checkAudience',
  ] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean')
      throw new TypeError(`tokengate: ${path}.${name} must be true or false`)
  }
  if (o.resourceName !== undefined && (typeof o.resourceName !== 'string' || !o.resourceName))
    throw new TypeError(`tokengate: ${path}.resourceName must be a non-empty string`)
  const defaults: Partial<Record<keyof typeof MEMBERS, unknown>> = {
    bearerMethodsSupported: context.header ? ['header'] : [],
    ...(context.dpopAlgorithms && {
      dpopSigningAlgValuesSupported: [...context.dpopAlgorithms],
      dpopBoundAccessTokensRequired: context.dpopRequired,
    }),
  }
  for (const [option, member] of Object.entries(MEMBERS) as [keyof typeof MEMBERS, string][]) {
    const value = o[option] ?? defaults[option]
    if (value !== undefined) document[member] = value
  }
  if (o.extra !== undefined) {
    if (typeof o.extra !== 'object' || o.extra === null || Array.isArray(o.extra))
      throw new TypeError(`tokengate: ${path}.extra must be an object of further metadata members`)
    for (const [member, value] of Object.entries(o.extra)) {
      if (member in document || member === 'signed_metadata')
        throw new TypeError(
          `tokengate: ${path}.extra.${member} is set by tokengate; use the option that names it instead`,
        )
      document[member] = value
    }
  }
  const sign = o.signed === undefined ? undefined : signer(o.signed, `${path}.signed`)

  const url = new URL(resource)
  // RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
  const suffix = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  const paths = suffix ? [WELL_KNOWN + suffix, WELL_KNOWN] : [WELL_KNOWN]
  let text: Promise<string> | undefined
  return {
    resource,
    metadataUrl: `${url.origin}${WELL_KNOWN}${suffix}`,
    paths,
    audience: o.checkAudience === false ? undefined : resource,
    document() {
      text ??= (async () =>
        JSON.stringify(sign ? { ...document, signed_metadata: await sign(document) } : document))()
      // A failed signing is not cached: the next request tries again.
      return text.catch((err: unknown) => {
        text = undefined
        throw err
      })
    },
  }
}

/**
 * The response an adapter sends for a GET or HEAD of a metadata path (RFC 9728 §3.2): the JSON
 * document, public and cacheable, readable cross-origin (a browser-based client discovers it too).
 *
 * @example
 * const res = await metadataResponse(resource)
 */
export async function metadataResponse(resource: ProtectedResource): Promise<{
  status: number
  headers: Record<string, string>
  body: string
}> {
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'public, max-age=3600',
      'access-control-allow-origin': '*',
    },
    body: await resource.document(),
  }
}

/** The path of a request target or URL, without query or fragment. */
function pathnameOf(url: string): string {
  const start = url.startsWith('/') ? 0 : url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const end = url.slice(start).search(/[?#]/)
  return end < 0 ? url.slice(start) : url.slice(start, start + end)
}

/**
 * True when a request is a GET or HEAD of one of the resource's metadata paths, which the
 * adapters answer before any authentication (the document is public, RFC 9728 §3).
 *
 * @example
 * if (isMetadataRequest(resource, req.method, req.originalUrl)) send(await metadataResponse(resource))
 */
export function isMetadataRequest(
  resource: ProtectedResource | undefined,
  method: string,
  url: string,
): resource is ProtectedResource {
  if (!resource || (method !== 'GET' && method !== 'HEAD')) return false
  return resource.paths.includes(pathnameOf(url))
}

function checkUrl(value: unknown, where: string, identifier = false): string {
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  const loopback = url !== undefined && /^(localhost|127\.0\.0\.1|\[::1\])$/.test(url.hostname)
  if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)))
    throw new TypeError(
      `tokengate: ${where} must be an https URL (http only for localhost), e.g. 'https://api.example.com'; got ${JSON.stringify(value)}`,
    )
  // RFC 9728 §2 and RFC 8707 §2: identifiers carry no fragment (and, for the resource, should
  // carry no query either); compared as strings, so the configured text is kept as given.
  if (identifier && (url.hash !== '' || (value as string).includes('#')))
    throw new TypeError(`tokengate: ${where} must not contain a fragment (RFC 9728 §2)`)
  if (identifier && url.search !== '')
    throw new TypeError(`tokengate: ${where} must not contain a query (RFC 9728 §1.2)`)
  return value as string
}

function signer(raw: unknown, where: string): (claims: Record<string, unknown>) => Promise<string> {
  if (typeof raw !== 'object' || raw === null)
    throw new TypeError(`tokengate: ${where} must be { signingKey, alg, issuer, kid? }`)
  const o = raw as Record<string, unknown>
  rejectUnknownOptions(
    o,
    ['signingKey', 'alg', 'issuer', 'kid'],
    where,
    `${where} takes { signingKey, alg, issuer, kid? }`,
  )
  const alg = o.alg
  // Public-key algorithms only: anyone must be able to check the signature with published keys.
  const asymmetric = JWS_ALGORITHM_NAMES.filter((name) => jwsAlgorithm(name)?.kty !== 'oct')
  if (typeof alg !== 'string' || !(asymmetric as readonly string[]).includes(alg))
    throw new TypeError(
      `tokengate: ${where}.alg must be one of ${asymmetric.join(', ')}; got ${JSON.stringify(alg)}`,
    )
  // RFC 9728 §2.2: signed metadata must say who vouches for it.
  if (typeof o.issuer !== 'string' || o.issuer.length === 0)
    throw new TypeError(
      `tokengate: ${where}.issuer is required: the iss of the signed metadata (RFC 9728 §2.2)`,
    )
  if (o.kid !== undefined && (typeof o.kid !== 'string' || o.kid.length === 0))
    throw new TypeError(`tokengate: ${where}.kid must be a non-empty string`)
  const key = describePrivateKey(o.signingKey as KeyMaterial, `${where}.signingKey`)
  const unfit = misfit(key.shape, alg)
  if (unfit !== undefined)
    throw new TypeError(`tokengate: ${where}.signingKey does not fit ${alg}: ${unfit}`)
  const kid = (o.kid as string | undefined) ?? key.kid
  const issuer = o.issuer
  return async (claims) =>
    new SignJWT({ ...claims, iss: issuer })
      .setProtectedHeader({ alg, ...(kid !== undefined && { kid }) })
      .setIssuedAt()
      .sign(await key.load(alg))
}
