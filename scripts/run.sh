#!/usr/bin/env bash
# make run: PostgreSQL, Redis and the development OpenID Connect provider up, build, migrate and seed
# every service, start them all on 127.0.0.1, print the endpoints and example lcr commands, and stop everything on Ctrl-C (PostgreSQL
# and Redis only if this run started them: infrastructure that was already running is left running).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
scripts/require-dotnet.sh
INFRA_WAS_RUNNING=0
if scripts/infra.sh status >/dev/null 2>&1; then INFRA_WAS_RUNNING=1; fi
scripts/infra.sh up
eval "$(scripts/infra.sh env)"
OIDC_WAS_RUNNING=0
if scripts/dev-oidc.sh status >/dev/null 2>&1; then OIDC_WAS_RUNNING=1; fi
scripts/dev-oidc.sh up
eval "$(scripts/dev-oidc.sh env)"
# Identity trusts the development provider for every synthetic organisation (docs/services/identity.md,
# "Federated sign-in"); the audiences are the clinical systems registered in tools/dev-oidc/server.js.
export Identity__Federation__Providers__0__Name=dev-oidc
export Identity__Federation__Providers__0__Authority="$LCR_DEV_OIDC_ISSUER"
export Identity__Federation__Providers__0__RequireHttpsMetadata=false
i=0; for aud in b86001-gp-system rr8-ppm-epr rgd-care-epr 00da-social-care-system lcr-cli; do
  export "Identity__Federation__Providers__0__Audiences__$i=$aud"; i=$((i + 1)); done
i=0; for ods in B86001 B86002 B86003 RR8 RGD RY6 00DA LCR01; do
  export "Identity__Federation__Providers__0__AllowedOrganisations__$i=$ods"; i=$((i + 1)); done

# The gateway's HTTP endpoint (JSON over HTTP, gRPC-Web, FHIR; appsettings.json: 127.0.0.1:7110) and the
# origin of a browser application on a local dev server, allowed to call it from the browser (CORS).
GATEWAY_HTTP=http://127.0.0.1:7110
export Gateway__Cors__AllowedOrigins__0="${LCR_BROWSER_ORIGIN:-http://localhost:5173}"

# Development secrets (scripts/dev-secrets.sh): generated once, git-ignored, never printed.
# shellcheck source=scripts/dev-secrets.sh
source "$REPO/scripts/dev-secrets.sh"

echo "Building (Release)..."
BUILD_LOG="$REPO/.data/build.log"
if ! dotnet build lcr-platform.sln -c Release > "$BUILD_LOG" 2>&1; then
  grep -E ': error ' "$BUILD_LOG" | sort -u | head -n 40 >&2
  echo "Build failed (full log: $BUILD_LOG)" >&2
  exit 1
fi

# name:project-dir:port, in start order (the gateway last: it needs the others).
ALL=(
  "identity:services/Lcr.Identity:7102"
  "demographics:services/Lcr.Demographics:7101"
  "consent:services/Lcr.Consent:7103"
  "clinical:services/Lcr.Clinical:7104"
  "audit:services/Lcr.Audit:7105"
  "gateway:gateway/Lcr.Gateway:7100"
)
SERVICES=()
for entry in "${ALL[@]}"; do
  IFS=: read -r name dir port <<<"$entry"
  dll="$dir/bin/Release/net10.0/$(basename "$dir").dll"
  [ -f "$dll" ] && SERVICES+=("$entry")
done

# Every process runs as it is deployed: published ReadyToRun (PublishReadyToRun in its .csproj,
# framework-dependent, for this machine's runtime identifier), so it starts on precompiled code
# instead of tier-0 JIT (docs/performance.md, "The first 60 s"). LCR_READY_TO_RUN=0 runs the plain build.
entry_dll() {
  if [ "${LCR_READY_TO_RUN:-1}" = 1 ]; then echo "bin/Release/net10.0/publish/$(basename "$1").dll"; else echo "bin/Release/net10.0/$(basename "$1").dll"; fi
}
if [ "${LCR_READY_TO_RUN:-1}" = 1 ]; then
  echo "Publishing (Release, ReadyToRun)..."
  for entry in "${SERVICES[@]}"; do
    IFS=: read -r name dir port <<<"$entry"
    if ! dotnet publish "$dir" -c Release --use-current-runtime --no-self-contained -o "$dir/bin/Release/net10.0/publish" >> "$BUILD_LOG" 2>&1; then
      grep -E ': error ' "$BUILD_LOG" | sort -u | head -n 40 >&2
      echo "Publish of $name failed (full log: $BUILD_LOG)" >&2
      exit 1
    fi
  done
