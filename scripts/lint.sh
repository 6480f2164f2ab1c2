#!/usr/bin/env bash
# make lint: buf lint (STANDARD) and buf format over protos/, with buf pinned in tools/buf;
# buf breaking (FILE) against the last released protos (protos/released/lcr-<version>.binpb, the
# highest version committed; a clean clone has it, unlike a tag) and, on any other branch,
# against the main branch too (what changed since main, before it reaches a release).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
BUF="$REPO/tools/buf/node_modules/.bin/buf"
if [ ! -x "$BUF" ]; then
  (cd tools/buf && npm ci --no-audit --no-fund --loglevel=error)
fi
"$BUF" lint
"$BUF" format --diff --exit-code
released="$(ls protos/released/lcr-*.binpb 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$released" ]; then
  echo "buf breaking: no released image in protos/released (see docs/operations.md, Releasing)" >&2
  exit 1
fi
"$BUF" breaking --against "$released"
echo "buf breaking: no breaking change against the last release ($(basename "$released" .binpb))"
branch="$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)"
if [ "$branch" != "main" ] && git rev-parse --verify -q main >/dev/null; then
  "$BUF" breaking --against "$REPO/.git#branch=main"
  echo "buf breaking: no breaking change against main"
else
  echo "buf breaking: on main, nothing to compare against (run on a branch to check against main)"
fi
echo "buf lint: clean"
