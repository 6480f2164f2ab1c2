#!/usr/bin/env bash
# The development OpenID Connect provider (tools/dev-oidc: oidc-provider from npm, CIS2-shaped
# claims for the seeded professionals) on 127.0.0.1, for make run and make test. Never deployed.
#
#   scripts/dev-oidc.sh up       npm ci if needed, start (idempotent), wait for discovery
#   scripts/dev-oidc.sh down     stop it (succeeds if already stopped)
#   scripts/dev-oidc.sh status   exit 0 only if it answers
#   scripts/dev-oidc.sh env      print `export LCR_DEV_OIDC_ISSUER="..."`: eval "$(scripts/dev-oidc.sh env)"
#   scripts/dev-oidc.sh id-token <user name> [client id] [acr]
#                                print an ID token for a seeded person (the real code + PKCE flow,
#                                tools/dev-oidc/id-token.js), for ExchangeFederatedToken by hand
#
# Environment: LCR_DEV_OIDC_PORT (default 7190). Its signing keys are generated on first start
# into .data/dev-oidc/jwks.json (owner-only, git-ignored); delete that file to get new keys.
set -euo pipefail

readonly WAIT_SECONDS=30
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
TOOL="$REPO/tools/dev-oidc"
DATA="$REPO/.data/dev-oidc"
PID_FILE="$DATA/server.pid"
LOG_FILE="$DATA/server.log"
PORT_FILE="$DATA/port"

log() { printf 'dev-oidc: %s\n' "$*" >&2; }
die() {
  printf 'dev-oidc: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  echo "usage: scripts/dev-oidc.sh {up|down|status|env|id-token <user> [client] [acr]}  (env: LCR_DEV_OIDC_PORT, default 7190)" >&2
}

# The port: LCR_DEV_OIDC_PORT if set, else what it was last started with, else 7190.
port() {
  if [[ -n ${LCR_DEV_OIDC_PORT:-} ]]; then
    [[ $LCR_DEV_OIDC_PORT =~ ^[0-9]+$ ]] && ((LCR_DEV_OIDC_PORT >= 1024 && LCR_DEV_OIDC_PORT <= 65535)) ||
      die "LCR_DEV_OIDC_PORT must be a port number between 1024 and 65535"
    echo "$LCR_DEV_OIDC_PORT"
  elif [[ -s $PORT_FILE ]]; then
    cat "$PORT_FILE"
  else
    echo 7190
  fi
}

issuer() { echo "http://127.0.0.1:$(port)"; }

# The pid of our server, if it is alive and is ours.
server_pid() {
  [[ -s $PID_FILE ]] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q "server.js" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

answers() {
  curl -fsS --max-time 2 "$(issuer)/.well-known/openid-configuration" 2>/dev/null | grep -q "\"issuer\":\"$(issuer)\""
}

ensure_node() {
  command -v node >/dev/null 2>&1 || die "node (20 or later) is needed: install Node.js (e.g. apt-get install nodejs npm)"
  command -v npm >/dev/null 2>&1 || die "npm is needed next to node"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  ((major >= 20)) || die "node 20 or later is needed (found $(node --version))"
}

# npm ci when node_modules is missing or older than the lock file.
ensure_packages() {
  if [[ ! -f $TOOL/node_modules/.package-lock.json || $TOOL/package-lock.json -nt $TOOL/node_modules/.package-lock.json ]]; then
    log "installing tools/dev-oidc packages (npm ci)"
    (cd "$TOOL" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed in tools/dev-oidc"
  fi
}

# Whether the provider's code, people or packages changed since it started (then up restarts it).
changed_since_start() {
  local f
  for f in "$TOOL/server.js" "$TOOL/people.json" "$TOOL/package-lock.json"; do
    [[ $f -nt $PID_FILE ]] && return 0
  done
  return 1
}

cmd_up() {
  ensure_node
  ensure_packages
  mkdir -p -- "$DATA"
  chmod 700 "$DATA"
  local p
  p=$(port)
  if server_pid >/dev/null; then
    if [[ $(cat "$PORT_FILE" 2>/dev/null) == "$p" ]] && answers && ! changed_since_start; then
      echo "dev OpenID Connect provider already running at $(issuer)"
      return 0
    fi
    log "port, code or people changed, or not answering; restarting"
    cmd_down
  fi
  echo "$p" >"$PORT_FILE"
  log "starting on 127.0.0.1:$p"
  # setsid: its own session, so Ctrl-C in a terminal running make does not reach it mid-test;
  # 9>&-: it must not hold any lock the caller has open.
  rm -f -- "$PID_FILE"
  (cd "$TOOL" && LCR_DEV_OIDC_PORT="$p" LCR_DEV_OIDC_DATA="$DATA" LCR_DEV_OIDC_PID_FILE="$PID_FILE" \
    setsid node server.js </dev/null >"$LOG_FILE" 2>&1 9>&- &)
  local deadline=$((SECONDS + WAIT_SECONDS))
  until server_pid >/dev/null && answers; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "the provider did not answer at $(issuer) within ${WAIT_SECONDS}s (log $LOG_FILE)"
    fi
    sleep 0.2
  done
  echo "dev OpenID Connect provider listening at $(issuer) (log $LOG_FILE)"
}

cmd_down() {
  local pid
  if pid=$(server_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    log "stopped"
  fi
  rm -f -- "$PID_FILE"
}

cmd_status() {
  if server_pid >/dev/null && answers; then
    echo "dev-oidc: up ($(issuer))"
  else
    echo "dev-oidc: down ($(issuer))"
    return 1
  fi
}

cmd_env() {
  printf 'export LCR_DEV_OIDC_ISSUER="%s"\n' "$(issuer)"
}

cmd_id_token() {
  [[ $# -ge 1 ]] || die "usage: scripts/dev-oidc.sh id-token <user name> [client id] [acr]"
  server_pid >/dev/null || die "the provider is not running: scripts/dev-oidc.sh up"
  LCR_DEV_OIDC_ISSUER="$(issuer)" node "$TOOL/id-token.js" "$@"
}

case ${1:-} in
up) cmd_up ;;
id-token)
  shift
  cmd_id_token "$@"
  ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
-h | --help | help) usage ;;
*)
  usage
  exit 2
  ;;
esac
