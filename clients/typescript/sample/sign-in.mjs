// The smallest use of @leeds-care-record/client from outside its source tree: print the platform
// version the package matches, sign in through the gateway and say who signed in.
//   LCR_GATEWAY   gateway address, default http://127.0.0.1:7100
//   LCR_USER      user name, default gp.b86001
//   LCR_PASSWORD  password (required; `make run` writes it to .data/secrets/dev-password)
//   LCR_TIMEOUT_MS deadline of each call, default 10000
// Exit code: 0 signed in, 1 the call failed (its status and ErrorInfo reason printed), 2 bad configuration.
import { IdentityService, PLATFORM_VERSION, createClient, createGatewayTransport, platformError } from "@leeds-care-record/client";

const password = process.env.LCR_PASSWORD ?? "";
if (password === "") {
  console.error("Set LCR_PASSWORD to the seeded users' password (make run writes it to .data/secrets/dev-password).");
  process.exit(2);
}

console.log(`@leeds-care-record/client for platform ${PLATFORM_VERSION}`);
const transport = createGatewayTransport(process.env.LCR_GATEWAY ?? "http://127.0.0.1:7100", {
  defaultTimeoutMs: Number(process.env.LCR_TIMEOUT_MS ?? "10000"),
});
const identity = createClient(IdentityService, transport);
try {
  // SignIn is never retried: every failure counts towards the sign-in throttle.
  const session = await identity.signIn({ userName: process.env.LCR_USER ?? "gp.b86001", password });
  console.log(`Signed in as ${session.professional?.displayName ?? "?"}`);
} catch (e) {
  const error = platformError(e);
  console.error(`Error: ${error.code}${error.reason ? ` reason: ${error.reason}` : ""}`);
  process.exit(1);
}
