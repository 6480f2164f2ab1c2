#!/usr/bin/env bash
# Deploys an overlay in the order that keeps every release safe:
#   1. foundation: namespace, ConfigMaps, Secrets (dev: generated), ServiceAccounts, Services,
#      NetworkPolicies and, in dev, PostgreSQL, Redis and the collector (waited for);
#   2. migrate:    each service's migration Job (its own image, verb `migrate`; `seed` in dev),
#      the previous run deleted first (a Job's pod template is immutable), all waited for;
#      a failed Job stops the deployment here, before any new version serves;
#   3. serve:      the Deployments, PodDisruptionBudgets and HorizontalPodAutoscalers,
#      waited for with `kubectl rollout status`.
# Objects carry the label lcr.nhs.uk/phase; tests/Lcr.Deployment.Tests checks every object has
# one and that nothing depends on a later phase.
# Before anything is applied the overlay is rendered and refused while it still holds a
# placeholder an operator must set (marked REPLACE-ME, e.g. the CIS2 client ids, or a
# documentation address range or example host name, e.g. the managed databases' subnets):
# a placeholder applied unchanged fails silently at run time. `--check` renders and checks only.
# Usage: k8s/deploy.sh [--check] k8s/overlays/dev|k8s/overlays/production   (kubectl's current context)
set -euo pipefail
check_only=false
if [ "${1:-}" = "--check" ]; then check_only=true; shift; fi
overlay="${1:?usage: k8s/deploy.sh [--check] k8s/overlays/<name>}"

# An overlay that generates its Secrets (dev: git-ignored env files with random values, never
# committed) gets them before it is rendered; existing ones are kept.
if [ -f "$overlay/secrets/generate.sh" ]; then bash "$overlay/secrets/generate.sh" >&2; fi

rendered="$(kubectl kustomize "$overlay")"
# Placeholders an operator must replace: anything marked REPLACE-ME (any case), an address in a
# documentation range (RFC 5737: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24; RFC 3849:
# 2001:db8::/32) and a host under a reserved example name (RFC 2606: .example, .invalid,
# example.com/.net/.org). Names the keys (the text before the colon), never the values.
pattern='replace-me'
pattern+='|(^|[^0-9.])(192\.0\.2|198\.51\.100|203\.0\.113)\.[0-9]'
pattern+='|(^|[^0-9a-f:])2001:0*db8:'
pattern+='|[.](example|invalid)([^a-z0-9-]|$)'
pattern+='|(^|[^a-z0-9.-])example[.](com|net|org)([^a-z0-9-]|$)'
placeholders="$(grep -niE "$pattern" <<<"$rendered" | sed -E 's/^([0-9]+):[[:space:]]*-?[[:space:]]*([^:]*).*/  line \1: \2/' || true)"
if [ -n "$placeholders" ]; then
  echo "k8s/deploy.sh: $overlay still holds placeholders (REPLACE-ME, a documentation address range or an example host name); set them before deploying:" >&2
  echo "$placeholders" >&2
  exit 3
fi
if $check_only; then echo "$overlay: no placeholders left"; exit 0; fi
# The namespace the overlay deploys to (its Namespace object), unless LCR_NAMESPACE says otherwise.
ns="${LCR_NAMESPACE:-$(sed -n '/^kind: Namespace$/,/^---$/ s/^  name: //p' <<<"$rendered" | awk 'NR == 1')}"
ns="${ns:-lcr}"
timeout="${LCR_DEPLOY_TIMEOUT:-600s}"

echo "== foundation"
kubectl apply -k "$overlay" -l lcr.nhs.uk/phase=foundation
for sts in $(kubectl -n "$ns" get statefulset -l app.kubernetes.io/part-of=lcr-platform -o name); do
  kubectl -n "$ns" rollout status "$sts" --timeout="$timeout"
done

echo "== migrate"
kubectl -n "$ns" delete job -l lcr.nhs.uk/phase=migrate --ignore-not-found --wait=true
kubectl apply -k "$overlay" -l lcr.nhs.uk/phase=migrate
deadline=$(( $(date +%s) + ${timeout%s} ))
for job in $(kubectl -n "$ns" get job -l lcr.nhs.uk/phase=migrate -o name); do
  while :; do
    complete="$(kubectl -n "$ns" get "$job" -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}')"
    failed="$(kubectl -n "$ns" get "$job" -o jsonpath='{.status.conditions[?(@.type=="Failed")].status}')"
    if [ "$complete" = "True" ]; then echo "$job complete"; break; fi
    if [ "$failed" = "True" ] || [ "$(date +%s)" -gt "$deadline" ]; then
      echo "$job did not complete; its log:" >&2
      kubectl -n "$ns" logs "$job" --tail=50 >&2 || true
      echo "deploy stopped before the new version serves" >&2
      exit 1
    fi
    sleep 3
  done
done

echo "== serve"
kubectl apply -k "$overlay" -l lcr.nhs.uk/phase=serve
for d in $(kubectl -n "$ns" get deployment -l lcr.nhs.uk/phase=serve -o name); do
  kubectl -n "$ns" rollout status "$d" --timeout="$timeout"
done
echo "deployed $overlay to namespace $ns"
