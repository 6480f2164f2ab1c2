#!/usr/bin/env bash
# Tools the deployment checks (tests/Lcr.Deployment.Tests) need, installed only from the
# registries this project uses:
#   kubectl with kustomize v4+ (renders k8s/overlays): Debian's `kubectl` package where an apt
#     source offers it, else Debian's `kubernetes-client`. Needs kustomize components, so an
#     old kubectl (kubernetes-client 1.20 embeds kustomize v2) is reported, not used silently.
#   node + npm (Debian) and k8s/tools' pinned npm packages: kubernetes-models (the Kubernetes
#     API JSON schemas as validators), yaml, dockerfile-utils (the Dockerfile linter).
# Idempotent; as root or through sudo. Exits non-zero when a tool cannot be had.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

# kustomize version embedded in kubectl, as "major" (0 when unknown).
kustomize_major() {
  kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p' | head -n1
}

if ! command -v kubectl >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null; apt_updated=1
  if [ -n "$(candidate kubectl)" ] && [ "$(candidate kubectl)" != "(none)" ]; then
    apt_install kubectl
  elif [ -n "$(candidate kubernetes-client)" ] && [ "$(candidate kubernetes-client)" != "(none)" ]; then
    apt_install kubernetes-client
  else
    echo "install-k8s-tools: no kubectl package (kubectl, kubernetes-client) in the apt sources" >&2
    exit 1
  fi
fi
major="$(kustomize_major)"
if [ -z "$major" ] || [ "$major" -lt 4 ]; then
  echo "install-k8s-tools: $(command -v kubectl) embeds kustomize '${major:-unknown}'; k8s/ needs v4 or later" >&2
  echo "  (kubectl 1.21+; Debian bookworm's kubernetes-client is 1.20). Install a newer kubectl package." >&2
  exit 1
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi

if ! (cd "$REPO/k8s/tools" && npm ls --silent >/dev/null 2>&1); then
  (cd "$REPO/k8s/tools" && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "k8s tools: $(kubectl version --client 2>/dev/null | head -n1), kustomize v$major, node $(node --version), k8s/tools ready"
