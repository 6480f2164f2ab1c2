// A thin layer over the generated code for calling the Leeds Care Record gateway from
// Node.js: a gRPC (HTTP/2) transport with a default deadline and retries of idempotent
// reads on UNAVAILABLE, the bearer metadata, and typed access to the google.rpc error
// details the platform puts in the grpc-status-details-bin trailer.
// See docs/clients.md for the rules it follows.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.js";

/** The ErrorInfo domain of every error the platform raises. */
export const ERROR_DOMAIN = "lcr.leeds.nhs.uk";

/** The deadline used for a call that sets none of its own. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Metadata carrying a platform token: `authorization: Bearer <token>`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

// Reads (and the token calls documented "safe to retry") may be retried on UNAVAILABLE.
// Never retried: SignIn (every failure counts towards the sign-in throttle), emergency (break-glass)
// tokens, and every write.
const READ_VERB = /^(Get|List|Search)[A-Z]/;
const ALSO_SAFE = new Set([
  "lcr.identity.v1.IdentityService/IssueAccessToken",
  "lcr.identity.v1.IdentityService/IssueSystemToken",
  "lcr.identity.v1.IdentityService/ExchangeFederatedToken",
  "lcr.consent.v1.ConsentService/EvaluateAccess",
  "lcr.audit.v1.AuditService/VerifyChain",
]);

/** True when the platform documents the method as safe to retry on UNAVAILABLE. */
export function isIdempotentRead(method: DescMethod): boolean {
  if (method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN) {
    return true; // declared in the proto (idempotency_level)
  }
  return READ_VERB.test(method.name) || ALSO_SAFE.has(`${method.parent.typeName}/${method.name}`);
}

export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts?: number;
  /** Wait before the first retry; doubles each time, with jitter. Default 200 ms. */
  initialBackoffMs?: number;
  /** Called before each retry, e.g. to log it. */
  onRetry?: (method: DescMethod, attempt: number, error: ConnectError) => void;
}

/**
 * Retries unary idempotent reads that fail with UNAVAILABLE, with exponential backoff,
 * within the call's own deadline (which covers every attempt). Anything else, and any
 * other status, goes straight back to the caller.
 */
export function retryIdempotentReads(options: RetryOptions = {}): Interceptor {
  const maxAttempts = options.maxAttempts ?? 3;
  const initialBackoffMs = options.initialBackoffMs ?? 200;
  return (next) => async (req) => {
    if (req.stream || !isIdempotentRead(req.method)) {
      return next(req);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (e) {
        const error = ConnectError.from(e);
        if (error.code !== Code.Unavailable || attempt >= maxAttempts || req.signal.aborted) {
          throw error;
        }
        options.onRetry?.(req.method, attempt, error);
        const backoff = initialBackoffMs * 2 ** (attempt - 1);
        await sleep(backoff / 2 + Math.random() * backoff, req.signal);
      }
    }
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

export interface GatewayTransportOptions extends RetryOptions {
  /** Deadline for calls that pass no timeoutMs. Default DEFAULT_TIMEOUT_MS. */
  defaultTimeoutMs?: number;
}

/**
 * A gRPC transport (HTTP/2, binary protobuf) to the gateway, e.g. "http://127.0.0.1:7100",
 * with a deadline on every call and retries of idempotent reads on UNAVAILABLE.
 */
export function createGatewayTransport(address: string, options: GatewayTransportOptions = {}) {
  return createGrpcTransport({
    baseUrl: address,
    defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    interceptors: [retryIdempotentReads(options)],
  });
}

/** A failed call, with the google.rpc details the platform attached. */
export interface PlatformError {
  /** The canonical gRPC status name, e.g. "INVALID_ARGUMENT". */
  code: string;
  /** The status message: for people, not for branching. */
  message: string;
  /** ErrorInfo.reason (UPPER_SNAKE) when the platform gave one, e.g. "PATIENT_OPTED_OUT". */
  reason?: string;
  /** ErrorInfo.domain: "lcr.leeds.nhs.uk" for the platform's own errors. */
  domain?: string;
  /** BadRequest field violations (proto field paths), for INVALID_ARGUMENT. */
  violations: { field: string; description: string }[];
  /** RetryInfo.retry_delay in milliseconds, when the server asked for a pause. */
  retryDelayMs?: number;
}

/**
 * Decodes the google.rpc.Status the server sent in the grpc-status-details-bin trailer
 * (Connect's gRPC transport parses the trailer into ConnectError details).
 */
export function platformError(e: unknown): PlatformError {
  const error = ConnectError.from(e);
  const info = error.findDetails(ErrorInfoSchema)[0];
  const retry = error.findDetails(RetryInfoSchema)[0];
  const violations = error
    .findDetails(BadRequestSchema)
    .flatMap((b) => b.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
  const delay = retry?.retryDelay;
  return {
    code: codeName(error.code),
    message: error.rawMessage,
    reason: info?.reason || undefined,
    domain: info?.domain || undefined,
    violations,
    retryDelayMs: delay ? Number(delay.seconds) * 1000 + Math.floor(delay.nanos / 1e6) : undefined,
  };
}

/** "INVALID_ARGUMENT" for Code.InvalidArgument: the names the gRPC specification uses. */
export function codeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}
