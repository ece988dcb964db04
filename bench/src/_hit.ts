import { generateMaterial, makeTokens } from './material.js'
import { createAuthenticator } from '@tokengate/core'
import { tokengateOptions } from './servers/common.js'
const m = generateMaterial()
for (const alg of ['HS256', 'JWE'] as const) {
  const [token] = await makeTokens(m, alg, 1)
  const auth = createAuthenticator(tokengateOptions(m, alg, true) as never)
  const headers = { authorization: `Bearer ${token}` }
  let best = 1e9
  for (let r = 0; r < 30; r++) {
    const s = process.hrtime.bigint()
    for (let k = 0; k < 5000; k++)
      await auth.authenticate({ method: 'GET', url: '/', headers: { ...headers } })
    best = Math.min(best, Number(process.hrtime.bigint() - s) / 5000 / 1000)
  }
  console.log(alg, token!.length, best.toFixed(3))
}
