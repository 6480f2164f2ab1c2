#!/usr/bin/env bash
# make bench-scale (issue 9): how read latency changes as the store grows. For each size of
# SCALE_SIZES it loads synthetic filler patients into the benchmark's own databases up to that
# size (bench/Lcr.BulkSeed: demographics and clinical rows by binary COPY, beside the seeded
# cohort; resumable, only what is missing is added), EXPLAINs the read path's queries, then runs
# the read scenarios through the platform with scripts/bench-platform.sh (SCALE_REPEATS times,
# the platform restarted each time), and at the end prints one table: per size and scenario
# requests/s, p50/p99, the ratio to the gRPC floor of the same run, and latency relative to the
# smallest size. About 30 minutes on a quiet 2-core machine (loading 900,000 patients takes about
# 8 of them), and 28 GB of disk: not part of `make bench`.
#
#   SCALE_SIZES="10000 100000 900000:10"  filler patients per step, smallest first; ":N" = entries per
#                                        patient of the patients that step adds (default SCALE_ENTRIES)
#   SCALE_ENTRIES=50                     entries per filler patient
#   SCALE_REPEATS=2                      scenario runs per size (the table shows medians)
#   SCALE_APPEND_RUNS=1                  keep the runs already in a size's results and add to them
#   SCALE_SCENARIOS=floor,warm,cold,list
#   SCALE_RESULTS=bench/results/scale    where the results go
#   SCALE_RESET=1                        remove every filler patient (and every result) first; otherwise a
#                                        size smaller than what the store already holds is skipped
#   LCR_BENCH_PORT_BASE=7400             platform ports base..base+5 (others: 7100 make run, 7300)
#   LCR_BENCH_REDIS_DB=8                 its Redis database (make bench uses 7)
#   WARMUP, SECONDS_PER_SCENARIO, CALLERS, CONNECTIONS, LCR_BENCH_DB_PREFIX: as bench-platform.sh
# The 999 test range holds 900,000 filler NHS numbers beside the cohort: the largest size.
# Results: bench/results/scale/<size>/{seed.json,seed.log,status.txt,plans.txt,queries.md,queries.json,run-N.json,run-N.md}
# and the table in bench/results/scale/scale.md. The loaded databases stay (rerun without reloading).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
scripts/require-dotnet.sh

# Infrastructure, the benchmark's own databases, secrets (shared with bench-platform.sh). Its own
# Redis database (8), so its cache evictions never touch a `make bench` running beside it (7).
export LCR_BENCH_REDIS_DB="${LCR_BENCH_REDIS_DB:-8}"
# shellcheck source=scripts/bench-env.sh
source "$REPO/scripts/bench-env.sh"
export LCR_BENCH_PORT_BASE="${LCR_BENCH_PORT_BASE:-7400}"
SIZES="${SCALE_SIZES:-10000 100000 900000:10}"
ENTRIES="${SCALE_ENTRIES:-50}"
REPEATS="${SCALE_REPEATS:-2}"
SCENARIOS_WANTED="${SCALE_SCENARIOS:-floor,warm,cold,list}"
RESULTS="${SCALE_RESULTS:-$REPO/bench/results/scale}"
TOOL=(dotnet bench/Lcr.BulkSeed/bin/Release/net10.0/lcr-bulk-seed.dll)
stamp() { echo "[$(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)] $*"; }

stamp "Building (Release) the platform, the load generator and lcr-bulk-seed..."
LCR_BENCH_EXTRA_PROJECTS="bench/Lcr.BulkSeed" LCR_BENCH_BUILD_ONLY=1 scripts/bench-platform.sh

# The schema comes from the services' own migrations, never from the loader; `seed` migrates and
# loads the cohort the read scenarios use (bench-platform.sh seeds it again, idempotently).
mkdir -p "$REPO/.data/logs"
for s in Demographics Clinical; do
  (cd "services/Lcr.$s" && dotnet "bin/Release/net10.0/Lcr.$s.dll" seed) > "$REPO/.data/logs/bench-scale-seed-$s.log" 2>&1 ||
    { tail -n 20 "$REPO/.data/logs/bench-scale-seed-$s.log" >&2; echo "migrate and seed of $s failed" >&2; exit 1; }
done
if [ "${SCALE_RESET:-0}" = 1 ]; then
  stamp "Removing every filler patient and earlier results (SCALE_RESET=1)..."
  "${TOOL[@]}" remove
  rm -rf "$RESULTS"
fi

mkdir -p "$RESULTS"
REPORTED=()
for step in $SIZES; do
  size="${step%%:*}"
  REPORTED+=(--size "$size")
  per="$ENTRIES"
  if [ "$step" != "$size" ]; then per="${step#*:}"; fi
  out="$RESULTS/$size"
  mkdir -p "$out"
  stamp "== $size filler patients: loading (new patients get $per entries each)"
  set +e
  "${TOOL[@]}" fill --patients "$size" --entries-per-patient "$per" --out "$out/seed.json" 2>&1 | tee "$out/seed.log"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" = 3 ]; then
    stamp "skipping $size: the store is already larger (SCALE_RESET=1 starts again from none)"
    rm -f "$out/seed.json"
    continue
  elif [ "$status" != 0 ]; then
    echo "lcr-bulk-seed fill failed (log: $out/seed.log)" >&2
    exit 1
  fi
  "${TOOL[@]}" status | tee "$out/status.txt"
  stamp "EXPLAIN (ANALYZE, BUFFERS) of the read path's queries -> $out/plans.txt"
  "${TOOL[@]}" explain > "$out/plans.txt"
  stamp "The read path's queries one call at a time, cohort and filler patients"
  "${TOOL[@]}" queries --out "$out/queries.json" | tee "$out/queries.md"
  first=1
  if [ "${SCALE_APPEND_RUNS:-0}" = 1 ]; then
    first=$(( $(find "$out" -maxdepth 1 -name 'run-*.json' | wc -l) + 1 ))
  else
    rm -f "$out"/run-*.json "$out"/run-*.md "$out"/resources-*.txt
  fi
  for run in $(seq "$first" $((first + REPEATS - 1))); do
    stamp "== $size filler patients: scenarios $SCENARIOS_WANTED, run $run (platform on ports $LCR_BENCH_PORT_BASE-$((LCR_BENCH_PORT_BASE + 5)))"
    LCR_BENCH_BUILD=0 SCENARIOS="$SCENARIOS_WANTED" scripts/bench-platform.sh > "$out/run-$run.md"
    cp bench/results/loadgen.json "$out/run-$run.json"
    cp bench/results/platform-resources.txt "$out/resources-$run.txt"
    grep -E '^\| (floor|warm|cold|list) ' "$out/run-$run.md" || true
  done
done

stamp "Done."
"${TOOL[@]}" report --dir "$RESULTS" "${REPORTED[@]}" | tee "$RESULTS/scale.md"