fi

LOGS="$REPO/.data/logs"
mkdir -p "$LOGS"
for entry in "${SERVICES[@]}"; do
  IFS=: read -r name dir port <<<"$entry"
  echo "Migrating and seeding $name..."
  if ! (cd "$dir" && dotnet "$(entry_dll "$dir")" seed) > "$LOGS/$name-seed.log" 2>&1; then
    tail -n 20 "$LOGS/$name-seed.log" >&2
    echo "Seeding $name failed (log: $LOGS/$name-seed.log)" >&2
    exit 1
  fi
done

PIDS=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping services..."
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$OIDC_WAS_RUNNING" -eq 0 ]; then scripts/dev-oidc.sh down; fi
  if [ "$INFRA_WAS_RUNNING" -eq 1 ]; then
    echo "PostgreSQL and Redis were running before make run: left running (scripts/infra.sh down stops them)."
  else
    scripts/infra.sh down
  fi
  echo "Stopped."
}
trap stop INT TERM EXIT

for entry in "${SERVICES[@]}"; do
  IFS=: read -r name dir port <<<"$entry"
  (cd "$dir" && exec dotnet "$(entry_dll "$dir")") > "$LOGS/$name.log" 2>&1 &
  PIDS+=("$!")
done

CLI=(dotnet tools/Lcr.Cli/bin/Release/net10.0/lcr.dll)
for entry in "${SERVICES[@]}"; do
  IFS=: read -r name dir port <<<"$entry"
  if ! "${CLI[@]}" health --address "http://127.0.0.1:$port" --only-address --wait 60 >/dev/null; then
    tail -n 20 "$LOGS/$name.log" >&2
    echo "$name did not become ready (log: $LOGS/$name.log)" >&2
    exit 1
  fi
done

EXAMPLE_NHS="$("${CLI[@]}" dev example-nhs-number)"
SEALED_NHS="$("${CLI[@]}" dev example-nhs-number --sealed)"
MERGED_AWAY_NHS="$("${CLI[@]}" dev example-nhs-number --merged-away)"
MERGED_INTO_NHS="$("${CLI[@]}" dev example-nhs-number --merged-into)"
DECEASED_NHS="$("${CLI[@]}" dev example-nhs-number --deceased)"
echo
echo "Leeds Care Record platform is running (logs in .data/logs/):"
for entry in "${SERVICES[@]}"; do
  IFS=: read -r name dir port <<<"$entry"
  printf '  %-13s http://127.0.0.1:%s   (gRPC, reflection on)\n' "$name" "$port"
done
printf '  %-13s %s   (HTTP/1.1: JSON over HTTP, gRPC-Web; OpenAPI at %s/openapi/v1.json)\n' "gateway" "$GATEWAY_HTTP" "$GATEWAY_HTTP"
cat <<EXAMPLE

Seeded users (password in .data/secrets/dev-password): gp.b86001, clinician.rr8, ed.rr8, clerk.rr8,
socialworker.00da, mhnurse.rgd, ig.rr8, ig.b86001, ig.platform, privacy.rr8 and privacy.b86001 (privacy officers: `lcr alerts list`). Feed clients (secret in .data/secrets/dev-client-secret):
b86001-gp-feed, rr8-ppm-feed, rgd-care-feed, 00da-social-care-feed, platform-admin, lcr01-pds-feed (merges), ...

