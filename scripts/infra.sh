#!/usr/bin/env bash
# Local infrastructure for the Leeds Care Record: a private PostgreSQL cluster
# and a private Redis, on their own ports, with data under <repo>/.data.
#
#   scripts/infra.sh up        install (apt) if needed, init, start, wait, write .data/infra.env
#   scripts/infra.sh down      stop both (succeeds if already stopped)
#   scripts/infra.sh status    exit 0 only if both answer
#   scripts/infra.sh env       print `export KEY="VALUE"` lines: eval "$(scripts/infra.sh env)"
#   scripts/infra.sh psql ...  psql as lcr over TCP (extra args passed through)
#   scripts/infra.sh destroy   down, then delete all data (and the /var/tmp fallback)
#
# Environment: LCR_DATA_DIR (default <repo>/.data), LCR_PG_PORT (55432),
# LCR_REDIS_PORT (56379). Ports are sticky: without LCR_*_PORT, every command
# uses the port this data directory was last started on. infra.env is always
# written to <repo>/.data/infra.env.
#
# The distro's own PostgreSQL cluster / redis service (if apt started any) is
# never used or touched. PostgreSQL refuses to run as root, so when invoked as
# root the cluster runs as the `postgres` OS user; otherwise as the caller.
set -euo pipefail

readonly PG_DATABASES=(lcr_demographics lcr_identity lcr_consent lcr_clinical lcr_audit)
readonly PG_ROLE=lcr
readonly WAIT_SECONDS=30

log() { printf 'infra: %s\n' "$*" >&2; }
die() {
  printf 'infra: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat >&2 <<'EOF'
usage: scripts/infra.sh {up|down|status|env|psql [args...]|destroy}
  env: LCR_DATA_DIR (default <repo>/.data), LCR_PG_PORT (55432), LCR_REDIS_PORT (56379)
EOF
}

# ---------------------------------------------------------------- paths ----

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
DATA=$(realpath -m -- "${LCR_DATA_DIR:-$REPO/.data}")
ENV_DIR="$REPO/.data"
ENV_FILE="$ENV_DIR/infra.env"
SECRETS="$DATA/secrets"
PG_PW_FILE="$SECRETS/postgres-password"
REDIS_PW_FILE="$SECRETS/redis-password"
REDIS_DIR="$DATA/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
# Fallback location for the cluster when root runs us from a path the postgres
# user cannot traverse (e.g. under /root). Keyed by the data directory path.
FALLBACK_ROOT="/var/tmp/lcr-$(printf '%s' "$DATA" | sha256sum | cut -c1-12)"

IS_ROOT=0
if [[ $EUID -eq 0 ]]; then IS_ROOT=1; fi

# Set by locate_pg / choose_pg_root.
PG_ROOT=""
PGDATA_DIR=""
PG_LOG=""
PGBIN=""
PG_FRESH=0 # set when this run created the cluster

