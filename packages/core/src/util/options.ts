// The one refusal of a misspelt or unsupported option, so every resolver words it alike.

/**
 * Throws when `value` has members outside `known`: a misspelt option (`require: true`) must not
 * silently weaken the policy. `where` is the object's option path, `takes` says what it accepts.
 *
 * @example
 * rejectUnknownOptions(options.dpop, ['mode', 'maxAge'], 'options.dpop', 'options.dpop takes { mode, maxAge }')
 */
export function rejectUnknownOptions(
  value: object,
  known: readonly string[],
  where: string,
  takes: string,
): void {
  const unknown = Object.keys(value).filter((name) => !known.includes(name))
  if (unknown.length > 0)
    throw unknownOptionError(
      unknown.map((name) => `${where}.${name}`),
      takes,
    )
}

/**
 * The error for unknown options, by their full paths: `tokengate: unknown option <paths>: <fix>`.
 *
 * @example
 * throw unknownOptionError(['options.algorithm'], 'check the spelling against the documented options')
 */
export function unknownOptionError(paths: readonly string[], fix: string): TypeError {
  // Another library's name (express-jwt's `secret`...) says what tokengate calls it instead.
  const hints = paths.flatMap((path) => {
    const hint = migrationHint(path)
    return hint === undefined ? [] : [paths.length === 1 ? hint : `${path}: ${hint}`]
  })
  const rest = hints.length < paths.length ? [fix] : []
  return new TypeError(
    `tokengate: unknown option ${paths.join(', ')}: ${[...hints, ...rest].join('; ')}`,
  )
}

/**
 * Refuses an `isRevoked` hook written for express-jwt (`(req, token)`) or koa-jwt
 * (`(ctx, decoded, token)`): tokengate passes one argument, the verified context, so a second
 * parameter would read `undefined` on every request.
 *
 * @example
 * checkIsRevokedHook(options.isRevoked, 'options.isRevoked')
 */
export function checkIsRevokedHook(hook: unknown, path: string): void {
  if (typeof hook === 'function' && hook.length > 1)
    throw new TypeError(
      `tokengate: ${path} takes one argument, the verified context: (ctx) => boolean | Promise<boolean>, reading ctx.payload (jti, sub...) and ctx.token; express-jwt's isRevoked(req, token) and koa-jwt's isRevoked(ctx, decoded, token) must be rewritten`,
    )
}

// ── migration hints (issue 15) ──────────────────────────────────────────────────────────────────
// Apps come from express-jwt 8 (+ jsonwebtoken's verify options), koa-jwt 4, jwks-rsa, Hono's
// jwt()/jwk() and express-oauth2-jwt-bearer. Their option names, written here by habit, are refused
// like any unknown option, but the message says what tokengate calls it. `where` is the object the
// name may appear in: the options themselves, a remote key (`options.key`, `options.issuers.N.key`),
// or an adapter's options.
type Where = 'options' | 'key' | 'adapter'

const SECRET =
  "the verification key is options.key here (express-jwt, koa-jwt, Hono jwt() and @fastify/jwt's secret): a secret, PEM, JWK, { jwks }, { jwksUri } or { discovery }; a key-loading function (jwks-rsa's expressJwtSecret / koaJwtSecret) becomes key: { jwksUri }, and keys chosen per tenant become options.issuers as a function (koa-jwt's own key, the state property, is the adapter option property)"
const JWKS_CACHE =
  'jwks-rsa caching and rate limiting are built in: fetched keys are kept for cacheMaxAge (a duration, default 10m) and refetches for an unknown kid are limited by cooldown (default 30s)'
const NOT_CHECKED_AWAY =
  'tokengate has no switch to skip this check: exp and nbf are always enforced (clockTolerance gives leeway; requireExp: false accepts tokens without exp)'

