// The one fixture model of the HTTP suites: the security corpus (test/security/cases.ts
// `buildFixtures`) and the conformance table (test/conformance/fixtures.ts `makeFixtures`) draw
// their keys and constants from here, and run on the one driver list (`allDrivers`,
// test/support/workers.ts).
//
// How a suite extends it: a key both suites (or several test files) need is a new named entry in
// `testKeys()` (one `keysFor` call with a `kid` of its own); a suite-only value (an attacker
// server's origin, a password, a per-run clock) stays in that suite's fixtures, built on top of
// `testKeys()`. A new constant goes in the suite's block below when its value is part of that
// suite's expectations, in the shared block when it is not.
import { keysFor, type TestKeys } from '@tokengate/testkit'

// ---- shared constants --------------------------------------------------------------------------

/** The host every issuer below names; the issuers differ on purpose (see the suite blocks). */
export const ISSUER_HOST = 'issuer.example.test'

// ---- security corpus (test/security) -----------------------------------------------------------

/**
 * The corpus's issuer ends in '/' on purpose: the case "iss differing by a trailing slash (exact
 * match)" sends it without the slash and expects `claim_invalid` (RFC 7519 §4.1.1: `iss` is a
 * StringOrURI compared as a case-sensitive string, no URI normalisation).
 */
export const CORPUS_ISSUER = `https://${ISSUER_HOST}/`
export const CORPUS_AUDIENCE = 'https://api.example.test'
/** An issuer the corpus trusts next to `CORPUS_ISSUER` (profile `issuers`). */
export const CORPUS_OTHER_ISSUER = 'https://other-issuer.example.test/'

// ---- conformance table (test/conformance) -------------------------------------------------------

/**
 * The conformance table's issuer has no trailing slash and its audience is a URN-like `api://`
 * string: both are in the claims every scenario signs and expects back (scenarios.ts `claims`), so
 * they stay as the table was written rather than being unified with the corpus's.
 */
export const CONFORMANCE_ISSUER = `https://${ISSUER_HOST}`
export const CONFORMANCE_AUDIENCE = 'api://conformance'
/** The stacked second authenticator's issuer and audience (setup `stacked`). */
export const CONFORMANCE_OTHER_ISSUER = 'https://other-issuer.example.test'
export const CONFORMANCE_OTHER_AUDIENCE = 'api://other'

// ---- the keyring ---------------------------------------------------------------------------------

/** The named keys of both suites. Each `kid` is what the suite's expectations were written with. */
export interface TestKeyring {
  // security corpus
  /** RS256, kid `rsa-1`: the corpus's main signing key (profiles rs, jwks, issuers, ps). */
  rsa: TestKeys
  /** RS256, kid `rsa-other`: a second RSA key (key confusion, wrong key). */
  rsaOther: TestKeys
  /** ES256, kid `ec-1`. */
  ec: TestKeys
  /** ES384, kid `ec384-1`. */
  ec384: TestKeys
  /** EdDSA, kid `ed-1`. */
  ed: TestKeys
  /** RSA-OAEP-256, kid `enc-rsa-1`: the corpus's JWE recipient. */
  encRsa: TestKeys
  /** RSA-OAEP-256, kid `enc-rsa-other`: a recipient the server does not hold. */
  encRsaOther: TestKeys
  /** ECDH-ES, kid `enc-ec-1`. */
  encEc: TestKeys
  // conformance table
  /** ES256, kid `sig-1`: the table's signing key. */
  sig: TestKeys
  /** Same algorithm and `kid` as `sig`, different key: what a forger holds. */
  forger: TestKeys
  /** HS256, kid `hmac-1`. */
  hmac: TestKeys
  /** ECDH-ES+A256KW, kid `enc-1`: the table's JWE recipient. */
  enc: TestKeys
  /** Same algorithm and `kid` as `enc`, different key. */
  otherEnc: TestKeys
}

let keyring: Promise<TestKeyring> | undefined

/** The keyring, built once per process (key generation is the slow part of a suite's start). */
export function testKeys(): Promise<TestKeyring> {
  keyring ??= buildKeyring()
  return keyring
}

async function buildKeyring(): Promise<TestKeyring> {
  const [rsa, rsaOther, ec, ec384, ed, encRsa, encRsaOther, encEc] = await Promise.all([
    keysFor('RS256', { kid: 'rsa-1' }),
    keysFor('RS256', { label: 'other', kid: 'rsa-other' }),
    keysFor('ES256', { kid: 'ec-1' }),
    keysFor('ES384', { kid: 'ec384-1' }),
    keysFor('EdDSA', { kid: 'ed-1' }),
    keysFor('RSA-OAEP-256', { kid: 'enc-rsa-1' }),
    keysFor('RSA-OAEP-256', { label: 'other', kid: 'enc-rsa-other' }),
    keysFor('ECDH-ES', { kid: 'enc-ec-1' }),
  ])
  const [sig, forger, hmac, enc, otherEnc] = await Promise.all([
    keysFor('ES256', { kid: 'sig-1' }),
    keysFor('ES256', { kid: 'sig-1', label: 'forger' }),
    keysFor('HS256', { kid: 'hmac-1' }),
    keysFor('ECDH-ES+A256KW', { kid: 'enc-1' }),
    keysFor('ECDH-ES+A256KW', { kid: 'enc-1', label: 'other' }),
  ])
  return {
    rsa,
    rsaOther,
    ec,
    ec384,
    ed,
    encRsa,
    encRsaOther,
    encEc,
    sig,
    forger,
    hmac,
    enc,
    otherEnc,
  }
}
