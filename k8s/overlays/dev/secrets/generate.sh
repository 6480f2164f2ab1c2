#!/usr/bin/env bash
# Generates the dev overlay's Secrets as env files with random values (kustomize's
# secretGenerator reads them, ../kustomization.yaml): one file per Secret, readable by the
# owner only, git-ignored (.gitignore here). Nothing secret is committed, the dev overlay
# included. k8s/deploy.sh runs this before rendering; run it by hand to render the overlay
# with `kubectl kustomize`. Idempotent: existing files are kept (the in-cluster PostgreSQL
# keeps the password it was initialised with); if only some exist it stops, and deleting them
# all (and the dev namespace's volumes) starts afresh.
# Usage: k8s/overlays/dev/secrets/generate.sh [output-dir]   (default: this folder)
set -euo pipefail
dir="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
files=(platform identity demographics consent clinical audit audit-migrations redis postgres redis-server)

present=0
for f in "${files[@]}"; do [ -f "$dir/$f.env" ] && present=$((present + 1)); done
if [ "$present" -eq "${#files[@]}" ]; then exit 0; fi
if [ "$present" -ne 0 ]; then
  echo "generate.sh: $dir holds only some of the dev Secret files; delete its *.env files to generate all afresh" >&2
  exit 1
fi

# base64 of n random bytes (keys), and 32 random letters and digits (passwords: no character
# that a connection string or a shell would read specially).
key() { head -c "$1" /dev/urandom | base64 -w0; }
word() { head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-32; }

umask 077
mkdir -p "$dir"
pg="$(word)"
redis="$(word)"
# Service names without the namespace: the pod's DNS search path resolves them in whichever
# namespace the overlay deploys to.
db() { echo "Host=lcr-postgres;Port=5432;Database=$1;Username=postgres;Password=$pg"; }

printf 'Lcr__PseudonymKey=%s\nInternal__SigningKey=%s\n' "$(key 32)" "$(key 32)" >"$dir/platform.env"
printf 'ConnectionStrings__Identity=%s\nIdentity__KeyEncryptionKey=%s\nIdentity__SeedPassword=%s\nIdentity__SeedClientSecret=%s\n' \
  "$(db lcr_identity)" "$(key 32)" "$(word)" "$(word)" >"$dir/identity.env"
printf 'ConnectionStrings__Demographics=%s\n' "$(db lcr_demographics)" >"$dir/demographics.env"
printf 'ConnectionStrings__Consent=%s\n' "$(db lcr_consent)" >"$dir/consent.env"
printf 'ConnectionStrings__Clinical=%s\n' "$(db lcr_clinical)" >"$dir/clinical.env"
printf 'ConnectionStrings__Audit=%s\n' "$(db lcr_audit)" >"$dir/audit.env"
printf 'ConnectionStrings__AuditMigrations=%s\n' "$(db lcr_audit)" >"$dir/audit-migrations.env"
printf 'ConnectionStrings__Redis=lcr-redis:6379,password=%s\n' "$redis" >"$dir/redis.env"
printf 'POSTGRES_PASSWORD=%s\n' "$pg" >"$dir/postgres.env"
printf 'REDIS_PASSWORD=%s\n' "$redis" >"$dir/redis-server.env"
echo "generated the dev Secrets in $dir (git-ignored)"
