using System.Text.Json.Nodes;
using Grpc.Core;
using Lcr.Client;
using Lcr.Security;

namespace Lcr.Cli;

/// <summary>Which kind of credential a failing call carried, so the hint names the right fix.</summary>
internal enum CredentialKind
{
    None,
    Session,
    Access,
    System,
}

/// <summary>What the tool knew when a call failed: used only to say what to do next.</summary>
internal sealed record FailureContext(
    CredentialKind Credential = CredentialKind.None,
    string? NhsNumber = null,
    string? User = null,
    string? Client = null,
    string? Address = null,
    int TimeoutSeconds = Settings.DefaultTimeoutSeconds,
    bool TokenFromFlag = false,
    string AddressOption = "--address/$LCR_ADDRESS");

/// <summary>
/// A failed call as the user sees it: exit code, the platform's message, its details and a hint.
/// The google.rpc details (ErrorInfo reason, BadRequest field violations, RetryInfo delay) are
/// decoded by the client package's <see cref="PlatformError"/>, as for any .NET caller.
/// </summary>
internal sealed record Failure(
    int ExitCode,
    string Code,
    string Message,
    string? Reason,
    IReadOnlyList<(string Field, string Description)> FieldViolations,
    string? Hint,
    TimeSpan? RetryAfter)
{
    /// <summary>Builds the failure of a gRPC call: its status and details, and a hint.</summary>
    public static Failure From(RpcException e, FailureContext context) => From(e.ToPlatformError(), context);

    /// <summary>Builds the failure of a call from the platform's error.</summary>
    public static Failure From(PlatformError error, FailureContext context)
    {
        var violations = error.FieldViolations.Select(v => (v.Field, v.Description)).ToList();
        return new Failure(ExitCodes.For(error.Code), PlatformError.CodeName(error.Code), error.Message, error.Reason, violations,
            Superseded(error) ?? Hints.For(error.Code, error.Reason, violations, error.RetryDelay, context), error.RetryDelay);
    }

    /// <summary>A superseded NHS number (merged into another): the number to use, from the ErrorInfo metadata.</summary>
    private static string? Superseded(PlatformError error) =>
        error.Is("NHS_NUMBER_SUPERSEDED") && error.Metadata.TryGetValue("current_nhs_number", out var current) && Lcr.ServiceDefaults.NhsNumber.IsValid(current)
            ? $"NHS number superseded: use {current} (`lcr token {current}` for a token)"
            : null;

    /// <summary>A failure the tool detected itself (no call made).</summary>
    public static Failure From(CliException e) =>
        new(e.ExitCode, e.ExitCode switch
        {
            ExitCodes.Usage => "INVALID_ARGUMENT",
            ExitCodes.Unauthenticated => "UNAUTHENTICATED",
            ExitCodes.PermissionDenied => "PERMISSION_DENIED",
            ExitCodes.NotFound => "NOT_FOUND",
            ExitCodes.Unavailable => "UNAVAILABLE",
            _ => "FAILED",
        }, e.Message, null, [], null, null);

    /// <summary>"error: ..." lines for a person, on stderr.</summary>
    public string ToText()
    {
        var w = new StringWriter();
        w.WriteLine(Reason is null ? $"error ({Code}): {Message}" : $"error ({Code}, {Reason}): {Message}");
        foreach (var (field, description) in FieldViolations)
        {
            w.WriteLine($"  {field}: {description}");
        }

        if (Hint is not null)
        {
            w.WriteLine($"  -> {Hint}");
        }

        return w.ToString();
    }

    /// <summary>The failure as one JSON object on stderr, for scripts: {"error": {...}}.</summary>
    public string ToJson()
    {
        var error = new JsonObject
        {
            ["code"] = Code,
            ["exitCode"] = ExitCode,
            ["message"] = Message,
        };
        if (Reason is not null)
        {
            error["reason"] = Reason;
        }

        if (FieldViolations.Count > 0)
        {
            error["fieldViolations"] = new JsonArray(FieldViolations
                .Select(v => (JsonNode)new JsonObject { ["field"] = v.Field, ["description"] = v.Description }).ToArray());
        }

        if (RetryAfter is { } after)
        {
            error["retryAfterSeconds"] = Math.Round(after.TotalSeconds, 3);
        }

        if (Hint is not null)
        {
            error["hint"] = Hint;
        }

        return new JsonObject { ["error"] = error }.ToJsonString(JsonOut.Compact);
    }
}

