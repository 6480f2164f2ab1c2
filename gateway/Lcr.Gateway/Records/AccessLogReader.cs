using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.V1;
using Lcr.ServiceDefaults;
using Grpc.Core;

namespace Lcr.Gateway.Records;

/// <summary>
/// "Who has looked at my record": the patient-facing access log, from the audit service.
/// Needs an access token for this patient issued for a subject access request or information
/// governance; the audit service records the query itself.
/// </summary>
public sealed class AccessLogReader(CallerAuthenticator authenticator, Downstream.Downstream downstream)
{
    private static readonly AuditAction[] Looks =
    [
        AuditAction.ViewSummary, AuditAction.ViewCategory, AuditAction.ViewEntry, AuditAction.ViewDocument,
        AuditAction.ViewDemographics, AuditAction.EmergencyAccess, AuditAction.Search, AuditAction.SubjectAccessExport,
    ];

    public async Task<GetAccessLogResponse> GetAccessLogAsync(GetAccessLogRequest request, ServerCallContext context)
    {
        var token = await authenticator.RequireAccessAsync(context); // authenticated before any field is looked at
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        v.Period(request.Period, "period");
        Paging.ResolvePageSize(request.PageSize, v);
        v.ThrowIfAny();

        if (!string.Equals(token.NhsNumber, request.NhsNumber, StringComparison.Ordinal))
        {
            throw new PermissionDeniedException("PATIENT_MISMATCH", "The access token was issued for a different patient.");
        }

        if (token.Purpose is not (PurposeOfUse.SubjectAccessRequest or PurposeOfUse.InformationGovernance))
        {
            throw new PermissionDeniedException("PURPOSE_NOT_PERMITTED",
                "The access log needs an access token issued for a subject access request or information governance.");
        }

        var page = await downstream.CallAsync(ServiceNames.Audit,
            () => downstream.Audit.ListEventsByPatientAsync(new ListEventsByPatientRequest
            {
                NhsNumber = request.NhsNumber,
                Period = request.Period,
                Actions = { Looks },
                PageSize = request.PageSize,
                PageToken = request.PageToken,
            }, downstream.Options(context, token.ToActor())), context.CancellationToken);

        var response = new GetAccessLogResponse { NextPageToken = page.NextPageToken };
        foreach (var e in page.Events)
        {
            response.Entries.Add(new AccessLogEntry
            {
                AccessTime = e.RecordTime ?? e.OccurrenceTime,
                ViewerName = e.Actor?.DisplayName ?? string.Empty,
                ViewerRoleName = RoleNames.Describe(e.Actor?.RoleCode),
                Organisation = e.Actor?.Organisation,
                Action = e.Action,
                Categories = { e.ReturnedCategories },
                EntryCount = e.ReturnedEntryIds.Count,
                Outcome = e.Outcome,
                EmergencyAccess = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.EmergencyAccess,
                EmergencyReason = e.EmergencyAccess?.ReasonCode ?? EmergencyAccessReason.Unspecified,
            });
        }

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
