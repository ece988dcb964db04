// The testkit's one base64url codec (RFC 7515 §2: the URL-safe alphabet, no padding). Every token
// builder here and every suite that spells a segment by hand uses it, so all tests agree on it.
const encoder = new TextEncoder()

/** base64url without padding of text (UTF-8), bytes, or any other value as its JSON text. */
export function b64url(input: string | Uint8Array | object): string {
  const bytes =
    typeof input === 'string'
      ? encoder.encode(input)
      : input instanceof Uint8Array
        ? input
        : encoder.encode(JSON.stringify(input))
  return globalThis.Buffer.from(bytes).toString('base64url')
}

/** Decodes a base64url segment to text (UTF-8). */
export function fromB64url(segment: string): string {
  return globalThis.Buffer.from(segment, 'base64url').toString('utf8')
}

/** Decodes a base64url segment to bytes. */
export function b64urlBytes(segment: string): Uint8Array {
  return new Uint8Array(globalThis.Buffer.from(segment, 'base64url'))
}
