#!/usr/bin/env bash
# make fuzz: the wire fuzz of tests/Lcr.Gateway.Tests (HostileInputTests, bounded to 120 inputs per
# method in make test) run longer: random and mutated bytes sent as gRPC messages to nine read
# methods of the gateway (four of them with periods, so mutations reach timestamps), each must get a
# status within the deadline (INVALID_ARGUMENT when the bytes do not parse; never INTERNAL, UNKNOWN or
# UNAVAILABLE when they do), no NHS number echoed, the gateway still healthy. Prints the statuses seen per method and the duration.
#   FUZZ_ITERATIONS=5000   inputs per fuzzed method (plus the hand-made malformed messages)
#   FUZZ_SEED=<int>        the random seed (default: the time; printed, so a failure can be replayed)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
scripts/require-dotnet.sh
scripts/infra.sh up >/dev/null
eval "$(scripts/infra.sh env)"
export LCR_FUZZ_ITERATIONS="${FUZZ_ITERATIONS:-5000}" LCR_FUZZ_SEED="${FUZZ_SEED:-$(date +%s)}"
echo "make fuzz: $LCR_FUZZ_ITERATIONS inputs per method, seed $LCR_FUZZ_SEED (replay: FUZZ_SEED=$LCR_FUZZ_SEED make fuzz)"
dotnet build tests/Lcr.Gateway.Tests -c Debug -v q -nologo >/dev/null
started=$(date +%s)
log="$(mktemp -t lcr-fuzz.XXXXXX.log)"
set +e
dotnet test tests/Lcr.Gateway.Tests -c Debug --no-build --logger "console;verbosity=detailed" \
  --filter "FullyQualifiedName~HostileInputTests.Random_and_mutated_wire_bytes" >"$log" 2>&1
status=$?
set -e
grep -E "^ *fuzz|Passed!|Failed!|Total tests" "$log" || true
if [ "$status" -ne 0 ]; then
  tail -60 "$log" >&2
  echo "make fuzz: FAILED (seed $LCR_FUZZ_SEED; replay: FUZZ_SEED=$LCR_FUZZ_SEED make fuzz; full output $log)" >&2
  exit "$status"
fi
rm -f "$log"
echo "make fuzz: passed ($((9 * LCR_FUZZ_ITERATIONS)) fuzzed messages and 9 oversized, seed $LCR_FUZZ_SEED, $(( $(date +%s) - started )) s, load average $(cut -d' ' -f1-3 /proc/loadavg))"
