using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Patients;
using Lcr.Gateway.V1;
using Lcr.ServiceDefaults;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Records;

/// <summary>
/// "Who has looked at my record": the patient-facing access log, from the audit service.
/// Needs an access token for this patient issued for a subject access request or information
/// governance, held by an information-governance officer (<see cref="AccessLogPolicy"/>); while
/// an IG officer holds the log for enhanced review, a subject-access token is refused
/// FAILED_PRECONDITION ACCESS_LOG_UNDER_REVIEW (information governance still reads it). A refusal
/// is audited as a denied AUDIT_QUERY, and the audit service records a permitted query itself.
/// A superseded number is refused with the pointer (audited); the log of a number others were
/// merged into includes their events, each line naming the number it was recorded under.
/// For a deceased patient the log is for their personal representative (docs/access-model.md).
/// </summary>
public sealed class AccessLogReader(CallerAuthenticator authenticator, Lcr.Audit.V1.AuditService.AuditServiceClient auditService, Lcr.Consent.V1.ConsentService.ConsentServiceClient consent, AuditTrail audit,
    IOptions<GovernanceOptions> governance, PatientResolver patients)
{
    public async Task<GetAccessLogResponse> GetAccessLogAsync(GetAccessLogRequest request, ServerCallContext context)
    {
        var token = await authenticator.RequireAccessAsync(context); // authenticated before any field is looked at
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        v.Period(request.Period, "period");
        Paging.ResolvePageSize(request.PageSize, v);
        v.ThrowIfAny();

        if (AccessLogPolicy.Check(token, request.NhsNumber, governance.Value) is { } refusal)
        {
            // Denials are audited too: the refused read of this patient's log, against this patient.
            var e = audit.For(token, request.NhsNumber, AuditAction.AuditQuery);
            throw await audit.DenyAsync(e, refusal.AuditReason, new PermissionDeniedException(refusal.Reason, refusal.Message), context);
        }

        var patient = await patients.ResolveAsync(request.NhsNumber, context);
        await patients.RefuseIfSupersededAsync(patient, audit.For(token, request.NhsNumber, AuditAction.AuditQuery), context);

        // Enhanced review holds back only the patient-facing log; information governance is not asked about it.
        if (token.Purpose != PurposeOfUse.InformationGovernance &&
            AccessLogPolicy.CheckReview(token, await AccessLogReviews.IsUnderReviewAsync(consent, request.NhsNumber, context)) is { } held)
        {
            var e = audit.For(token, request.NhsNumber, AuditAction.AuditQuery);
            throw await audit.DenyAsync(e, held.AuditReason, new FailedPreconditionException(held.Reason, held.Message), context);
        }

        var page = await auditService.ListEventsByPatientAsync(new ListEventsByPatientRequest
            {
                NhsNumber = request.NhsNumber,
                Period = request.Period,
                Actions = { AccessLogPolicy.Looks },
                DeniedActions = { AccessLogPolicy.RefusedAttempts },
                PageSize = request.PageSize,
                PageToken = request.PageToken,
                MergedNhsNumbers = { patient.MergedNhsNumbers },
            }, DownstreamCalls.As(token.ToActor(), context));

        var response = new GetAccessLogResponse { NextPageToken = page.NextPageToken };
        response.Entries.AddRange(page.Events.Select(e => AccessLogLine.From(e, request.NhsNumber)));
        return response;
    }
}

/// <summary>Readable names for national RBAC role codes, for the patient-facing log.</summary>
public static class RoleNames
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["R8000"] = "Clinical practitioner",
        ["R8001"] = "Nurse",
        ["R8003"] = "Health professional",
        ["R8008"] = "Admin and clinical support",
        ["R8010"] = "Clerical",
        ["LCR-SC01"] = "Social care practitioner",
        ["LCR-IG01"] = "Information governance officer",
    };

    public static string Describe(string? code) =>
        code is null ? string.Empty : Names.TryGetValue(code, out var name) ? name : code;
}