/// <summary>What to do next, by status and ErrorInfo reason.</summary>
internal static class Hints
{
    public static string? For(StatusCode code, string? reason, IReadOnlyList<(string Field, string Description)> violations,
        TimeSpan? retryAfter, FailureContext c)
    {
        var nhs = c.NhsNumber ?? "<nhs-number>";
        var signIn = c.User is { Length: > 0 } u ? $"lcr signin --user {u}" : "lcr signin --user <name>";
        var systemSignIn = $"lcr signin --client {c.Client ?? "platform-admin"}";
        return (code, reason) switch
        {
            (StatusCode.Unauthenticated, TokenRefusal.Expired) => c.Credential switch
            {
                CredentialKind.Access => $"your access token has expired (they last minutes): run `lcr token {nhs}` for a new one" +
                    (c.TokenFromFlag ? ", or drop --token/$LCR_TOKEN and lcr gets one from your session" : string.Empty),
                CredentialKind.System => $"the system token has expired: run `{systemSignIn}` again",
                _ => $"your session has expired: run `{signIn}` again",
            },
            (StatusCode.Unauthenticated, TokenRefusal.Missing) => c.Credential == CredentialKind.System
                ? $"this needs a system client's token: run `{systemSignIn}` (secret from $LCR_CLIENT_SECRET)"
                : $"you are not signed in: run `{signIn}`",
            (StatusCode.Unauthenticated, TokenRefusal.WrongType) => c.Credential switch
            {
                CredentialKind.Access => $"this call needs a patient-bound access token: run `lcr token {nhs}`",
                CredentialKind.System => $"this call needs a system client's token: run `{systemSignIn}`",
                _ => $"this call needs a session token: run `{signIn}`",
            },
            (StatusCode.Unauthenticated, TokenRefusal.Malformed or TokenRefusal.BadSignature or TokenRefusal.UnknownKey or
                TokenRefusal.WrongIssuer or TokenRefusal.WrongAudience or TokenRefusal.ClaimsInvalid or TokenRefusal.AlgorithmNotAllowed or
                TokenRefusal.NotYetValid) =>
                $"the token was not issued by the platform at {c.Address ?? "this address"} (check --token/$LCR_TOKEN and --address): " +
                (c.Credential == CredentialKind.Access ? $"run `lcr token {nhs}` for a new one" : $"run `{signIn}` again"),
            (StatusCode.Unauthenticated, "SESSION_REVOKED") => $"your session was ended: run `{signIn}` again",
            (StatusCode.Unauthenticated, "INVALID_CREDENTIALS") => "check the user name (--user) and the password ($LCR_PASSWORD or --password)",
            (StatusCode.Unauthenticated, "INVALID_CLIENT") => "check the client id (--client) and its secret ($LCR_CLIENT_SECRET or --secret-file)",
            // An internal service refuses any caller but the gateway: no sign-in changes that.
            (StatusCode.Unauthenticated, "INTERNAL_CREDENTIAL_MISSING" or "INTERNAL_CREDENTIAL_INVALID") =>
                $"this service answers the gateway only (its internal credential, which no sign-in gives): go through the gateway, e.g. `lcr record {nhs}`; " +
                "`lcr patient get/search` work only against a demographics service run without internal credentials (service development)",
            // The call carried none of the user's credentials, so signing in cannot change the answer.
            (StatusCode.Unauthenticated, _) when c.Credential == CredentialKind.None =>
                $"this call carried no sign-in of yours, so signing in will not change the answer: check {c.AddressOption}",
            (StatusCode.Unauthenticated, _) => $"sign in again: run `{(c.Credential == CredentialKind.System ? systemSignIn : signIn)}`",
            (StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP") =>
                "no care relationship links you to this patient; if you are caring for them and no system has recorded it yet, claim one with " +
                $"`lcr claim {nhs} --reason <reason>` (alerted to your privacy officer); if this is an emergency and your role allows it, break glass with " +
                $"`lcr token {nhs} --emergency-reason \"<why>\"` (recorded and reviewed)",
            (StatusCode.PermissionDenied, "RECORD_SEALED") =>
                "the record is sealed: only the professionals and teams named on the seal see it; in an emergency, and only then, break glass with " +
                $"`lcr token {nhs} --emergency-reason \"<why>\" --sealed-justification \"<why this sealed record>\"` (alerted to your privacy officer at once)",
            (StatusCode.PermissionDenied, "SELF_CLAIM_NOT_PERMITTED") =>
                "your role may not claim a care relationship itself: ask for the relationship to be recorded by your organisation's system",
            (StatusCode.PermissionDenied, "SELF_CLAIMS_DISABLED") =>
                "your organisation has switched self-claimed relationships off: ask for the relationship to be recorded by its system",
            (StatusCode.PermissionDenied, "ORGANISATION_NOT_LINKED") =>
                "your organisation holds no data about this patient and has no care relationship with them, so you may not act for them: " +
                "pass the request to an organisation that does, or to the platform's own IG team",
            (StatusCode.PermissionDenied, "PATIENT_OPTED_OUT") =>
                "the patient has opted out of the shared care record: nobody can see it through the platform, emergency access included",
            (StatusCode.PermissionDenied, "VIEWER_BLOCKED") => "the patient has asked that you do not see their record",
            (StatusCode.PermissionDenied, "ORGANISATION_BLOCKED") => "the patient has asked that your organisation does not see their record",
            (StatusCode.PermissionDenied, "PATIENT_MISMATCH") => $"the token is for another patient: get one for this patient with `lcr token {nhs}`",
            (StatusCode.PermissionDenied, "PURPOSE_NOT_PERMITTED") =>
                "your role may not use that purpose: IG officers use --purpose information-governance (consent, audit) or subject-access (access log)",
            (StatusCode.PermissionDenied, "ROLE_NOT_PERMITTED") =>
                "your role does not allow this: a record category it may not see (ask without --category, or for another), " +
                "or work for information-governance officers or a system client with the scope",
            (StatusCode.PermissionDenied, "ORGANISATION_NOT_PERMITTED") =>
                "IG officers export their own organisation's part (--organisation <your ODS code>); the whole record is for the platform's IG team",
            (StatusCode.PermissionDenied, "CONSENT_DENIED") => "the patient's consent does not allow this access",
            (StatusCode.PermissionDenied, "SCOPE_NOT_PERMITTED") =>
                $"this needs a system client with the scope named above: run `{systemSignIn}` with a client that holds it",
            (StatusCode.PermissionDenied, "EMERGENCY_ACCESS_NOT_PERMITTED") => "your role may not use emergency access",
            (StatusCode.InvalidArgument, _) when violations.Count > 0 => "fix the field(s) named above and try again",
            (StatusCode.NotFound, _) => "check the identifier; entries withheld from you by the patient's consent are reported as not found too",
            (StatusCode.Unavailable, _) =>
                $"the platform at {c.Address ?? "the address"} did not answer: check it is running (`lcr health`; `make run` starts it) and {c.AddressOption}; safe to retry",
            (StatusCode.DeadlineExceeded, _) =>
                $"no answer within {c.TimeoutSeconds}s: retry, or allow longer with --timeout <seconds>",
            (StatusCode.ResourceExhausted, "SIGN_IN_THROTTLED") =>
                $"too many failed sign-ins for this user name from here: check the user name and password, and try again after " +
                $"{Math.Max(1, Math.Ceiling((retryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds))}s, or ask the service desk to reset the password",
            (StatusCode.ResourceExhausted, _) => retryAfter is { } a
                ? $"rate limited: retry after {Math.Max(1, Math.Ceiling(a.TotalSeconds))}s"
                : "rate limited: back off and retry",
            _ => null,
        };
    }
}
