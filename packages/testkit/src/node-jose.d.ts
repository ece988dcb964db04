// Minimal typings for node-jose (it ships none): only what the foreign-token builders use.
declare module 'node-jose' {
  interface NodeJoseKey {
    kid: string
    alg?: string
    toJSON(includePrivate?: boolean): Record<string, unknown>
  }
  interface Finalizer {
    update(data: string | Uint8Array, encoding?: string): Finalizer
    final(): Promise<string>
  }
  interface Recipient {
    key: NodeJoseKey
    header?: Record<string, unknown>
    reference?: boolean | string
  }
  interface EncryptOptions {
    format?: 'compact' | 'flattened' | 'general'
    contentAlg?: string
    zip?: boolean | 'DEF'
    fields?: Record<string, unknown>
    protect?: string[] | '*'
  }
  interface SignOptions {
    format?: 'compact' | 'flattened' | 'general'
    alg?: string
    fields?: Record<string, unknown>
  }
  const jose: {
    JWK: {
      asKey(jwk: Record<string, unknown> | string, form?: string): Promise<NodeJoseKey>
    }
    JWE: {
      createEncrypt(options: EncryptOptions, key: NodeJoseKey | Recipient | Recipient[]): Finalizer
    }
    JWS: {
      createSign(options: SignOptions, key: NodeJoseKey | Recipient | Recipient[]): Finalizer
    }
  }
  export default jose
}
