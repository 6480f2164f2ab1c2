#!/usr/bin/env bash
# make bench, platform part (issue 9): start the platform as `make run` does (same secrets in
# .data/secrets, same migrate+seed, every service as its own Release process on 127.0.0.1),
# wait for readiness with `lcr health`, run bench/Lcr.LoadGen (the gRPC floor in its own process
# plus the gateway scenarios), print the table, then stop only what this script started.
#
#   WARMUP=10 SECONDS_PER_SCENARIO=15 CALLERS=32 CONNECTIONS=4   generator settings
#   WARM_PATIENTS=4            how many patients the warm scenarios read over and over
#   PLATFORM_WARMUP=30         seconds of unmeasured mixed reads before the first scenario (JIT warm-up)
#   SCENARIOS=floor,token,warm,warm-json,warm-half,cold,cold-half,list,fhir-everything,upsert,audit   which scenarios, in order
#                              (warm-json: the warm read as JSON over HTTP/1.1 on the gateway's HTTP port, base+10)
#                              (startup: the freshly started platform, open loop at STARTUP_RATE (40) warm reads/s for
#                              STARTUP_SECONDS (60), p50/p99 per 10 s window; always run first, before PLATFORM_WARMUP)
#   LCR_BENCH_PORT_BASE=7100   ports base..base+5 (gateway, demographics, identity, consent,
#                              clinical, audit); use e.g. 7200 beside a running `make run`
#   LCR_BENCH_USE_RUNNING=1    start nothing: load the platform already at the gateway port
#                              (its per-caller rate limit, 100/s by default, then caps the figures;
#                              for `cold` to miss, LCR_BENCH_DB_PREFIX and LCR_BENCH_REDIS_DB must
#                              name that platform's databases, e.g. lcr_ and 0 for `make run`)
#   LCR_BENCH_DB_PREFIX=lcr_bench_  the benchmark's own databases; LCR_BENCH_REDIS_DB=7 its Redis database
#   LCR_BENCH_KEEP=1           leave the platform running afterwards (profiling: dotnet-trace, more loadgen runs)
#   LCR_BENCH_BUILD=0          skip the Release build (already built, e.g. by scripts/bench-scale.sh)
#   LCR_BENCH_BUILD_ONLY=1     build (with LCR_BENCH_EXTRA_PROJECTS, space-separated) and stop there
#   LCR_READY_TO_RUN=0         run the services and the gateway from the plain Release build (JIT only) instead of
#                              their ReadyToRun publish (bin/Release/net10.0/publish/), e.g. to measure what it buys
# Results: bench/results/loadgen.json, loadgen.md, platform-resources.txt. Quote ratios to the
# floor, not absolute figures: these machines are shared and noisy.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
scripts/require-dotnet.sh

# Infrastructure, the benchmark's own databases and Redis database, secrets, rate limit.
# shellcheck source=scripts/bench-env.sh
source "$REPO/scripts/bench-env.sh"

BASE="${LCR_BENCH_PORT_BASE:-7100}"
# name:project-dir:port offset, in start order (the gateway last: it needs the others).
ALL=(
  "identity:services/Lcr.Identity:2"
  "demographics:services/Lcr.Demographics:1"
  "consent:services/Lcr.Consent:3"
  "clinical:services/Lcr.Clinical:4"
  "audit:services/Lcr.Audit:5"
  "gateway:gateway/Lcr.Gateway:0"
)
GATEWAY="http://127.0.0.1:$BASE"
GATEWAY_HTTP="http://127.0.0.1:$((BASE + 10))" # the gateway's HTTP endpoint (JSON over HTTP): 7110 beside 7100, as make run
CLI=(dotnet tools/Lcr.Cli/bin/Release/net10.0/lcr.dll)
LOGS="$REPO/.data/logs"
mkdir -p "$LOGS" bench/results