const HINTS: Readonly<Record<string, readonly (readonly [Where, string])[]>> = {
  // express-jwt 8
  secret: [['options', SECRET]],
  credentialsRequired: [
    [
      'options',
      "express-jwt's credentialsRequired: false is optional: true (a request without a token gets no context); credentialsRequired: true is the default",
    ],
  ],
  requestProperty: [
    [
      'options',
      "express-jwt's requestProperty is the adapter option property: tokengate(options, { property: 'user' }) sets req.user",
    ],
  ],
  getToken: [
    [
      'options',
      "express-jwt's and koa-jwt's getToken is from.custom: (request) => string | undefined, given { method, url, headers: Headers }; for a cookie use from: { cookie: 'name' } (with the CSRF check)",
    ],
  ],
  onExpired: [
    [
      'options',
      "express-jwt's onExpired has no equivalent: an expired token is always 401 token_expired; handle it with onError: 'delegate' (err.code === 'token_expired') or passthrough: true (the code is in req.authError)",
    ],
  ],
  // jsonwebtoken's verify options, which express-jwt and koa-jwt pass through
  maxAge: [['options', "jsonwebtoken's maxAge is maxTokenAge (a duration such as '1h')"]],
  ignoreExpiration: [['options', NOT_CHECKED_AWAY]],
  ignoreNotBefore: [['options', NOT_CHECKED_AWAY]],
  clockTimestamp: [
    ['options', "jsonwebtoken's clockTimestamp has no equivalent: tokengate reads the clock"],
  ],
  subject: [
    [
      'options',
      "jsonwebtoken's subject has no option: check it with a claims schema (claims: z.object({ sub: z.literal('…') })) or requireClaims",
    ],
  ],
  jwtid: [
    [
      'options',
      "jsonwebtoken's jwtid has no option: check it with a claims schema, or revoke tokens with options.revocation",
    ],
  ],
  nonce: [
    [
      'options',
      "jsonwebtoken's nonce is an ID token claim (OpenID Connect); tokengate verifies access tokens",
    ],
  ],
  complete: [
    [
      'options',
      "jsonwebtoken's complete is always on: the context has payload and protectedHeader (and token)",
    ],
  ],
  allowInvalidAsymmetricKeyTypes: [
    ['options', 'a key must fit every listed algorithm (RFC 8725 §3.1); there is no override'],
  ],
  // koa-jwt 4
  tokenKey: [
    [
      'options',
      "koa-jwt's tokenKey has no equivalent: the raw token is ctx.state.auth.token (req.auth.token, c.get('auth').token)",
    ],
  ],
  debug: [
    [
      'options',
      "koa-jwt's debug has no equivalent: every refusal carries a stable code and a description in its JSON body",
    ],
  ],
  cookie: [
    [
      'options',
      "koa-jwt's and Hono's cookie is from.cookie: from: { cookie: 'name' } (cookie tokens get a CSRF check; signed cookies are not read)",
    ],
  ],
  // Hono jwt() / jwk()
  alg: [
    [
      'options',
      "Hono's alg is algorithms, a list: algorithms: ['HS256'] (one family per authenticator)",
    ],
  ],
  headerName: [
    [
      'options',
      "Hono's headerName: tokengate reads Authorization: Bearer; another header is from.custom: (req) => req.headers.get('x-auth') ?? undefined",
    ],
  ],
  verification: [
    [
      'options',
      "Hono's verification: iss is issuer, aud is audience (exact strings, no RegExp); exp, nbf and iat are always checked",
    ],
  ],
  keys: [['options', "Hono jwk()'s keys is key: { jwks: { keys: [...] } }"]],
  jwks_uri: [
    ['options', "Hono jwk()'s jwks_uri is key: { jwksUri: '…' }"],
    ['key', "Hono jwk()'s jwks_uri is jwksUri here"],
  ],
  allow_anon: [['options', "Hono jwk()'s allow_anon is optional: true"]],
  init: [
    ['options', "Hono jwk()'s init: request headers for the key set are key: { jwksUri, headers }"],
  ],
  // jwks-rsa, at the top level or inside key
  jwksUri: [
    [
      'options',
      "jwks-rsa's and express-oauth2-jwt-bearer's jwksUri goes inside key: key: { jwksUri: '…' }",
    ],
  ],
  cache: [['key', JWKS_CACHE]],
  cacheMaxEntries: [['key', JWKS_CACHE]],
  rateLimit: [['key', JWKS_CACHE]],
  jwksRequestsPerMinute: [['key', JWKS_CACHE]],
  requestHeaders: [['key', "jwks-rsa's requestHeaders is headers"]],
  requestAgent: [
    ['key', "jwks-rsa's requestAgent has no equivalent: keys are fetched with the runtime's fetch"],
  ],
  proxy: [['key', "jwks-rsa's proxy has no equivalent: keys are fetched with the runtime's fetch"]],
  fetcher: [
    ['key', "jwks-rsa's fetcher has no equivalent: give the keys as { jwks } or a { jwksUri }"],
  ],
  getKeysInterceptor: [
    ['key', "jwks-rsa's getKeysInterceptor: give local keys as key: { jwks: { keys } } instead"],
  ],
  handleSigningKeyError: [
    [
      'key',
      "jwks-rsa's handleSigningKeyError has no equivalent: an unknown kid is 401 key_not_found, a key server that fails is 503 keys_unavailable",
    ],
  ],
  // express-oauth2-jwt-bearer (auth())
  issuerBaseURL: [
    [
      'options',
      "express-oauth2-jwt-bearer's issuerBaseURL is key: { discovery: '…' } (issuer then defaults to the discovered one)",
    ],
  ],
  tokenSigningAlg: [
    ['options', "express-oauth2-jwt-bearer's tokenSigningAlg is algorithms: ['RS256']"],
  ],
  authRequired: [['options', "express-oauth2-jwt-bearer's authRequired: false is optional: true"]],
  timeoutDuration: [
    [
      'options',
      "express-oauth2-jwt-bearer's timeoutDuration is key: { jwksUri, timeout } (a duration)",
    ],
  ],
  strict: [['options', "express-oauth2-jwt-bearer's strict (RFC 9068 tokens) is typ: 'at+jwt'"]],
  validators: [
    [
      'options',
      "express-oauth2-jwt-bearer's validators: use a claims schema (claims: z.object(…))",
    ],
  ],
}

/**
 * The hint for an unknown member at `path` (`options.secret`, `options.key.cache`,
 * `adapterOptions.requestProperty`) when its name is another library's option; else undefined.
 *
 * @example
 * migrationHint('options.credentialsRequired') // "express-jwt's credentialsRequired: false is optional: true ..."
 */
export function migrationHint(path: string): string | undefined {
  const dot = path.lastIndexOf('.')
  const name = path.slice(dot + 1)
  if (!Object.hasOwn(HINTS, name)) return undefined
  const parent = path.slice(0, dot)
  const where: Where | undefined =
    parent === 'options'
      ? 'options'
      : parent === 'adapterOptions'
        ? 'adapter'
        : /(^|\.)key$/.test(parent)
          ? 'key'
          : undefined
  const hints = HINTS[name]!
  // express-jwt had one options object: its requestProperty may land in the adapter's options too.
  return (
    hints.find(([at]) => at === where)?.[1] ??
    (where === 'adapter' ? hints.find(([at]) => at === 'options')?.[1] : undefined)
  )
}
