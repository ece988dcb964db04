// The introspection answer (RFC 7662 §2.2), as JSON or as a signed JWT (RFC 9701 §5), read strictly.
import { AuthError } from '../errors.js'
import { normalizeTyp, parsePayload } from '../token/claims.js'
import { tokenShape } from '../token/compact.js'
import { verifyJws, type SignatureCheck } from '../token/jws.js'
import { EndpointError, type RawAnswer } from './http.js'
import type { IntrospectionConfig } from './options.js'

/** The authorization server's verdict: inactive, or active with its claims (the JSON members). */
export type Answer =
  { active: false } | { active: true; claims: Readonly<Record<string, unknown>>; bytes: number }

export const JWT_MEDIA_TYPE = 'application/token-introspection+jwt'

/**
 * Reads an answer. Anything but a JSON object with a boolean `active`, in the media type asked for,
 * is an {@link EndpointError} (503): a garbled answer must never let a token in, nor refuse a token
 * the server would accept. A JWT answer must verify with the issuer's keys, be typed
 * `token-introspection+jwt`, come from the issuer, and name this resource server when it names an
 * audience (RFC 9701 §5).
 */
export async function readAnswer(
  raw: RawAnswer,
  config: IntrospectionConfig,
  checkSignature: SignatureCheck,
): Promise<Answer> {
  let object: Record<string, unknown>
  if (config.jwtResponse) {
    // Asking for a signed answer and taking an unsigned one would let anyone on the path forge it.
    if (raw.mediaType !== JWT_MEDIA_TYPE)
      throw new EndpointError(`the introspection answer is not ${JWT_MEDIA_TYPE} (RFC 9701 §5)`)
    object = await verifiedJwtAnswer(raw.text.trim(), config, checkSignature)
  } else {
    if (raw.mediaType !== 'application/json')
      throw new EndpointError('the introspection answer is not application/json (RFC 7662 §2.2)')
    let parsed: unknown
    try {
      parsed = JSON.parse(raw.text)
    } catch {
      throw new EndpointError('the introspection answer is not JSON')
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new EndpointError('the introspection answer is not a JSON object (RFC 7662 §2.2)')
    object = parsed as Record<string, unknown>
  }
  if (typeof object.active !== 'boolean')
    throw new EndpointError('the introspection answer has no boolean active member (RFC 7662 §2.2)')
  if (!object.active) return { active: false }
  // RFC 7662 §2.2: iss is optional. The server that vouches for the token is its issuer then.
  const claims =
    object.iss === undefined && config.asIssuer !== undefined
      ? { ...object, iss: config.asIssuer }
      : object
  return { active: true, claims: deepFreeze(claims), bytes: raw.text.length }
}

async function verifiedJwtAnswer(
  jwt: string,
  config: IntrospectionConfig,
  checkSignature: SignatureCheck,
): Promise<Record<string, unknown>> {
  const { keys, algorithms } = config.jwtResponse!
  let payload: Record<string, unknown>
  let typ: unknown
  try {
    if (tokenShape(jwt) !== 'jws') throw new EndpointError('the introspection answer is not a JWS')
    const verified = await verifyJws(jwt, keys, algorithms, checkSignature)
    payload = parsePayload(verified.payload)
    typ = verified.protectedHeader.typ
  } catch (cause) {
    if (cause instanceof EndpointError) throw cause
    throw new EndpointError(
      'the signed introspection answer does not verify with the issuer keys',
      { cause },
    )
  }
  if (typeof typ !== 'string' || normalizeTyp(typ) !== 'token-introspection+jwt')
    throw new EndpointError(
      'the signed introspection answer is not typed token-introspection+jwt (RFC 9701 §5)',
    )
  if (payload.iss !== config.asIssuer)
    throw new EndpointError('the signed introspection answer is not from the issuer (RFC 9701 §5)')
  const aud = payload.aud
  if (aud !== undefined) {
    const list = Array.isArray(aud) ? aud : [aud]
    if (!list.some((a) => typeof a === 'string' && config.audiences.includes(a)))
      throw new EndpointError(
        'the signed introspection answer is for another audience (RFC 9701 §5)',
      )
  }
  const inner = payload.token_introspection
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner))
    throw new EndpointError(
      'the signed introspection answer has no token_introspection object (RFC 9701 §5)',
    )
  return inner as Record<string, unknown>
}

/**
 * The checks that make an introspected token an access token for this API, run on every use
 * (cache hits too). RFC 7662 §2.2 `token_type` names the kind of access token; Hydra's `token_use`
 * says access or refresh token. A refresh token is never accepted as an access token.
 */
export function checkAccessToken(claims: Readonly<Record<string, unknown>>): void {
  const type = claims.token_type
  if (
    type !== undefined &&
    (typeof type !== 'string' || !ACCESS_TOKEN_TYPES.has(type.toLowerCase()))
  )
    throw new AuthError(
      'claim_invalid',
      'the introspected token is not an access token (token_type)',
    )
  const use = claims.token_use
  if (use !== undefined && use !== 'access_token')
    throw new AuthError(
      'claim_invalid',
      'the introspected token is not an access token (token_use)',
    )
}

// RFC 6750 Bearer, RFC 9449 DPoP, and N_A (RFC 8693 §3) for servers that report no type.
const ACCESS_TOKEN_TYPES = new Set(['bearer', 'dpop', 'n_a'])

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}