if [ "${LCR_BENCH_BUILD:-1}" = 1 ]; then
  echo "Building (Release): the services, the gateway, the lcr CLI and the load generator..."
  BUILD_LOG="$REPO/.data/bench-build.log"
  : > "$BUILD_LOG"
  # shellcheck disable=SC2206 # LCR_BENCH_EXTRA_PROJECTS is a space-separated list of project directories
  for project in services/Lcr.Identity services/Lcr.Demographics services/Lcr.Consent services/Lcr.Clinical \
    services/Lcr.Audit gateway/Lcr.Gateway tools/Lcr.Cli bench/Lcr.LoadGen ${LCR_BENCH_EXTRA_PROJECTS:-}; do
    if ! dotnet build "$project" -c Release >> "$BUILD_LOG" 2>&1; then
      grep -E ': error ' "$BUILD_LOG" | sort -u | head -n 40 >&2
      echo "Build of $project failed (full log: $BUILD_LOG)" >&2
      exit 1
    fi
  done
  # The platform's processes run as they are deployed: published ReadyToRun (PublishReadyToRun in
  # their .csproj; framework-dependent, for this machine's runtime identifier), so they start on
  # precompiled code instead of tier-0 JIT (docs/performance.md, "The first 60 s").
  if [ "${LCR_READY_TO_RUN:-1}" = 1 ]; then
    for entry in "${ALL[@]}"; do
      IFS=: read -r name dir offset <<<"$entry"
      if ! dotnet publish "$dir" -c Release --use-current-runtime --no-self-contained -o "$dir/bin/Release/net10.0/publish" >> "$BUILD_LOG" 2>&1; then
        grep -E ': error ' "$BUILD_LOG" | sort -u | head -n 40 >&2
        echo "Publish of $dir failed (full log: $BUILD_LOG)" >&2
        exit 1
      fi
    done
  fi
fi
# The entry assembly of a platform process: the ReadyToRun publish, or the plain build (LCR_READY_TO_RUN=0).
entry_dll() {
  if [ "${LCR_READY_TO_RUN:-1}" = 1 ]; then echo "bin/Release/net10.0/publish/$(basename "$1").dll"; else echo "bin/Release/net10.0/$(basename "$1").dll"; fi
}
if [ "${LCR_BENCH_BUILD_ONLY:-0}" = 1 ]; then
  if [ "$INFRA_WAS_UP" = 0 ]; then scripts/infra.sh down; fi
  exit 0
fi

PIDS=()
NAMES=()
stop() {
  trap - INT TERM EXIT
  if [ "${#PIDS[@]}" -gt 0 ]; then
    echo "Stopping the benchmark's platform..."
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
  # Leave PostgreSQL and Redis as found: stop them only if this script started them.
  if [ "$INFRA_WAS_UP" = 0 ]; then scripts/infra.sh down; fi
}
trap stop INT TERM EXIT

if [ "${LCR_BENCH_USE_RUNNING:-0}" = 1 ]; then
  "${CLI[@]}" health --address "$GATEWAY" --service readiness --wait 10 >/dev/null ||
    { echo "No platform answers at $GATEWAY" >&2; exit 1; }
