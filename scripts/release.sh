#!/usr/bin/env bash
# `pnpm release`: build, check the tarballs as users get them, then publish every publishable
# package whose version is not on the registry yet, with npm provenance (run from CI with an
# id-token, after `changeset version` has set the versions and changelogs).
# `pnpm release --dry-run` (CI on every push): the same build and checks, then a publish dry run
# that needs no credentials. RELEASE_CHECKED=1 skips the build and checks (scripts/test-all.sh has
# just run them).
set -euo pipefail
cd "$(dirname "$0")/.."

dry_run=false
if [ "${1:-}" = "--dry-run" ]; then dry_run=true; fi

if [ "${RELEASE_CHECKED:-}" != 1 ]; then
  echo "== build, npm pack = pnpm pack, publint, attw"
  pnpm pack:check
  echo "== the tarballs in scratch apps (CommonJS on the oldest Node, TypeScript modes, workerd)"
  pnpm test:packed
fi

# Changesets: pending changesets are listed; versions must already be applied for a real release.
pnpm exec changeset status --verbose || true

if $dry_run; then
  echo "== publish (dry run)"
  pnpm publish -r --filter "./packages/*" --access public --dry-run --no-git-checks
else
  if [ -n "$(ls .changeset/*.md 2>/dev/null | grep -v README.md)" ]; then
    echo "release: unreleased changesets: run 'pnpm changeset version' and commit first" >&2
    exit 1
  fi
  echo "== publish with provenance"
  NPM_CONFIG_PROVENANCE=true pnpm exec changeset publish
fi