Try it in another terminal, from $REPO (docs/cli.md; sessions are cached owner-only in ~/.config/lcr/sessions,
every command takes --json for scripts, exit codes 0 ok / 2 bad argument / 3 not signed in / 4 refused / 5 not found / 6 unavailable):

  lcr() { dotnet "$REPO/tools/Lcr.Cli/bin/Release/net10.0/lcr.dll" "\$@"; }
  export LCR_PASSWORD="\$(cat .data/secrets/dev-password)" LCR_CLIENT_SECRET="\$(cat .data/secrets/dev-client-secret)"
  lcr health                                   # every service's readiness in one table
  lcr signin --user gp.b86001                  # a GP at Beckett Street Surgery
  lcr record $EXAMPLE_NHS                        # the record summary as tables (--json: the proto JSON)
  lcr entries $EXAMPLE_NHS --category medications --page-size 5
  lcr --profile ig signin --user ig.b86001     # an IG officer, in a second profile
  lcr --profile ig consent opt-out $EXAMPLE_NHS --channel letter --reason "Letter ref IG/2291"
  lcr record $EXAMPLE_NHS                        # refused now: exit code 4, PATIENT_OPTED_OUT
  lcr --profile ig consent withdraw-opt-out $EXAMPLE_NHS --channel telephone --reason "Phoned to opt back in"
  lcr --profile ig consent restrict $EXAMPLE_NHS --block-organisation RGD --channel letter --reason "Letter ref IG/2292"
  lcr --profile ig access-log $EXAMPLE_NHS       # who looked: the reads above, the refusal too
  lcr --profile ig consent show $SEALED_NHS      # a sealed record (staff member as patient): only gp.b86001 is named on the seal
  lcr --profile ed signin --user ed.rr8        # an emergency department doctor, no care relationship with the example patient
  lcr --profile ed claim $EXAMPLE_NHS --reason patient-presented   # a self-claimed relationship (24 h at most), alerted to RR8's privacy officer
  lcr --profile ed record $EXAMPLE_NHS           # read on the claim; the access log says why
  lcr --profile ed record $MERGED_AWAY_NHS       # a temporary number merged into another: refused, naming the number in use
  lcr --profile ed record $MERGED_INTO_NHS       # the kept number: "Merged from:", with RR8's entries under the old number
  lcr --profile ed record $DECEASED_NHS --emergency-reason "Brought in; confirming history"   # a deceased patient: the notice comes first
  lcr --profile po signin --user privacy.rr8   # RR8's privacy officer (R0001)
  lcr --profile po alerts list                 # the claim above; decide it: lcr --profile po alerts decide ID --status justified --note "..."
  lcr --profile ig export $EXAMPLE_NHS --organisation B86001 --output /tmp/sar-$EXAMPLE_NHS.json   # subject access: a FHIR R4 Bundle
  lcr signin --client platform-admin           # the platform team's system client (audit.read, audit.review)
  lcr audit professional gp.b86001             # everything the GP did
  lcr review run --days 7                      # privacy review: the flagged cases
  lcr audit verify                             # the audit hash chains are intact
  lcr seed --patients 20                       # 20 more synthetic patients through the feed APIs (idempotent)

JSON over HTTP (docs/clients.md "HTTP/JSON"; every call is in $GATEWAY_HTTP/openapi/v1.json), after lcr signin above:

  TOKEN="\$(lcr token $EXAMPLE_NHS)"            # an access token for the example patient, from your lcr session
  curl -s -H "authorization: Bearer \$TOKEN" $GATEWAY_HTTP/v1/patients/$EXAMPLE_NHS/record

FHIR R4 (docs/clients.md "FHIR"; what is supported: $GATEWAY_HTTP/fhir/metadata), with the same token:

  ID="\$(curl -s -H "authorization: Bearer \$TOKEN" "$GATEWAY_HTTP/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|$EXAMPLE_NHS" | grep -o '/fhir/Patient/[^"]*' | head -1 | cut -d/ -f4)"
  curl -s -H "authorization: Bearer \$TOKEN" "$GATEWAY_HTTP/fhir/Patient/\$ID/\\\$everything"   # the whole visible record as a FHIR Bundle

Federated sign-in (docs/services/identity.md): a development OpenID Connect provider with CIS2-shaped claims runs at
$LCR_DEV_OIDC_ISSUER for the same seeded people (no password: its dev login form takes the user name). A clinical
system exchanges the ID token it gets there, with the role profile the professional chose, for a platform session:

  ID_TOKEN="\$(scripts/dev-oidc.sh id-token gp.b86001 lcr-cli)"
  grpcurl -plaintext -d "{\"subject_token\":\"\$ID_TOKEN\",\"subject_token_type\":\"urn:ietf:params:oauth:token-type:id_token\",\"role_profile_id\":\"953712240002\"}" \\
    127.0.0.1:7100 lcr.identity.v1.IdentityService/ExchangeFederatedToken   # session_token: use it as SignIn's
  scripts/dev-oidc.sh id-token gp.b86001 lcr-cli | lcr signin --id-token-file - --role-profile 953712240002   # the same with lcr
EXAMPLE
echo
echo "Press Ctrl-C to stop everything."
wait
