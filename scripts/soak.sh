#!/usr/bin/env bash
# make soak: the real platform processes (the test harness, tests/Lcr.Testing/Platform) at a
# steady read rate through the gateway for a bounded time; RSS and thread counts of every process
# sampled; a report under bench/results/soak-*.md (git-ignored). Never part of make test.
#   SOAK_MINUTES=10  SOAK_RATE=50 (reads/s)  SOAK_SAMPLE_SECONDS=10
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
scripts/require-dotnet.sh
scripts/infra.sh up >/dev/null
eval "$(scripts/infra.sh env)"
echo "Building (Release): the services, the gateway and the soak driver..."
for project in services/Lcr.Identity services/Lcr.Demographics services/Lcr.Consent services/Lcr.Clinical \
  services/Lcr.Audit gateway/Lcr.Gateway bench/Lcr.Soak; do
  dotnet build "$project" -c Release -v q -nologo >/dev/null || { echo "build of $project failed" >&2; exit 1; }
done
exec dotnet bench/Lcr.Soak/bin/Release/net10.0/Lcr.Soak.dll
