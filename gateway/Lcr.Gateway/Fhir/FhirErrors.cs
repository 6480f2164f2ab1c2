using Google.Rpc;
using Grpc.Core;
using Lcr.ServiceDefaults;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// The one translation of the read path's refusals (domain exceptions and downstream gRPC
/// statuses with their ErrorInfo reason and BadRequest fields) into FHIR: an OperationOutcome
/// with the HTTP status a FHIR client expects, the platform's reason code in
/// <c>issue.details</c>, and the parameter named in <c>issue.expression</c>. Every "not there"
/// (unknown, withheld, another patient's, not a document) is the same 404 with the same body.
/// </summary>
public static class FhirErrors
{
    public const string Challenge = "Bearer realm=\"Leeds Care Record FHIR\"";

    /// <summary>Proto field names of the read path, as the FHIR parameters that carry them.</summary>
    private static readonly Dictionary<string, string> Parameters = new(StringComparer.Ordinal)
    {
        ["nhs_number"] = "patient",
        ["page_token"] = FhirSearch.PageTokenParameter,
        ["page_size"] = "_count",
        ["clinical_period"] = "date",
        ["clinical_period.start_time"] = "date",
        ["clinical_period.end_time"] = "date",
        ["statuses"] = "clinical-status",
    };

    /// <summary>The HTTP status, the OperationOutcome, and the WWW-Authenticate challenge (401 only); null for an unexpected exception.</summary>
    public static (int Status, R4.OperationOutcome Outcome, string? Challenge)? Map(Exception e)
    {
        if (Describe(e) is not var (code, reason, message, violations))
        {
            return null;
        }

        if (code == StatusCode.NotFound || (code == StatusCode.PermissionDenied && reason == "PATIENT_MISMATCH") ||
            (code == StatusCode.FailedPrecondition && reason == "NOT_A_DOCUMENT"))
        {
            return (StatusCodes.Status404NotFound, NotFound(), null);
        }

        if (code == StatusCode.InvalidArgument)
        {
            var outcome = new R4.OperationOutcome();
            foreach (var v in violations.Count > 0 ? violations : [new FieldViolation("request", message)])
            {
                var parameter = Parameters.TryGetValue(v.Field, out var p) ? p : Bracketless(v.Field);
                outcome.Issue.Add(Issue(R4.OperationOutcome.IssueSeverity.Error, R4.OperationOutcome.IssueType.Invalid, "INVALID_ARGUMENT",
                    $"{parameter}: {v.Description}", parameter));
            }

            return (StatusCodes.Status400BadRequest, WithText(outcome), null);
        }

        var (status, type) = code switch
        {
            StatusCode.Unauthenticated => (StatusCodes.Status401Unauthorized, R4.OperationOutcome.IssueType.Login),
            StatusCode.PermissionDenied => (StatusCodes.Status403Forbidden, R4.OperationOutcome.IssueType.Forbidden),
            StatusCode.Unavailable => (StatusCodes.Status503ServiceUnavailable, R4.OperationOutcome.IssueType.Transient),
            StatusCode.DeadlineExceeded => (StatusCodes.Status504GatewayTimeout, R4.OperationOutcome.IssueType.Timeout),
            StatusCode.ResourceExhausted => (StatusCodes.Status429TooManyRequests, R4.OperationOutcome.IssueType.Throttled),
            StatusCode.FailedPrecondition when reason == NotAcceptable => (StatusCodes.Status406NotAcceptable, R4.OperationOutcome.IssueType.NotSupported),
            StatusCode.FailedPrecondition when reason == "METHOD_NOT_SUPPORTED" => (StatusCodes.Status405MethodNotAllowed, R4.OperationOutcome.IssueType.NotSupported),
            StatusCode.FailedPrecondition => (StatusCodes.Status400BadRequest, R4.OperationOutcome.IssueType.BusinessRule),
            _ => (StatusCodes.Status500InternalServerError, R4.OperationOutcome.IssueType.Exception),
        };
        var single = new R4.OperationOutcome();
        if (reason == Patients.SupersededNumber.Reason && CurrentNhsNumber(e) is { } current)
        {
            // A superseded NHS number (merged into another): the number to use, as the gRPC doors give it in ErrorInfo metadata.
            message += $" Current NHS number: {current}.";
        }

        single.Issue.Add(Issue(R4.OperationOutcome.IssueSeverity.Error, type, reason, message, null));
        return (status, WithText(single), status == StatusCodes.Status401Unauthorized ? Challenge + ", error=\"invalid_token\"" : null);
    }

