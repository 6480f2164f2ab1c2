#!/usr/bin/env bash
# Sourced by scripts/run.sh and scripts/bench-platform.sh: the development secrets, generated once
# into the git-ignored .data/secrets (mode 600), never committed or printed, exported under the
# configuration names the services read. Expects REPO to be set.
SECRETS="$REPO/.data/secrets"
mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
secret() { # name, generator
  local file="$SECRETS/$1"
  if [ ! -s "$file" ]; then (umask 077; eval "$2" > "$file"); fi
  tr -d '\n' < "$file"
}
Lcr__PseudonymKey="$(secret pseudonym-key 'head -c 32 /dev/urandom | base64')"
Identity__KeyEncryptionKey="$(secret identity-key-encryption-key 'head -c 32 /dev/urandom | base64')"
Identity__SeedPassword="$(secret dev-password 'echo "Leeds-$(head -c 9 /dev/urandom | base64 | tr -d "/+=")"')"
Identity__SeedClientSecret="$(secret dev-client-secret 'head -c 24 /dev/urandom | base64 | tr -d "/+="')"
Internal__SigningKey="$(secret internal-signing-key 'head -c 32 /dev/urandom | base64')"
export Lcr__PseudonymKey Identity__KeyEncryptionKey Identity__SeedPassword Identity__SeedClientSecret Internal__SigningKey
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
