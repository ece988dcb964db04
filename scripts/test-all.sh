#!/usr/bin/env bash
# The whole suite, as the README's Quick start and .ci/run run it: system deps, lint, types, every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Browser tests need Debian's chromium, revocation and DPoP replay tests redis-server, mTLS proxy
# tests haproxy: install only when missing.
for ensure in .ci/ensure-chromium .ci/ensure-redis .ci/ensure-haproxy; do
  if [ -f "$ensure" ]; then bash "$ensure"; fi
done
# External signer (issue 22): test/hsm signs through a SoftHSM2 token with OpenSC's pkcs11-tool.
bash .ci/ensure-softhsm

echo "== lint"
pnpm lint
echo "== typecheck"
pnpm typecheck
echo "== build (ESM + CommonJS), npm pack = pnpm pack, publint and attw on the tarballs"
pnpm pack:check
echo "== tests"
mkdir -p artifacts
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=artifacts/vitest.json || status=$?
echo "== the core's suite again, on the portable signature path (jose, as Workers load it)"
pnpm exec vitest run --config packages/core/vitest.portable.config.ts \
  --reporter=default --reporter=json --outputFile.json="$PWD/artifacts/vitest-portable.json" || status=$?
echo "== the tarballs installed with npm into scratch apps: CommonJS on Node 20.19.0, tsc, workerd"
pnpm test:packed --reporter=default --reporter=json --outputFile.json="$PWD/artifacts/vitest-packed.json" || status=$?
# Runtimes (issue 20): the core suite executed by Bun and by Deno (from npm, root devDependencies),
# and the conformance table against Hono on Bun.serve / Deno.serve and Express 5 / Koa 3 on Bun.
echo "== Bun and Deno: the core suite in each runtime, the table over HTTP against their servers"
pnpm test:runtimes || status=$?
echo "== release dry run: changesets status, publish --dry-run (no credentials)"
RELEASE_CHECKED=1 pnpm release:dry || status=$?
echo "== demo smoke: the Quick start's first command, for each framework"
for demo in demo demo:koa demo:hono; do
  bash examples/shared/scripts/demo-smoke.sh "$demo" || status=1
done
# NestJS (issue 20 item 2): the Nest example's `pnpm demo:nest`, the same smoke.
bash examples/shared/scripts/demo-smoke.sh demo:nest || status=1
# One plain closing line, 'N passed, N failed', for CI's summary.
node -e '
  const fs = require("fs")
  const runs = ["artifacts/vitest.json", "artifacts/vitest-portable.json", "artifacts/vitest-packed.json", "artifacts/vitest-runtimes.json"]
    .filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, "utf8")))
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0)
  const skipped = sum("numPendingTests") + sum("numTodoTests")
  console.log(`tests: ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed` + (skipped ? `, ${skipped} skipped` : ""))
' || true
exit "$status"