validate_port() {
  if [[ ! $2 =~ ^[0-9]+$ ]] || ((10#$2 < 1 || 10#$2 > 65535)); then
    die "$1 must be a TCP port number, got '$2'"
  fi
}

# Value of `key = value` / `key value` from a config file (empty if absent).
conf_value() {
  local file=$1 key=$2
  [[ -r $file ]] || return 0
  awk -v k="$key" '$1 == k { v = $NF } $1 == k"=" { v = $NF } END { if (v != "") print v }' "$file" 2>/dev/null |
    tr -d "'\""
}

pg_port() {
  if [[ -n ${LCR_PG_PORT:-} ]]; then
    printf '%s\n' "$LCR_PG_PORT"
    return
  fi
  local p=""
  [[ -n $PGDATA_DIR ]] && p=$(conf_value "$PGDATA_DIR/lcr.conf" port)
  printf '%s\n' "${p:-55432}"
}

redis_port() {
  if [[ -n ${LCR_REDIS_PORT:-} ]]; then
    printf '%s\n' "$LCR_REDIS_PORT"
    return
  fi
  local p
  p=$(conf_value "$REDIS_CONF" port)
  printf '%s\n' "${p:-56379}"
}

# ------------------------------------------------------------- helpers ----

# Run a command as the OS user that owns the PostgreSQL cluster.
as_pg() {
  if ((IS_ROOT)); then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    "$@" 9>&-
  fi
}

pg_owner_chown() {
  if ((IS_ROOT)); then chown postgres:postgres "$@"; fi
}

random_secret() {
  local s=""
  if command -v openssl >/dev/null 2>&1; then
    s=$(openssl rand -hex 24)
  else
    s=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
  fi
  [[ ${#s} -eq 48 ]] || die "could not generate a random secret"
  printf '%s\n' "$s"
}

# Create the secret file once; never overwrite.
ensure_secret() {
  local file=$1
  if [[ ! -s $file ]]; then
    (
      umask 077
      random_secret >"$file.tmp.$$"
      mv -f "$file.tmp.$$" "$file"
    )
  fi
  chmod 600 "$file"
}

read_secret() {
  local file=$1
  [[ -s $file ]] || die "missing secret $file (run: scripts/infra.sh up)"
  tr -d '\n' <"$file"
}

# Write content (stdin) to file only if it differs; returns 0 if it changed.
write_if_changed() {
  local file=$1 tmp
  tmp=$(mktemp "$file.XXXXXX")
  cat >"$tmp"
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return 1
  fi
  chmod 600 "$tmp"
  mv -f "$tmp" "$file"
  return 0
}

lock_data_dir() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$DATA/.infra.lock"
  flock -w 300 9 || die "another scripts/infra.sh is running on $DATA (lock $DATA/.infra.lock)"
}

# ------------------------------------------------------------ packages ----

run_apt() {
  # Runs apt-get (via sudo when needed), retrying while another apt/dpkg
  # process holds the lock.
  local -a apt_cmd=()
  if ((!IS_ROOT)); then
    command -v sudo >/dev/null 2>&1 ||
      die "need to install packages but not root and sudo is missing; as root run: apt-get update && apt-get install -y postgresql redis-server"
    apt_cmd=(sudo)
  fi
  apt_cmd+=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@")
  local out attempt rc
  out=$(mktemp)
  for attempt in $(seq 1 120); do
    rc=0
    "${apt_cmd[@]}" 2>&1 | tee "$out" >&2 || rc=$?
    if ((rc == 0)); then
      rm -f "$out"
      return 0
    fi
    if grep -qiE 'could not get lock|unable to (acquire|lock)|is another process using it' "$out"; then
      log "apt/dpkg is locked by another process; waiting (attempt $attempt)"
      sleep 5
      continue
    fi
    break
  done
  rm -f "$out"
  return "$rc"
}

apt_install() {
  local p cand need_update=0
  if ((!IS_ROOT)) && ! command -v sudo >/dev/null 2>&1; then
    die "need to install $* but not root and sudo is missing; as root run: apt-get update && apt-get install -y $*"
  fi
  for p in "$@"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    if [[ -z $cand || $cand == "(none)" ]]; then need_update=1; fi
  done
  if ((need_update)); then
    log "apt-get update"
    run_apt update -q || die "apt-get update failed"
  fi
  log "apt-get install -y $*"
  if ! run_apt install -y -q "$@"; then
    ((need_update)) && die "apt-get install $* failed"
    log "install failed; refreshing package lists and retrying"
    run_apt update -q || die "apt-get update failed"
    run_apt install -y -q "$@" || die "apt-get install $* failed"
  fi
}

newest_pg_bin() {
  local f
  f=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n1)
  [[ -n $f ]] && dirname -- "$f"
  return 0
}

ensure_packages() {
  local -a pkgs=()
  [[ -n $(newest_pg_bin) ]] || pkgs+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
  if ((${#pkgs[@]})); then
    apt_install "${pkgs[@]}"
  fi
  [[ -n $(newest_pg_bin) ]] || die "no initdb under /usr/lib/postgresql/*/bin after installing postgresql"
  command -v redis-server >/dev/null 2>&1 || die "redis-server not on PATH after installing redis-server"
  command -v redis-cli >/dev/null 2>&1 || die "redis-cli not on PATH (install redis-tools)"
  if ((IS_ROOT)); then
    getent passwd postgres >/dev/null || die "OS user 'postgres' does not exist (reinstall the postgresql package)"
  fi
}

# ------------------------------------------------------------ postgres ----

set_pg_paths() {
  PG_ROOT=$1
  PGDATA_DIR="$PG_ROOT/postgres"
  PG_LOG="$PG_ROOT/postgres.log"
}

# Find an existing cluster (no side effects). Returns 1 if none.
locate_pg() {
  if [[ -f $DATA/postgres/PG_VERSION ]]; then
    set_pg_paths "$DATA"
  elif ((IS_ROOT)) && [[ -f $FALLBACK_ROOT/postgres/PG_VERSION ]]; then
    set_pg_paths "$FALLBACK_ROOT"
  else
    return 1
  fi
  return 0
}

# Pick where the cluster lives for `up` (existing cluster wins).
choose_pg_root() {
  locate_pg && return 0
  if ((IS_ROOT)) && ! runuser -u postgres -- test -x "$DATA" 2>/dev/null; then
    log "postgres user cannot traverse $DATA; cluster goes to $FALLBACK_ROOT/postgres"
    set_pg_paths "$FALLBACK_ROOT"
  else
    set_pg_paths "$DATA"
  fi
}

pick_pg_bin() {
  if [[ -f $PGDATA_DIR/PG_VERSION ]]; then
    local major
    major=$(tr -d '[:space:]' <"$PGDATA_DIR/PG_VERSION")
    PGBIN="/usr/lib/postgresql/$major/bin"
    [[ -x $PGBIN/postgres ]] ||
      die "cluster in $PGDATA_DIR is PostgreSQL $major but $PGBIN/postgres is missing (apt-get install postgresql-$major, or scripts/infra.sh destroy)"
  else
    PGBIN=$(newest_pg_bin)
    [[ -n $PGBIN ]] || die "PostgreSQL is not installed (run: scripts/infra.sh up)"
  fi
}

# Prints running | stale | none for the postmaster.pid of our cluster.
pg_pid_state() {
  local pidfile="$PGDATA_DIR/postmaster.pid" pid comm cwd
  [[ -n $PGDATA_DIR && -f $pidfile ]] || {
    echo none
    return
  }
  pid=$(head -n1 "$pidfile" 2>/dev/null | tr -d '[:space:]')
  if [[ ! $pid =~ ^[0-9]+$ ]] || [[ ! -d /proc/$pid ]]; then
    echo stale
    return
  fi
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  if [[ $comm != postgres* && $comm != postmaster* ]]; then
    echo stale # PID reused by an unrelated process
    return
  fi
  cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
  if [[ -n $cwd && $cwd != "$(realpath -- "$PGDATA_DIR")" ]]; then
    echo stale # PID reused by some other postgres
    return
  fi
  echo running
}

pg_ready() {
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 2 >/dev/null 2>&1
}

pg_tcp_psql() {
  local port=$1 db=$2
  shift 2
  env -u PGSERVICE -u PGSERVICEFILE PGPASSWORD="$(read_secret "$PG_PW_FILE")" PGCONNECT_TIMEOUT=5 \
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_ROLE" -d "$db" "$@"
}

pg_conf_text() {
  local port=$1
  cat <<EOF
# Managed by scripts/infra.sh (rewritten on every 'up'); included last from postgresql.conf.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PGDATA_DIR'
unix_socket_permissions = 0700
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
full_page_writes = on
password_encryption = 'scram-sha-256'
logging_collector = off
EOF
}

pg_hba_text() {
  cat <<'EOF'
# Managed by scripts/infra.sh. The unix socket lives inside the data directory
# (mode 0700), so only the cluster's OS user can reach it: trust is safe there.
# TCP is loopback only and always needs the scram password.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
EOF
}

pg_init() {
  local tmp="$PG_ROOT/postgres.initdb" ilog="$PG_ROOT/initdb.log"
  log "initialising PostgreSQL $(basename -- "$(dirname -- "$PGBIN")") cluster in $PGDATA_DIR"
  rm -rf -- "$tmp"
  mkdir -m 700 -- "$tmp"
  pg_owner_chown "$tmp"
  : >"$ilog"
  pg_owner_chown "$ilog"
  # Initialise into a temporary directory and rename, so an interrupted initdb
  # never leaves a half-made cluster behind.
  if ! as_pg "$PGBIN/initdb" -D "$tmp" -U "$PG_ROLE" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$ilog" 2>&1; then
    tail -n 30 "$ilog" >&2
    rm -rf -- "$tmp"
    die "initdb failed (log: $ilog)"
  fi
  printf "\n# Local overrides written by scripts/infra.sh\ninclude_if_exists = 'lcr.conf'\n" >>"$tmp/postgresql.conf"
  mv -- "$tmp" "$PGDATA_DIR"
  rm -f -- "$ilog"
  PG_FRESH=1
}

# Start (or reconfigure) PostgreSQL; waits (at most $2 s) until the
# postmaster reports "ready" in postmaster.pid, i.e. is listening.
pg_start() {
  local port=$1 wait_s=$2 conf_changed=0 hba_changed=0 state
  if pg_conf_text "$port" | write_if_changed "$PGDATA_DIR/lcr.conf"; then conf_changed=1; fi
  if pg_hba_text | write_if_changed "$PGDATA_DIR/pg_hba.conf"; then hba_changed=1; fi
  pg_owner_chown "$PGDATA_DIR/lcr.conf" "$PGDATA_DIR/pg_hba.conf"

  # pg_ctl -l opens the log as the cluster user.
  [[ -e $PG_LOG ]] || : >"$PG_LOG"
  pg_owner_chown "$PG_LOG"
  if [[ $PG_ROOT != "$DATA" ]]; then
    ln -sfn -- "$PG_LOG" "$DATA/postgres.log"
  fi

  state=$(pg_pid_state)
  if [[ $state == running ]]; then
    if ((conf_changed)); then
      log "PostgreSQL settings changed; restarting"
      as_pg "$PGBIN/pg_ctl" restart -D "$PGDATA_DIR" -m fast -w -t "$WAIT_SECONDS" -s -l "$PG_LOG" ||
        pg_fail "PostgreSQL restart failed"
    elif ((hba_changed)); then
      as_pg "$PGBIN/pg_ctl" reload -D "$PGDATA_DIR" -s >/dev/null
    fi
    return 0
  fi
  if [[ $state == stale ]]; then
    log "removing stale postmaster.pid (server was not shut down cleanly)"
    as_pg rm -f -- "$PGDATA_DIR/postmaster.pid"
  fi
  # Leftover socket lock files from a crash would block startup the same way.
  as_pg find "$PGDATA_DIR" -maxdepth 1 -name '.s.PGSQL.*' -delete
  log "starting PostgreSQL on 127.0.0.1:$port"
  as_pg "$PGBIN/pg_ctl" start -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$wait_s" -s >/dev/null ||
    pg_fail "PostgreSQL failed to start on 127.0.0.1:$port (or not ready within ${wait_s}s)"
}

pg_fail() {
  printf 'infra: --- last lines of %s ---\n' "$PG_LOG" >&2
  tail -n 30 "$PG_LOG" >&2 || true
  die "$1"
}

# Make the lcr password match the secret (sets it on a fresh cluster, repairs
# drift if the secret was regenerated), then create missing databases.
pg_provision() {
  local port=$1 pw
  if ((PG_FRESH)) || ! pg_tcp_psql "$port" postgres -Atc 'select 1' >/dev/null 2>&1; then
    log "setting password of role $PG_ROLE"
    pw=$(read_secret "$PG_PW_FILE")
    as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDATA_DIR" -p "$port" -U "$PG_ROLE" -d postgres \
      >/dev/null <<<"ALTER ROLE $PG_ROLE WITH LOGIN SUPERUSER PASSWORD '$pw';" ||
      die "could not set the $PG_ROLE password over the local socket"
    pg_tcp_psql "$port" postgres -Atc 'select 1' >/dev/null ||
      die "cannot log in as $PG_ROLE over TCP with the stored password"
  fi
  local dd
  dd=$(pg_tcp_psql "$port" postgres -Atc 'show data_directory')
  [[ $(realpath -m -- "$dd") == "$(realpath -- "$PGDATA_DIR")" ]] ||
    die "the server on 127.0.0.1:$port is not ours (its data directory is $dd)"
  local list
  list=$(printf "'%s'," "${PG_DATABASES[@]}")
  list=${list%,}
  pg_tcp_psql "$port" postgres >/dev/null <<EOF
SELECT format('CREATE DATABASE %I OWNER %I', d, '$PG_ROLE')
FROM unnest(ARRAY[$list]) AS d
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d)
\gexec
EOF
}

pg_stop() {
  locate_pg || return 0
  pick_pg_bin
  local state
  state=$(pg_pid_state)
  if [[ $state == running ]]; then
    log "stopping PostgreSQL ($PGDATA_DIR)"
    as_pg "$PGBIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t 60 -s ||
      die "pg_ctl stop failed (log: $PG_LOG)"
  fi
}

# --------------------------------------------------------------- redis ----

redis_ping() {
  local port=$1 out
  [[ -s $REDIS_PW_FILE ]] || return 1
  out=$(REDISCLI_AUTH="$(read_secret "$REDIS_PW_FILE")" timeout 5 redis-cli --no-auth-warning \
    -h 127.0.0.1 -p "$port" PING 2>/dev/null) || return 1
  [[ $out == PONG ]]
}

# Prints the PID of our redis if the pidfile points at a live redis-server.
redis_pid() {
  local pid comm
  [[ -f $REDIS_PID ]] || return 1
  pid=$(tr -d '[:space:]' <"$REDIS_PID" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ && -d /proc/$pid ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  [[ $comm == redis* ]] || return 1
  printf '%s\n' "$pid"
}

redis_conf_text() {
  local port=$1
  cat <<EOF
# Managed by scripts/infra.sh (rewritten on every 'up'). Contains the password: keep mode 600.
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_PID
logfile $REDIS_LOG
dir $REDIS_DIR
save ""
appendonly no
always-show-logo no
requirepass $(read_secret "$REDIS_PW_FILE")
EOF
}

redis_stop() {
  local pid port i
  pid=$(redis_pid) || {
    rm -f -- "$REDIS_PID"
    return 0
  }
  # The port of the running instance is the one in its config file.
  port=$(conf_value "$REDIS_CONF" port)
  port=${port:-$(redis_port)}
  log "stopping Redis (pid $pid)"
  if [[ -s $REDIS_PW_FILE ]]; then
    REDISCLI_AUTH="$(read_secret "$REDIS_PW_FILE")" timeout 10 redis-cli --no-auth-warning \
      -h 127.0.0.1 -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  fi
  for i in $(seq 1 100); do
    [[ -d /proc/$pid ]] || break
    if ((i == 50)); then kill -TERM "$pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  if [[ -d /proc/$pid ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f -- "$REDIS_PID"
}

redis_start() {
  local port=$1 changed=1 tmp
  mkdir -p -- "$REDIS_DIR"
  chmod 700 "$REDIS_DIR"
  tmp=$(mktemp "$REDIS_CONF.XXXXXX")
  redis_conf_text "$port" >"$tmp"
  if [[ -f $REDIS_CONF ]] && cmp -s "$tmp" "$REDIS_CONF"; then changed=0; fi
  if redis_pid >/dev/null; then
    if ((!changed)) && redis_ping "$port"; then
      rm -f -- "$tmp"
      return 0
    fi
    log "Redis settings changed or not answering; restarting"
    redis_stop # still sees the old config (old port)
  fi
  chmod 600 "$tmp"
  mv -f -- "$tmp" "$REDIS_CONF"
  rm -f -- "$REDIS_PID"
  log "starting Redis on 127.0.0.1:$port"
  # 9>&-: daemons must not inherit (and so hold) the data-dir lock.
  redis-server "$REDIS_CONF" </dev/null >/dev/null 2>&1 9>&- || redis_fail "redis-server failed to start"
}

redis_fail() {
  printf 'infra: --- last lines of %s ---\n' "$REDIS_LOG" >&2
  tail -n 30 "$REDIS_LOG" >&2 2>/dev/null || true
  die "$1"
}

# ------------------------------------------------------------ commands ----

write_env_file() {
  local pg_port=$1 redis_port=$2 pg_pw redis_pw base
  pg_pw=$(read_secret "$PG_PW_FILE")
  redis_pw=$(read_secret "$REDIS_PW_FILE")
  base="Host=127.0.0.1;Port=$pg_port;Username=$PG_ROLE;Password=$pg_pw"
  mkdir -p -- "$ENV_DIR"
  {
    printf 'LCR_POSTGRES_ADMIN="%s;Database=postgres"\n' "$base"
    printf 'LCR_REDIS="127.0.0.1:%s,password=%s"\n' "$redis_port" "$redis_pw"
    printf 'ConnectionStrings__Demographics="%s;Database=lcr_demographics"\n' "$base"
    printf 'ConnectionStrings__Identity="%s;Database=lcr_identity"\n' "$base"
    printf 'ConnectionStrings__Consent="%s;Database=lcr_consent"\n' "$base"
    printf 'ConnectionStrings__Clinical="%s;Database=lcr_clinical"\n' "$base"
    printf 'ConnectionStrings__Audit="%s;Database=lcr_audit"\n' "$base"
    printf 'ConnectionStrings__Redis="127.0.0.1:%s,password=%s"\n' "$redis_port" "$redis_pw"
  } | write_if_changed "$ENV_FILE" || true
  chmod 600 "$ENV_FILE"
}

cmd_up() {
  local pgp rp deadline
  if [[ -n ${LCR_PG_PORT:-} ]]; then validate_port LCR_PG_PORT "$LCR_PG_PORT"; fi
  if [[ -n ${LCR_REDIS_PORT:-} ]]; then validate_port LCR_REDIS_PORT "$LCR_REDIS_PORT"; fi

  ensure_packages

  if [[ ! -d $DATA ]]; then
    mkdir -p -- "$DATA"
    chmod 755 "$DATA" # the postgres user must be able to traverse it (root mode)
  fi
  lock_data_dir
  mkdir -p -- "$SECRETS"
  chmod 700 "$SECRETS"
  ensure_secret "$PG_PW_FILE"
  ensure_secret "$REDIS_PW_FILE"

  choose_pg_root
  if [[ $PG_ROOT != "$DATA" ]]; then
    mkdir -p -- "$PG_ROOT"
    chmod 755 "$PG_ROOT"
  fi
  pick_pg_bin
  # Ports: LCR_*_PORT if set, else what this data dir was last started with,
  # else the defaults (55432 / 56379).
  pgp=$(pg_port)
  rp=$(redis_port)
  validate_port "PostgreSQL port" "$pgp"
  validate_port "Redis port" "$rp"
  [[ $pgp != "$rp" ]] || die "the PostgreSQL and Redis ports must differ"
  [[ -f $PGDATA_DIR/PG_VERSION ]] || pg_init

  deadline=$((SECONDS + WAIT_SECONDS))
  redis_start "$rp" # daemonizes at once; checked below
  pg_start "$pgp" "$WAIT_SECONDS"

  # Readiness only counts if our own postmaster is alive (another server may
  # already own the port, in which case ours exits).
  until [[ $(pg_pid_state) == running ]] && pg_ready "$pgp"; do
    if ((SECONDS >= deadline)); then pg_fail "PostgreSQL did not become ready on 127.0.0.1:$pgp within ${WAIT_SECONDS}s"; fi
    if [[ $(pg_pid_state) != running ]] && ((SECONDS >= deadline - WAIT_SECONDS + 3)); then
      pg_fail "PostgreSQL exited during startup"
    fi
    sleep 0.2
  done
  until redis_pid >/dev/null && redis_ping "$rp"; do
    if ((SECONDS >= deadline)); then redis_fail "Redis did not answer PING on 127.0.0.1:$rp within ${WAIT_SECONDS}s"; fi
    if ! redis_pid >/dev/null && ((SECONDS >= deadline - WAIT_SECONDS + 3)); then
      redis_fail "Redis exited during startup"
    fi
    sleep 0.2
  done

  pg_provision "$pgp"
  write_env_file "$pgp" "$rp"

  local redis_ver
  redis_ver=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
  printf 'PostgreSQL %s listening on 127.0.0.1:%s (data %s, log %s)\n' \
    "$(cat "$PGDATA_DIR/PG_VERSION")" "$pgp" "$PGDATA_DIR" "$DATA/postgres.log"
  printf 'Redis %s listening on 127.0.0.1:%s (data %s); connection strings: %s\n' \
    "${redis_ver:-?}" "$rp" "$REDIS_DIR" "$ENV_FILE"
}

cmd_down() {
  [[ -d $DATA ]] || locate_pg || return 0
  if [[ -d $DATA ]]; then lock_data_dir; fi
  pg_stop
  redis_stop
  log "stopped"
}

cmd_status() {
  local pg_ok=0 redis_ok=0 pgp rp
  if locate_pg; then
    pick_pg_bin
    pgp=$(pg_port)
    if [[ $(pg_pid_state) == running ]] && pg_ready "$pgp"; then pg_ok=1; fi
  else
    pgp=$(pg_port)
  fi
  rp=$(redis_port)
  if command -v redis-cli >/dev/null 2>&1 && redis_ping "$rp"; then redis_ok=1; fi
  if ((pg_ok)); then
    echo "postgresql: up (127.0.0.1:$pgp, data $PGDATA_DIR)"
  else
    echo "postgresql: down (127.0.0.1:$pgp)"
  fi
  if ((redis_ok)); then
    echo "redis: up (127.0.0.1:$rp, data $REDIS_DIR)"
  else
    echo "redis: down (127.0.0.1:$rp)"
  fi
  ((pg_ok && redis_ok))
}

cmd_env() {
  [[ -s $ENV_FILE ]] || die "$ENV_FILE not found: run scripts/infra.sh up first"
  sed -e '/^[A-Za-z_][A-Za-z0-9_]*=/!d' -e 's/^/export /' "$ENV_FILE"
}

cmd_psql() {
  locate_pg || die "no PostgreSQL cluster: run scripts/infra.sh up first"
  pick_pg_bin
  local pw
  pw=$(read_secret "$PG_PW_FILE")
  PGPASSWORD="$pw" PGHOST=127.0.0.1 PGPORT="$(pg_port)" PGUSER="$PG_ROLE" \
    PGDATABASE="${PGDATABASE:-postgres}" exec "$PGBIN/psql" "$@"
}

safe_to_remove() {
  local d=$1
  [[ $d == /* && $d != / && $d != "$REPO" && $d != "${HOME:-/}" && $d != "$SCRIPT_DIR" ]]
}

cmd_destroy() {
  cmd_down
  if ((IS_ROOT)) && [[ -d $FALLBACK_ROOT ]]; then
    log "removing $FALLBACK_ROOT"
    rm -rf -- "$FALLBACK_ROOT"
  fi
  if [[ -e $DATA ]]; then
    safe_to_remove "$DATA" || die "refusing to remove $DATA"
    log "removing $DATA"
    rm -rf -- "$DATA"
  fi
  if [[ -e $ENV_FILE ]]; then rm -f -- "$ENV_FILE"; fi
  if [[ -d $ENV_DIR ]]; then rmdir -- "$ENV_DIR" 2>/dev/null || true; fi
  log "destroyed"
}

main() {
  local sub=${1:-}
  [[ $# -gt 0 ]] && shift
  case $sub in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  env) cmd_env "$@" ;;
  psql) cmd_psql "$@" ;;
  destroy) cmd_destroy "$@" ;;
  -h | --help | help)
    usage
    ;;
  *)
    usage
    exit 2
    ;;
  esac
}

main "$@"
