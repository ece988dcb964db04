// Which `#signature-check` the importing runtime's own resolver picks (package.json `imports`):
// test/runtimes/serve.ts reports it from Bun and Deno, whose resolvers honour the `node` condition.
export { signaturePath } from '#signature-check'
