// An Express app in TypeScript typing req.auth from a zod schema (Register augmentation); compiled
// with `module: commonjs` (node10 resolution) and with `moduleResolution: bundler`.
import express from 'express'
import { z } from 'zod'
import { requireClaims, tokengate } from '@tokengate/express'
import { createAuthenticator, isAuthError, type AuthErrorCode } from '@tokengate/core'

export const claims = z.object({ sub: z.string(), tenant: z.string(), level: z.number() })

declare module '@tokengate/express' {
  interface Register {
    claims: z.output<typeof claims>
  }
}

export const app = express()
app.use(
  tokengate({
    algorithms: ['ES256'],
    key: { jwksUri: 'https://issuer.example/.well-known/jwks.json' },
    issuer: 'https://issuer.example/',
    audience: 'https://api.example/',
    claims,
  }),
)
app.get(
  '/tenant',
  requireClaims((payload) => payload.tenant === 'acme'),
  (req, res) => {
    const tenant: string = req.auth!.payload.tenant
    const level: number = req.auth!.payload.level
    res.json({ tenant, level })
  },
)
app.use(
  (err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (!isAuthError(err)) return next(err)
    const code: AuthErrorCode = err.code
    res.status(err.status).json({ code })
  },
)

export const authenticator = createAuthenticator({
  algorithms: ['HS256'],
  key: 'a-secret-of-at-least-thirty-two-bytes!!',
})
