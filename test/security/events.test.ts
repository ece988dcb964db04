// The hostile-token corpus through decision events (issue 16): every refusal's event names the
// step that decided and the case's code and status, and no event (explain mode included) holds the
// token, a key or a secret. Guard codes are asserted per framework in test/conformance/events.test.ts.
import {
  createAuthenticator,
  type AuthErrorCode,
  type AuthenticatorOptions,
  type DecisionEvent,
  type DecisionStep,
} from '@tokengate/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { DriverRequest } from '../support/drivers.js'
import { buildFixtures, controls, corpus, profileOptions, type Fixtures } from './cases.js'
import { startJwksServer, type JwksServer } from './support/jwks-server.js'
import { keySecrets, tokenFragments } from './support/leaks.js'

// Where each code can be raised: the extraction, the opening of a JWS (verify) or JWE (decrypt),
// or the claim checks (a JWE's plaintext claims are checked at decrypt's end, still 'claims').
const STEPS: Partial<Record<AuthErrorCode, DecisionStep[]>> = {
  token_missing: ['extract'],
  invalid_request: ['extract'],
  multiple_tokens: ['extract'],
  token_too_large: ['extract'],
  token_malformed: ['verify', 'decrypt'],
  alg_not_allowed: ['verify', 'decrypt'],
  signature_invalid: ['verify'],
  signature_required: ['decrypt'],
  encryption_required: ['decrypt'],
  decryption_failed: ['decrypt'],
  key_not_found: ['verify', 'decrypt'],
  kid_required: ['decrypt'],
  issuer_unknown: ['verify'],
  token_expired: ['claims'],
  token_not_yet_valid: ['claims'],
  claim_invalid: ['claims', 'decrypt'],
}

let fx: Fixtures
let attackerServer: JwksServer
let secrets: string[]
beforeAll(async () => {
  attackerServer = await startJwksServer()
  fx = await buildFixtures(attackerServer.origin)
  attackerServer.setKeys({ keys: [fx.attacker.publicJwk] })
  secrets = keySecrets(
    [fx.rsa, fx.rsaOther, fx.ec, fx.ec384, fx.ed, fx.encRsa, fx.encRsaOther, fx.encEc],
    [fx.dirKey, fx.password],
  )
})
afterAll(async () => {
  await attackerServer.close()
})

const asRequest = (r: DriverRequest) => ({
  method: r.method ?? 'GET',
  url: r.path,
  headers: { host: 'api.example.test', ...r.headers },
})

describe.each([false, true])('explain: %s', (explain) => {
  it.each(corpus.filter((c) => STEPS[c.code] !== undefined))('refused: $name', async (c) => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const events: DecisionEvent[] = []
    const authenticator = createAuthenticator({
      ...profileOptions(c.profile, fx),
      cache: false,
      explain,
      onDecision: (e) => events.push(e),
    } as AuthenticatorOptions)
    const request = await c.request(fx)
    const err = await authenticator.authenticate(asRequest(request)).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err, 'refused').toBeDefined()
    expect(events).toHaveLength(1)
    const event = events[0]!
    expect({ outcome: event.outcome, code: event.code, status: event.status }).toEqual({
      outcome: 'refused',
      code: c.code,
      status: c.status,
    })
    expect(STEPS[c.code]).toContain(event.step)
    // Explained once a token was read (a refusal at extract has nothing to explain).
    expect(event.explain !== undefined).toBe(explain && event.step !== 'extract')
    const json = JSON.stringify(event)
    const needles = explain ? secrets : [...secrets, ...tokenFragments(request)]
    expect(needles.filter((n) => json.includes(n))).toEqual([])
  })
})

it.each(controls)('accepted (control): $name', async (c) => {
  const events: DecisionEvent[] = []
  const authenticator = createAuthenticator({
    ...profileOptions(c.profile, fx),
    onDecision: (e) => events.push(e),
  } as AuthenticatorOptions)
  await authenticator.authenticate(asRequest(await c.request(fx)))
  expect(events).toEqual([expect.objectContaining({ outcome: 'accepted', subject: 'alice' })])
})
