#!/usr/bin/env bash
# Sourced by scripts/bench-platform.sh and scripts/bench-scale.sh: the benchmark's environment.
# Brings up PostgreSQL and Redis if needed (INFRA_WAS_UP=1 when they were already up, so the
# caller stops them only if it started them), points the services at the benchmark's own
# databases (lcr_bench_<service>, LCR_BENCH_DB_PREFIX) and Redis database (LCR_BENCH_REDIS_DB, 7),
# exports the development secrets and lifts the gateway's per-caller rate limit
# (BENCH_RATE_LIMIT). Expects REPO to be set and the current directory to be REPO.
INFRA_WAS_UP=0
if scripts/infra.sh status >/dev/null 2>&1; then INFRA_WAS_UP=1; fi
scripts/infra.sh up
eval "$(scripts/infra.sh env)"

# The benchmark's own databases (lcr_bench_<service>) and Redis database, so it neither
# reseeds nor reads the `make run` databases (which may hold other data, or identity keys
# encrypted under another checkout's secrets). LCR_BENCH_DB_PREFIX=lcr_ loads those instead.
DB_PREFIX="${LCR_BENCH_DB_PREFIX:-lcr_bench_}"
export LCR_BENCH_DB_PREFIX="$DB_PREFIX"
for s in Demographics Identity Consent Clinical Audit; do
  var="ConnectionStrings__$s"
  export "$var=${!var/Database=lcr_/Database=$DB_PREFIX}"
done
BENCH_REDIS="$LCR_REDIS,defaultDatabase=${LCR_BENCH_REDIS_DB:-7}"
export ConnectionStrings__Redis="$BENCH_REDIS"

# Development secrets (scripts/dev-secrets.sh): generated once, git-ignored, never printed.
# shellcheck source=scripts/dev-secrets.sh
source "$REPO/scripts/dev-secrets.sh"
# The gateway's per-caller token bucket (100/s per user by default) would be the only thing
# measured with one signed-in GP; the benchmark measures the platform behind it.
export Gateway__RateLimit__PermitsPerSecond="${BENCH_RATE_LIMIT:-1000000}" Gateway__RateLimit__Burst="${BENCH_RATE_LIMIT:-1000000}"
