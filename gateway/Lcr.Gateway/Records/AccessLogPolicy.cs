using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Access;
using Lcr.Security;

namespace Lcr.Gateway.Records;

/// <summary>
/// Who may read a patient's access log, and what it lists, as small pure rules: an access token
/// for this patient, issued for a subject access request or information governance, held by an
/// information-governance officer; while the log is held for enhanced review, information
/// governance only. Each refusal names what the audit log records and what the caller is told.
/// The log lists looks at the record (<see cref="Looks"/>) and refused attempts to get access
/// (<see cref="RefusedAttempts"/>); what is not a look stays out: contributions, consent and care
/// relationship changes, self-claims (the reads made on them are listed), seals and unseals,
/// privacy-review decisions, granted tokens.
/// </summary>
public static class AccessLogPolicy
{
    /// <summary>Looks at the record, listed whether permitted or refused.</summary>
    public static IReadOnlyList<AuditAction> Looks { get; } =
    [
        AuditAction.ViewSummary, AuditAction.ViewCategory, AuditAction.ViewEntry, AuditAction.ViewDocument,
        AuditAction.ViewDemographics, AuditAction.EmergencyAccess, AuditAction.Search, AuditAction.SubjectAccessExport,
    ];

    /// <summary>
    /// Attempts listed only when refused: a refused access-token request is an attempt to see the
    /// record; a granted one is not a look in itself (each view made with the token is listed).
    /// </summary>
    public static IReadOnlyList<AuditAction> RefusedAttempts { get; } = [AuditAction.TokenIssued];

    /// <summary>Whether the patient-facing log lists an event of this action and outcome.</summary>
    public static bool Lists(AuditAction action, AuditOutcome outcome) =>
        Looks.Contains(action) || (outcome == AuditOutcome.Denied && RefusedAttempts.Contains(action));

    /// <summary>
    /// While the patient's log is held for enhanced review, only information governance reads it:
    /// null when permitted; otherwise the refusal (FAILED_PRECONDITION).
    /// </summary>
    public static (AuditDenialReason AuditReason, string Reason, string Message)? CheckReview(VerifiedAccessToken token, bool underReview) =>
        underReview && token.Purpose != PurposeOfUse.InformationGovernance
            ? (AuditDenialReason.AccessLogUnderReview, "ACCESS_LOG_UNDER_REVIEW",
                "This patient's access log is being reviewed and cannot be given at the moment; tell the patient it is being reviewed.")
            : null;

    /// <summary>Null when permitted; otherwise the refusal.</summary>
    public static (AuditDenialReason AuditReason, string Reason, string Message)? Check(VerifiedAccessToken token, string nhsNumber,
        GovernanceOptions governance)
    {
        if (!string.Equals(token.NhsNumber, nhsNumber, StringComparison.Ordinal))
        {
            return (AuditDenialReason.PatientMismatch, "PATIENT_MISMATCH", "The access token was issued for a different patient.");
        }

        if (token.Purpose is not (PurposeOfUse.SubjectAccessRequest or PurposeOfUse.InformationGovernance))
        {
            return (AuditDenialReason.PurposeNotPermitted, "PURPOSE_NOT_PERMITTED",
                "The access log needs an access token issued for a subject access request or information governance.");
        }

        if (!governance.InformationGovernanceRoles.Contains(token.RoleCode, StringComparer.OrdinalIgnoreCase))
        {
            return (AuditDenialReason.RoleNotPermitted, "ROLE_NOT_PERMITTED",
                "Only information-governance officers may read a patient's access log.");
        }

        return null;
    }
}
