// The MCP SDK client as an application embeds it: its OAuth provider (registration, tokens, PKCE)
// with the "browser" step played by the authorization server's driver.
import {
  UnauthorizedError,
  type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import type { AuthorizationServer } from './authorization-server.js'

const REDIRECT = 'http://127.0.0.1:1/callback'

/** What an MCP client application keeps: registration, tokens, PKCE verifier; the "browser" is the AS driver. */
export class TestClientProvider implements OAuthClientProvider {
  constructor(private readonly as: AuthorizationServer) {}
  client: OAuthClientInformationMixed | undefined
  saved: OAuthTokens | undefined
  verifier = ''
  /** The authorization requests the client sent the user to. */
  readonly authorizations: URL[] = []
  /** The redirect back to the client, carrying the code, of the last authorization. */
  callback: URL | undefined
  get redirectUrl() {
    return REDIRECT
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'tokengate MCP test client',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    } as OAuthClientMetadata
  }
  clientInformation() {
    return this.client
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info
  }
  tokens() {
    return this.saved
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens
  }
  async redirectToAuthorization(url: URL) {
    this.authorizations.push(url)
    this.callback = await this.as.authorize(url)
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier
  }
  codeVerifier() {
    return this.verifier
  }
}

/** Connects as an MCP client would: on UnauthorizedError, finish the authorization with the code and retry. */
export async function withAuthorization<T>(
  provider: TestClientProvider,
  transport: () => StreamableHTTPClientTransport,
  run: (client: Client, transport: StreamableHTTPClientTransport) => Promise<T>,
): Promise<T> {
  let t = transport()
  let client = new Client({ name: 'test', version: '1.0.0' })
  try {
    await client.connect(t)
    return await run(client, t)
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || !provider.callback) throw err
    const code = provider.callback.searchParams.get('code')
    if (!code) throw new Error(`the authorization server answered ${provider.callback.search}`)
    provider.callback = undefined
    await t.finishAuth(code!)
    await client.close()
    t = transport()
    client = new Client({ name: 'test', version: '1.0.0' })
    await client.connect(t)
    return await run(client, t)
  } finally {
    await client.close()
  }
}

/** The text of a tool result's first content item. */
export const text = (result: unknown): string =>
  (result as { content: Array<{ type: string; text: string }> }).content[0]!.text
