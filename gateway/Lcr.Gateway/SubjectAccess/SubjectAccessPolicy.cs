using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Access;
using Lcr.Security;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// Settings of subject access exports. The organisations whose IG officers are the platform's
/// own IG team (who may export a whole record) are <see cref="GovernanceOptions.PlatformGovernanceOrganisations"/>,
/// shared with the organisation-link rule (configuration <c>Gateway:PlatformGovernanceOrganisations</c>;
/// the older key <c>Gateway:SubjectAccess:PlatformGovernanceOrganisations</c> is still read).
/// </summary>
public sealed class SubjectAccessOptions
{
}

/// <summary>A refusal of an export: what the audit log records and what the caller is told.</summary>
public sealed record SubjectAccessRefusal(AuditDenialReason AuditReason, string Reason, string Message);

/// <summary>
/// The permission rule of a subject access export, as a small pure type. An export needs a
/// verified access token for this patient, issued for a subject access request, to an
/// information-governance officer; an organisation's part only to an IG officer of that
/// organisation; the whole record only to the platform's own IG team. Consent is deliberately
/// not consulted: the right of access is the patient's own, and opting out of sharing or
/// restricting viewers does not take it away (docs/subject-access.md).
/// </summary>
public static class SubjectAccessPolicy
{
    /// <summary>Null when permitted; otherwise the refusal.</summary>
    public static SubjectAccessRefusal? Check(VerifiedAccessToken token, string nhsNumber, string? organisationOdsCode,
        GovernanceOptions governance, SubjectAccessOptions options)
    {
        if (!string.Equals(token.NhsNumber, nhsNumber, StringComparison.Ordinal))
        {
            return new(AuditDenialReason.PatientMismatch, "PATIENT_MISMATCH",
                "The access token was issued for a different patient; request a subject access token for this patient.");
        }

        if (token.Purpose != PurposeOfUse.SubjectAccessRequest)
        {
            return new(AuditDenialReason.RoleNotPermitted, "PURPOSE_NOT_PERMITTED",
                "A subject access export needs an access token issued for a subject access request (purpose subject-access).");
        }

        if (!governance.InformationGovernanceRoles.Contains(token.RoleCode, StringComparer.OrdinalIgnoreCase))
        {
            return new(AuditDenialReason.RoleNotPermitted, "ROLE_NOT_PERMITTED",
                "Only information-governance officers may export a subject access request.");
        }

        var own = token.OrganisationOdsCode;
        if (organisationOdsCode is null)
        {
            if (!governance.PlatformGovernanceOrganisations.Contains(own, StringComparer.OrdinalIgnoreCase))
            {
                return new(AuditDenialReason.RoleNotPermitted, "ORGANISATION_NOT_PERMITTED",
                    "Only the platform's own information-governance team may export a whole record; export your organisation's part instead.");
            }
        }
        else if (!string.Equals(own, organisationOdsCode, StringComparison.OrdinalIgnoreCase))
        {
            return new(AuditDenialReason.RoleNotPermitted, "ORGANISATION_NOT_PERMITTED",
                "An organisation's part of the record may be exported only by that organisation's information-governance officers.");
        }

        return null;
    }
}
