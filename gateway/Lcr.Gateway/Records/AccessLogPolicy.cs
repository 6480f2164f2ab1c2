using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Access;
using Lcr.Security;

namespace Lcr.Gateway.Records;

/// <summary>
/// Who may read a patient's access log, as a small pure rule: an access token for this patient,
/// issued for a subject access request or information governance, held by an
/// information-governance officer. Each refusal names what the audit log records and what the
/// caller is told.
/// </summary>
public static class AccessLogPolicy
{
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
