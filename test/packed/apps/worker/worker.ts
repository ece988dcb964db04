// A Hono Worker as a Cloudflare user writes it, bundled from the installed tarballs for workerd.
import { Hono } from 'hono'
import { tokengate, type AuthVariables } from '@tokengate/hono'

declare const __JWKS__: { keys: Record<string, unknown>[] }

const app = new Hono<{ Variables: AuthVariables }>()
app.use(
  '/api/*',
  tokengate({
    algorithms: ['ES256'],
    key: { jwks: __JWKS__ },
    issuer: 'https://issuer.test',
    audience: 'https://api.test',
  }),
)
app.get('/api/me', (c) => c.json({ sub: c.get('auth').payload.sub }))
export default app