    /// <summary>The reason the API gives when the Accept header or _format asks for something other than JSON.</summary>
    public const string NotAcceptable = "FORMAT_NOT_SUPPORTED";

    /// <summary>The one answer for anything that is not there, whatever the reason.</summary>
    public static R4.OperationOutcome NotFound()
    {
        var outcome = new R4.OperationOutcome();
        outcome.Issue.Add(Issue(R4.OperationOutcome.IssueSeverity.Error, R4.OperationOutcome.IssueType.NotFound, "RESOURCE_NOT_FOUND", "No such resource.", null));
        return WithText(outcome);
    }

    /// <summary>An unexpected failure: nothing of it is told, only the trace id to quote.</summary>
    public static R4.OperationOutcome Internal(string traceId)
    {
        var outcome = new R4.OperationOutcome();
        outcome.Issue.Add(Issue(R4.OperationOutcome.IssueSeverity.Error, R4.OperationOutcome.IssueType.Exception, "INTERNAL",
            $"An internal error occurred. Quote trace id {traceId} to the platform team.", null));
        return WithText(outcome);
    }

    /// <summary>A warning for a search Bundle (search.mode outcome), e.g. that some of the record is withheld.</summary>
    public static R4.OperationOutcome Warning(string reason, string message)
    {
        var outcome = new R4.OperationOutcome { Id = Guid.NewGuid().ToString() };
        outcome.Issue.Add(Issue(R4.OperationOutcome.IssueSeverity.Warning, R4.OperationOutcome.IssueType.Suppressed, reason, message, null));
        return WithText(outcome);
    }

    private static R4.OperationOutcome.IssueComponent Issue(R4.OperationOutcome.IssueSeverity severity, R4.OperationOutcome.IssueType type,
        string reason, string message, string? expression)
    {
        var issue = new R4.OperationOutcome.IssueComponent
        {
            Severity = severity,
            Code = type,
            Details = new R4.CodeableConcept(FhirSystems.ErrorReason, reason, reason) { Text = message },
            Diagnostics = message,
        };
        if (expression is not null)
        {
            issue.Expression = [expression];
        }

        return issue;
    }

    private static R4.OperationOutcome WithText(R4.OperationOutcome outcome)
    {
        var narrative = new FhirNarrative("Outcome");
        foreach (var issue in outcome.Issue)
        {
            narrative.Row(issue.Severity?.ToString() ?? "issue", issue.Diagnostics);
        }

        outcome.Text = narrative.Build();
        return outcome;
    }

    /// <summary>The number now in use, from a NHS_NUMBER_SUPERSEDED refusal's metadata (a valid NHS number only).</summary>
    private static string? CurrentNhsNumber(Exception e)
    {
        var metadata = e switch
        {
            LcrException domain => domain.Metadata,
            RpcException rpc => rpc.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Metadata,
            _ => null,
        };
        return metadata is not null && metadata.TryGetValue(Patients.SupersededNumber.CurrentKey, out var current) && NhsNumber.IsValid(current) ? current : null;
    }

    /// <summary><c>categories[2]</c> becomes <c>categories</c>: positions add nothing for a FHIR client.</summary>
    private static string Bracketless(string field) => field.IndexOf('[', StringComparison.Ordinal) is var i and >= 0 ? field[..i] : field;

    private static (StatusCode Code, string Reason, string Message, IReadOnlyList<FieldViolation> Violations)? Describe(Exception e)
    {
        switch (e)
        {
            case InvalidArgumentException invalid:
                return (invalid.Code, invalid.Reason, invalid.Message, invalid.Violations);
            case LcrException domain:
                return (domain.Code, domain.Reason, domain.Message, []);
            case RpcException rpc:
                var status = rpc.GetRpcStatus();
                var reason = status?.GetDetail<ErrorInfo>()?.Reason ?? rpc.StatusCode.ToString().ToUpperInvariant();
                var fields = status?.GetDetail<BadRequest>()?.FieldViolations.Select(f => new FieldViolation(f.Field, f.Description)).ToList() ?? [];
                return (rpc.StatusCode, reason, rpc.Status.Detail, fields);
            default:
                return null;
        }
    }
}
