#!/usr/bin/env bash
# The README's first command, for real: `pnpm demo` starts, prints the URL and the demo credentials,
# serves the page, issues a token and lets the admin in.
# Usage: bash examples/shared/scripts/demo-smoke.sh [demo|demo:koa|demo:hono|demo:nest]   (root package.json scripts)
set -euo pipefail
cd "$(dirname "$0")/../../.."

script="${1:-demo}"
port="${DEMO_PORT:-3999}"
url="http://localhost:$port"
log="$(mktemp)"

# Its own session, so the whole tree (pnpm, tsx, node) can be stopped at once.
PORT="$port" setsid ${DEMO_COMMAND:-pnpm "$script"} >"$log" 2>&1 &
pid=$!
cleanup() {
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

fail() {
  echo "demo-smoke ($script): $1" >&2
  cat "$log" >&2
  exit 1
}

for _ in $(seq 1 60); do
  if grep -q "open $url" "$log"; then break; fi
  kill -0 "$pid" 2>/dev/null || fail "pnpm $script exited before listening"
  sleep 1
done
grep -q "open $url" "$log" || fail "no URL printed within 60 s"
grep -q "alice  / wonderland" "$log" || fail "demo credentials not printed"

curl -fsS "$url/" | grep -q 'id="login-form"' || fail "GET / did not serve the page"
token="$(curl -fsS "$url/token" -H 'content-type: application/json' \
  -d '{"username":"alice","password":"wonderland"}' |
  node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).access_token)')" ||
  fail "POST /token failed"
curl -fsS "$url/api/admin" -H "authorization: Bearer $token" >/dev/null || fail "GET /api/admin refused alice"
status="$(curl -s -o /dev/null -w '%{http_code}' "$url/api/me")"
[ "$status" = 401 ] || fail "GET /api/me without a token answered $status, not 401"

echo "demo-smoke: pnpm $script answered on $url"
