// Which runtime runs these evidence scripts: `node X.mjs`, `bun X.mjs`, `deno run -A X.mjs`.
const { Bun, Deno } = globalThis
export const runtime = Deno
  ? `deno ${Deno.version.deno}`
  : Bun
    ? `bun ${Bun.version}`
    : `node ${process.version}`
