// Unit tests of src/lcr.ts against a real gRPC (HTTP/2) server on 127.0.0.1 built with
// Connect's Node adapter: which calls are retried on UNAVAILABLE, the default deadline,
// and the google.rpc details read from the grpc-status-details-bin trailer.
// Run: npm test (after npm run build).
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { GatewayService } from "../gen/lcr/gateway/v1/gateway_pb.js";
import { IdentityService } from "../gen/lcr/identity/v1/identity_pb.js";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.js";
import { bearer, createGatewayTransport, ERROR_DOMAIN, isIdempotentRead, platformError } from "../src/lcr.js";

const calls = new Map<string, number>();
const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1).get(name)!;
let failuresBeforeSuccess = 0;
let lastTimeoutMs: number | undefined;
let lastAuthorization: string | null = null;
const unavailable = () => new ConnectError("audit unavailable", Code.Unavailable);

function routes(router: ConnectRouter) {
  router.service(GatewayService, {
    getPatientRecord(_req, ctx) {
      lastTimeoutMs = ctx.timeoutMs();
      lastAuthorization = ctx.requestHeader.get("authorization");
      if (count("GetPatientRecord") <= failuresBeforeSuccess) throw unavailable();
      return { recordVersion: 7n };
    },
    getRecordEntry() {
      count("GetRecordEntry");
      throw new ConnectError("Invalid nhs_number: must be 10 digits", Code.InvalidArgument, undefined, [
        { desc: ErrorInfoSchema, value: { reason: "INVALID_ARGUMENT", domain: ERROR_DOMAIN } },
        { desc: BadRequestSchema, value: { fieldViolations: [{ field: "nhs_number", description: "must be 10 digits" }] } },
      ]);
    },
    listRecordEntries() {
      count("ListRecordEntries");
      throw new ConnectError("Too many requests", Code.ResourceExhausted, undefined, [
        { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(1500) }) },
      ]);
    },
    getAccessLog() {
      count("GetAccessLog");
      throw new ConnectError("Patient opted out", Code.PermissionDenied, undefined, [
        { desc: ErrorInfoSchema, value: { reason: "PATIENT_OPTED_OUT", domain: ERROR_DOMAIN } },
      ]);
    },
  });
  router.service(IdentityService, {
    signIn() {
      count("SignIn");
      throw unavailable();
    },
    issueEmergencyAccessToken() {
      count("IssueEmergencyAccessToken");
      throw unavailable();
    },
    issueAccessToken() {
      if (count("IssueAccessToken") <= failuresBeforeSuccess) throw unavailable();
      return { accessToken: "t" };
    },
  });
}

describe("the gateway transport", () => {
  const server = http2.createServer(connectNodeAdapter({ routes, grpc: true, connect: false, grpcWeb: false }));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => sessions.add(s.once("close", () => sessions.delete(s))));
  let address = "";
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  // The client keeps its HTTP/2 session open for reuse: close it so the server can stop.
  after(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sessions) s.destroy();
  }));
  beforeEach(() => {
    calls.clear();
    failuresBeforeSuccess = 0;
  });
  const transport = (maxAttempts = 3) =>
    createGatewayTransport(address, { maxAttempts, initialBackoffMs: 10, defaultTimeoutMs: 4000 });

  it("retries an idempotent read on UNAVAILABLE until it succeeds", async () => {
    failuresBeforeSuccess = 2;
    const reply = await createClient(GatewayService, transport()).getPatientRecord({ nhsNumber: "9990000018" });
    assert.equal(reply.recordVersion, 7n);
    assert.equal(calls.get("GetPatientRecord"), 3);
  });

  it("gives up after maxAttempts and returns UNAVAILABLE", async () => {
    failuresBeforeSuccess = 10;
    await assert.rejects(createClient(GatewayService, transport(3)).getPatientRecord({}), (e: unknown) => {
      assert.equal(platformError(e).code, "UNAVAILABLE");
      return true;
    });
    assert.equal(calls.get("GetPatientRecord"), 3);
  });

  it("retries IssueAccessToken, which is documented safe to retry", async () => {
    failuresBeforeSuccess = 1;
    await createClient(IdentityService, transport()).issueAccessToken({});
    assert.equal(calls.get("IssueAccessToken"), 2);
  });

  it("never retries SignIn (failures count towards throttling) or emergency access", async () => {
    const identity = createClient(IdentityService, transport());
    await assert.rejects(identity.signIn({ userName: "gp.b86001", password: "x" }));
    await assert.rejects(identity.issueEmergencyAccessToken({}));
    assert.equal(calls.get("SignIn"), 1);
    assert.equal(calls.get("IssueEmergencyAccessToken"), 1);
    assert.equal(isIdempotentRead(IdentityService.method.signIn), false);
    assert.equal(isIdempotentRead(GatewayService.method.getAccessLog), true);
  });

  it("does not retry a read that fails with anything but UNAVAILABLE", async () => {
    await assert.rejects(createClient(GatewayService, transport()).getAccessLog({}));
    assert.equal(calls.get("GetAccessLog"), 1);
  });

  it("sends the default deadline and the bearer token", async () => {
    await createClient(GatewayService, transport()).getPatientRecord({}, { headers: bearer("abc") });
    assert.ok(lastTimeoutMs !== undefined && lastTimeoutMs > 0 && lastTimeoutMs <= 4000, `timeout ${lastTimeoutMs}`);
    assert.equal(lastAuthorization, "Bearer abc");
  });

  it("reads ErrorInfo and BadRequest from the trailer", async () => {
    await assert.rejects(createClient(GatewayService, transport()).getRecordEntry({}), (e: unknown) => {
      const error = platformError(e);
      assert.equal(error.code, "INVALID_ARGUMENT");
      assert.equal(error.domain, ERROR_DOMAIN);
      assert.deepEqual(error.violations, [{ field: "nhs_number", description: "must be 10 digits" }]);
      return true;
    });
  });

  it("reads the ErrorInfo reason and the RetryInfo delay", async () => {
    const gateway = createClient(GatewayService, transport());
    await assert.rejects(gateway.getAccessLog({}), (e: unknown) => platformError(e).reason === "PATIENT_OPTED_OUT");
    await assert.rejects(gateway.listRecordEntries({}), (e: unknown) => {
      const error = platformError(e);
      assert.equal(error.code, "RESOURCE_EXHAUSTED");
      assert.equal(error.retryDelayMs, 1500);
      return true;
    });
    assert.equal(calls.get("ListRecordEntries"), 1);
  });
});
