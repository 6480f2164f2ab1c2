#!/usr/bin/env bash
# Pins every Dockerfile's base images by digest: each FROM image "repo:tag" becomes
# "repo:tag@sha256:<digest>", the digest of what the registry serves for that tag now (for a
# multi-platform tag, its image index, so every architecture stays pinned). The tag stays for
# people; the digest is what builders pull. Pinned lines leave scripts/unpinned-base-images.txt.
#
#   scripts/pin-base-images.sh           resolve every unpinned FROM, then rewrite (all or nothing)
#   scripts/pin-base-images.sh --check   list the FROM lines not pinned by digest; exit 1 if any
#
# Needs the registry (mcr.microsoft.com) and skopeo (apt-get install skopeo); nothing is
# pulled. Run it when bumping the base tags and before every release (docs/operations.md, "Images").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

LIST=scripts/unpinned-base-images.txt
mapfile -t DOCKERFILES < <(git ls-files -- '*Dockerfile' 2>/dev/null || find . -name Dockerfile -not -path '*/node_modules/*' | sed 's|^\./||')

# "file image" for every FROM whose image has no digest.
unpinned() {
  local f
  for f in "${DOCKERFILES[@]}"; do
    awk -v f="$f" 'toupper($1) == "FROM" { for (i = 2; i <= NF; i++) if ($i !~ /^--/) { if ($i !~ /@sha256:[0-9a-f]{64}$/) print f, $i; break } }' "$f"
  done
}

if [[ "${1:-}" == "--check" ]]; then
  lines=$(unpinned)
  if [[ -n "$lines" ]]; then
    echo "FROM lines not pinned by digest (pin them before a release: scripts/pin-base-images.sh):" >&2
    echo "$lines" >&2
    exit 1
  fi
  echo "every FROM line is pinned by digest"
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--check]" >&2
  exit 2
fi

if ! command -v skopeo >/dev/null; then
  echo "skopeo is not installed (apt-get install skopeo); nothing was changed." >&2
  exit 2
fi

declare -A DIGEST
failed=0
while read -r image; do
  [[ -z "$image" ]] && continue
  # --raw: the manifest exactly as served (an image index for multi-platform tags); its sha256 is the digest.
  if raw=$(skopeo inspect --retry-times 2 --raw "docker://$image" 2>/tmp/pin-base-images.$$.err); then
    DIGEST[$image]="sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)"
    echo "$image -> ${DIGEST[$image]}"
  else
    echo "cannot resolve $image in its registry: $(tail -1 /tmp/pin-base-images.$$.err)" >&2
    failed=1
  fi
done < <(unpinned | cut -d' ' -f2 | sort -u)
rm -f /tmp/pin-base-images.$$.err

if [[ $failed -ne 0 ]]; then
  echo "Nothing was changed: every base image must resolve before any FROM is rewritten." >&2
  exit 3
fi

while read -r file image; do
  digest=${DIGEST[$image]}
  # Only the FROM lines, the image as a whole word.
  sed -i -E "s#^(FROM[[:space:]]+(--[^[:space:]]+[[:space:]]+)*)$(printf '%s' "$image" | sed 's/[.[\*^$/]/\\&/g')([[:space:]]|\$)#\1${image}@${digest}\3#" "$file"
  grep -v -F -x "$file $image" "$LIST" > "$LIST.tmp" || true
  mv "$LIST.tmp" "$LIST"
done < <(unpinned)

echo "Pinned. Review and commit the Dockerfiles and $LIST together; make test checks them."