else
  if "${CLI[@]}" health --address "$GATEWAY" --service liveness --wait 1 >/dev/null 2>&1; then
    echo "Something already answers at $GATEWAY (a running \`make run\`?). Stop it, set LCR_BENCH_PORT_BASE=7200," >&2
    echo "or LCR_BENCH_USE_RUNNING=1 to load it as it is." >&2
    exit 1
  fi
  for entry in "${ALL[@]}"; do
    IFS=: read -r name dir offset <<<"$entry"
    echo "Migrating and seeding $name..."
    if ! (cd "$dir" && dotnet "$(entry_dll "$dir")" seed) > "$LOGS/bench-$name-seed.log" 2>&1; then
      tail -n 20 "$LOGS/bench-$name-seed.log" >&2
      echo "Seeding $name failed (log: $LOGS/bench-$name-seed.log)" >&2
      exit 1
    fi
  done
  export Services__Demographics="http://127.0.0.1:$((BASE + 1))" Services__Identity="http://127.0.0.1:$((BASE + 2))" \
    Services__Consent="http://127.0.0.1:$((BASE + 3))" Services__Clinical="http://127.0.0.1:$((BASE + 4))" \
    Services__Audit="http://127.0.0.1:$((BASE + 5))"
  for entry in "${ALL[@]}"; do
    IFS=: read -r name dir offset <<<"$entry"
    http_url=""; [ "$name" = gateway ] && http_url="$GATEWAY_HTTP"
    (cd "$dir" && if [ -n "$http_url" ]; then export Kestrel__Endpoints__Http__Url="$http_url"; fi
      Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$((BASE + offset))" \
      exec dotnet "$(entry_dll "$dir")") > "$LOGS/bench-$name.log" 2>&1 &
    PIDS+=("$!")
    NAMES+=("$name")
  done
  for entry in "${ALL[@]}"; do
    IFS=: read -r name dir offset <<<"$entry"
    if ! "${CLI[@]}" health --address "http://127.0.0.1:$((BASE + offset))" --service readiness --wait 90 >/dev/null; then
      tail -n 20 "$LOGS/bench-$name.log" >&2
      echo "$name did not become ready (log: $LOGS/bench-$name.log)" >&2
      exit 1
    fi
  done
  echo "Platform ready at $GATEWAY (logs: .data/logs/bench-*.log)"
fi

cpu_seconds() { # pid: user+system CPU seconds so far
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo "?"
}
declare -A CPU0=()
PID_ARG=""
for i in "${!PIDS[@]}"; do
  CPU0[$i]="$(cpu_seconds "${PIDS[$i]}")"
  PID_ARG="${PID_ARG:+$PID_ARG,}${NAMES[$i]}=${PIDS[$i]}"
done

dotnet bench/Lcr.LoadGen/bin/Release/net10.0/Lcr.LoadGen.dll \
  --gateway "$GATEWAY" --connections "${CONNECTIONS:-4}" --callers "${CALLERS:-32}" \
  --warmup "${WARMUP:-10}" --seconds "${SECONDS_PER_SCENARIO:-15}" ${WARM_PATIENTS:+--warm-patients "$WARM_PATIENTS"} --platform-warmup "${PLATFORM_WARMUP:-30}" \
  --startup-rate "${STARTUP_RATE:-40}" --startup-seconds "${STARTUP_SECONDS:-60}" \
  --scenarios "${SCENARIOS:-floor,token,warm,warm-json,warm-half,cold,cold-half,list,fhir-everything,upsert,audit}" --gateway-http "$GATEWAY_HTTP" \
  --audit "http://127.0.0.1:$((BASE + 5))" --client-secret-file "$SECRETS/dev-client-secret" --internal-key-file "$SECRETS/internal-signing-key" \
  --password-file "$SECRETS/dev-password" --pseudonym-key-file "$SECRETS/pseudonym-key" --redis "$BENCH_REDIS" \
  ${PID_ARG:+--pids "$PID_ARG"} --out bench/results/loadgen.json | tee bench/results/loadgen.md || [ "${LCR_BENCH_KEEP:-0}" = 1 ]

if [ "${#PIDS[@]}" -gt 0 ]; then
  {
    echo "| process | peak RSS (VmHWM) MiB | CPU s during the load run |"
    echo "|---|---:|---:|"
    for i in "${!PIDS[@]}"; do
      pid="${PIDS[$i]}"
      hwm="$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo "?")"
      now="$(cpu_seconds "$pid")"
      used="$(awk -v a="$now" -v b="${CPU0[$i]}" 'BEGIN { printf "%.1f", a - b }')"
      echo "| ${NAMES[$i]} | $hwm | $used |"
    done
  } | tee bench/results/platform-resources.txt
fi

if [ "${LCR_BENCH_KEEP:-0}" = 1 ] && [ "${#PIDS[@]}" -gt 0 ]; then
  # For profiling: leave the platform up (run the load generator or dotnet-trace against it);
  # stop it with kill -TERM on this script's pid.
  echo "Platform kept running at $GATEWAY (LCR_BENCH_KEEP=1): kill -TERM $$ to stop it. Pids: ${NAMES[*]} = ${PIDS[*]}"
  while true; do sleep 3600 & wait $!; done
fi
