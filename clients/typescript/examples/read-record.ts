// Reads one patient's shared care record the way a clinical system does:
//   1. sign in as a professional (IdentityService.SignIn, through the gateway), or exchange the
//      ID token the system got from NHS CIS2 for a session (IdentityService.ExchangeFederatedToken);
//   2. get an access token bound to the patient (IssueAccessToken, session token as bearer);
//   3. read the record view (GatewayService.GetPatientRecord, access token as bearer),
//      with a deadline, retrying only on UNAVAILABLE (a safe read);
//   4. print a summary, or the error with its google.rpc details.
//
// Configuration (environment variables):
//   LCR_GATEWAY     gateway address, default http://127.0.0.1:7100
//   LCR_USER        user name, default gp.b86001
//   LCR_PASSWORD    password (required unless LCR_ID_TOKEN is set; `make run` writes it to .data/secrets/dev-password)
//   LCR_ID_TOKEN    an ID token from a trusted identity provider instead of a password (in development:
//                   scripts/dev-oidc.sh id-token gp.b86001 b86001-gp-system), with
//   LCR_ROLE_PROFILE the role profile (person_roleid) the professional acts in, e.g. 953712240002
//   LCR_NHS_NUMBER  the patient, default 9990000018
//   LCR_TIMEOUT_MS  deadline of each call, default 10000
//
// Build and run:  npm ci && npm run build && LCR_PASSWORD=... npm run example
// Exit code: 0 on success, 1 when a call failed (the status is printed), 2 on bad configuration.
import { createClient } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { GatewayService, type GetPatientRecordResponse } from "../gen/lcr/gateway/v1/gateway_pb.js";
import { IdentityService } from "../gen/lcr/identity/v1/identity_pb.js";
import { PurposeOfUse } from "../gen/lcr/common/v1/access_pb.js";
import { RecordCategory } from "../gen/lcr/common/v1/common_pb.js";
import { bearer, createGatewayTransport, ERROR_DOMAIN, platformError } from "../src/lcr.js";

const gateway = process.env.LCR_GATEWAY ?? "http://127.0.0.1:7100";
const user = process.env.LCR_USER ?? "gp.b86001";
const password = process.env.LCR_PASSWORD ?? "";
const idToken = process.env.LCR_ID_TOKEN ?? "";
const roleProfileId = process.env.LCR_ROLE_PROFILE ?? "";
const nhsNumber = process.env.LCR_NHS_NUMBER ?? "9990000018";
const timeoutMs = Number(process.env.LCR_TIMEOUT_MS ?? "10000");

if (password === "" && idToken === "") {
  console.error("Set LCR_PASSWORD to the seeded users' password (make run writes it to .data/secrets/dev-password), or LCR_ID_TOKEN and LCR_ROLE_PROFILE.");
  process.exit(2);
}

const transport = createGatewayTransport(gateway, {
  defaultTimeoutMs: timeoutMs,
  onRetry: (method, attempt, error) =>
    console.error(`retrying ${method.name} after ${error.code === 14 ? "UNAVAILABLE" : error.code} (attempt ${attempt})`),
});
const identity = createClient(IdentityService, transport);
const records = createClient(GatewayService, transport);

const category = (c: RecordCategory) => RecordCategory[c];

async function main(): Promise<void> {
  // SignIn is never retried: every failure counts towards the sign-in throttle's delays.
  // ExchangeFederatedToken may be retried while the ID token is valid; the session acts in the chosen role only.
  const session =
    idToken !== ""
      ? await identity.exchangeFederatedToken({
          subjectToken: idToken,
          subjectTokenType: "urn:ietf:params:oauth:token-type:id_token",
          roleProfileId,
        })
      : await identity.signIn({ userName: user, password });
  const professional = session.professional;
  console.log(`Signed in as ${professional?.displayName ?? user} (${professional?.userName || user})`);

  // With several active roles the caller must choose one; a real system asks the user.
  const activeRoles = (professional?.roleAssignments ?? []).filter((r) => !r.endTime);
  const access = await identity.issueAccessToken(
    {
      nhsNumber,
      purpose: PurposeOfUse.DIRECT_CARE,
      roleAssignmentId: activeRoles.length > 1 ? activeRoles[0].id : "",
    },
    { headers: bearer(session.sessionToken) },
  );
  const expires = access.expireTime ? timestampDate(access.expireTime).toISOString() : "?";
  console.log(`Access token for ${nhsNumber} expires ${expires}; allows ${access.allowedCategories.map(category).join(", ")}`);

  // A read, so the transport retries it on UNAVAILABLE; the deadline covers every attempt.
  // Each successful call is an audited look at the record: call it when the user asks, never poll.
  const record = await records.getPatientRecord({ nhsNumber }, { headers: bearer(access.accessToken), timeoutMs });
  printSummary(record);
}

function printSummary(record: GetPatientRecordResponse): void {
  console.log(`Record of ${nhsNumber} (record version ${record.recordVersion}, audit event ${record.auditEventId})`);
  if (record.patient) {
    const name = record.patient.name;
    const born = record.patient.birthDate;
    console.log(`  patient: ${name ? `${name.family}, ${name.given.join(" ")}` : "(no name)"}` +
      (born ? `, born ${born.year}-${String(born.month).padStart(2, "0")}-${String(born.day).padStart(2, "0")}` : ""));
  }
  console.log(`  returned categories: ${record.returnedCategories.map(category).join(", ")}`);
  for (const count of record.categoryCounts) {
    console.log(`  ${category(count.category)}: ${count.count} entries`);
  }
  const line = (label: string, entries: { code?: { display: string } }[]) =>
    console.log(`  ${label}: ${entries.length ? entries.map((e) => e.code?.display ?? "?").join("; ") : "none"}`);
  line("active problems", record.activeProblems);
  line("current medications", record.currentMedications);
  line("allergies", record.allergies);
  console.log(`  latest results: ${record.latestResults.length}, recent documents: ${record.recentDocuments.length}`);
  if (record.patientRestrictionsApply) console.log("  the patient has restrictions: some information may not be shown; ask the patient");
  if (record.contactDetailsWithheld) console.log("  contact details withheld (restricted patient)");
  if (record.emergencyAccess) console.log("  emergency access: this view will be reviewed");
}

main().catch((e: unknown) => {
  const error = platformError(e);
  console.error(`Error: ${error.code}: ${error.message}`);
  if (error.reason) {
    console.error(`  reason: ${error.reason}${error.domain && error.domain !== ERROR_DOMAIN ? ` (domain ${error.domain})` : ""}`);
  }
  for (const v of error.violations) console.error(`  field ${v.field}: ${v.description}`);
  if (error.retryDelayMs !== undefined) console.error(`  retry after ${error.retryDelayMs} ms`);
  process.exitCode = 1;
});
