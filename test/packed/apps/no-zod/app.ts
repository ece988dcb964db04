// A TypeScript Express app without zod installed and without a claims schema: the published
// declarations must not need zod (checked with skipLibCheck off, so a missing module would fail).
import express from 'express'
import { tokengate } from '@tokengate/express'
import { createAuthenticator, type ClaimsSchema } from '@tokengate/core'

export const app = express()
app.use(tokengate({ algorithms: ['ES256'], key: { jwksUri: 'https://issuer.example/jwks' } }))
app.get('/me', (req, res) => {
  const sub: string | undefined = req.auth?.payload.sub
  res.json({ sub })
})
export const authenticator = createAuthenticator({
  algorithms: ['HS256'],
  key: 'a-secret-of-at-least-thirty-two-bytes!!',
})
// The structural type a zod schema fits, nameable without zod.
export type Schema = ClaimsSchema<{ sub: string }>
