#!/usr/bin/env bash
# make bench: the benchmarks (never part of make test). Each makes its own database and drops it.
#   BENCH=audit|clinical|platform   run one only
#   QUICK=1                 smaller scale (minutes rather than tens of minutes)
#   CLINICAL_PATIENTS=20000 patients (x 50 entries) the clinical benchmark loads into its own database
# The scaling curve (10k/100k/900k patients in the platform's stores) is make bench-scale.
# Quote medians and ratios: these machines are shared and noisy.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
scripts/require-dotnet.sh
scripts/infra.sh up
eval "$(scripts/infra.sh env)"
mkdir -p bench/results

if [ "${BENCH:-audit}" = audit ] || [ -z "${BENCH:-}" ]; then
  echo "== audit: group-committed appends (32 callers), single caller, paced 1,000/s; pg_test_fsync"
  dotnet run -c Release --project bench/Lcr.Audit.Bench -- --callers 32 --seconds "${AUDIT_SECONDS:-10}" | tee bench/results/audit.txt
fi

if [ "${BENCH:-clinical}" = clinical ] || [ -z "${BENCH:-}" ]; then
  # Its own throw-away database, loaded by the shared bulk loader (entries, versions, document
  # contents). 20,000 patients (1,000,000 entries) keeps `make bench` within 15 minutes on a 2-core
  # machine; how latency changes with the store's size is `make bench-scale`'s job.
  if [ "${QUICK:-0}" = 1 ]; then
    args=(--patients 5000 --entries-per-patient 50)
  else
    args=(--patients "${CLINICAL_PATIENTS:-20000}" --entries-per-patient 50)
  fi
  echo "== clinical: summary on a cache hit and a miss, contribution throughput (${args[*]})"
  dotnet run -c Release --project bench/Lcr.Clinical.Bench -- "${args[@]}" | tee bench/results/clinical.txt
fi

if [ "${BENCH:-platform}" = platform ] || [ -z "${BENCH:-}" ]; then
  echo "== platform: gRPC floor and the gateway scenarios (token, warm, cold, list), ratios to the floor"
  scripts/bench-platform.sh
fi
