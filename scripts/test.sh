#!/usr/bin/env bash
# make test: real PostgreSQL and Redis and the development OpenID Connect provider (started here if
# needed), then every test in the solution.
# Prints a closing "N passed, N failed" line and exits non-zero on any failure.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
scripts/require-dotnet.sh
scripts/install-k8s-tools.sh
scripts/infra.sh up
eval "$(scripts/infra.sh env)"
# The development OpenID Connect provider: the federated sign-in tests exchange its real ID tokens.
scripts/dev-oidc.sh up
eval "$(scripts/dev-oidc.sh env)"

LOG_DIR="$REPO/.data/test-results"
rm -rf "$LOG_DIR" && mkdir -p "$LOG_DIR"
echo "Building the solution..."
if ! dotnet build lcr-platform.sln -c Debug > "$LOG_DIR/build.log" 2>&1; then
  grep -E ': (error|warning) ' "$LOG_DIR/build.log" | sort -u | head -n 60 >&2
  echo "make test: the build failed (full log: $LOG_DIR/build.log)" >&2
  exit 1
fi

set +e
dotnet test lcr-platform.sln -c Debug --no-build \
  --logger "trx" --results-directory "$LOG_DIR" \
  -- RunConfiguration.TestSessionTimeout=1500000 2>&1 | tee "$LOG_DIR/dotnet-test.log"
status=${PIPESTATUS[0]}
set -e

passed=0; failed=0; skipped=0
while read -r p f s; do
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done < <(grep -hoE 'total="[0-9]+" executed="[0-9]+" passed="[0-9]+" failed="[0-9]+"' "$LOG_DIR"/*.trx 2>/dev/null \
  | sed -E 's/total="([0-9]+)" executed="([0-9]+)" passed="([0-9]+)" failed="([0-9]+)"/\3 \4 0/')
echo
# The failed tests' names last, where a CI log's tail shows them.
if [ "$failed" -ne 0 ]; then
  echo "Failed tests:"
  grep -ho '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$LOG_DIR"/*.trx 2>/dev/null \
    | grep -o 'testName="[^"]*"' | sed -E 's/^testName="(.*)"$/  \1/' | sort -u
fi
echo "Tests: ${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  echo "make test: FAILED (dotnet test exit code $status)" >&2
  exit 1
fi
