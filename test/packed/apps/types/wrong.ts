// Must NOT compile: `tenant` is a string in the registered claims (the scratch test expects TS2322
// here, proving the schema's types reach req.auth rather than `any`).
import { app } from './app'

app.get('/wrong', (req, res) => {
  const tenant: number = req.auth!.payload.tenant
  res.json({ tenant })
})
