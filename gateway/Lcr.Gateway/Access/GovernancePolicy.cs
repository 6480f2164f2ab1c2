using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Records;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Access;

/// <summary>Which professional roles may do information-governance work (consent changes, audit review), and for whom.</summary>
public sealed class GovernanceOptions
{
    /// <summary>National RBAC role codes of information-governance officers.</summary>
    public List<string> InformationGovernanceRoles { get; } = [];

    /// <summary>
    /// ODS codes of the organisations that are the platform's own IG team: their IG officers and
    /// systems act for every patient (and may export a whole record); every other organisation
    /// acts only for the patients it is linked to (<see cref="OrganisationLinkRule"/>).
    /// Configuration <c>Gateway:PlatformGovernanceOrganisations</c> (the older
    /// <c>Gateway:SubjectAccess:PlatformGovernanceOrganisations</c> is still read); default the
    /// seeded platform operator, LCR01.
    /// </summary>
    public List<string> PlatformGovernanceOrganisations { get; } = [];
}

/// <summary>The gateway's per-method permissions for administrative calls, as a small explicit type.</summary>
public sealed class GovernancePolicy(IOptions<GovernanceOptions> options, PatientOrganisationLinks links, AuditTrail audit)
{
    /// <summary>What a caller is told when its organisation is not linked to the patient: nothing more (not even whether the patient exists).</summary>
    public static PermissionDeniedException NotLinked() => new("ORGANISATION_NOT_LINKED",
        "Your organisation holds no data about this patient and has no care relationship with them, so you may not act for them.");

    /// <summary>
    /// The audit event of an attempt to act for a patient with <paramref name="scope"/>'s kind of
    /// call: a consent read or change (CONSENT_CHANGE: the audit vocabulary has no separate
    /// consent-read action), the patient's audit trail (AUDIT_QUERY), a demographic update
    /// (CONTRIBUTION). Recorded only if refused.
    /// </summary>
    public AuditEvent Attempt(Actor actor, string nhsNumber, string scope, PurposeOfUse purpose) =>
        audit.For(actor, nhsNumber, scope switch
        {
            Scopes.AuditRead => AuditAction.AuditQuery,
            Scopes.DemographicsWrite or Scopes.RecordContribute => AuditAction.Contribution,
            _ => AuditAction.ConsentChange,
        }, purpose);

    /// <summary>
    /// Lets <paramref name="organisationOds"/> act for the patient of <paramref name="attempt"/>
    /// when it is one of the platform's own IG organisations or is linked to the patient
    /// (<see cref="OrganisationLinkRule"/>) under its number or any of the event's
    /// <c>merged_nhs_numbers</c> (set by the door from the resolution); otherwise records <paramref name="attempt"/> as denied
    /// (ORGANISATION_NOT_LINKED) and throws PERMISSION_DENIED ORGANISATION_NOT_LINKED.
    /// </summary>
    public async Task RequireLinkedAsync(string organisationOds, AuditEvent attempt, ServerCallContext context)
    {
        if (OrganisationLinkRule.ActsForEveryone(organisationOds, options.Value) ||
            await links.IsLinkedAsync(organisationOds, attempt.NhsNumber, [.. attempt.MergedNhsNumbers], context))
        {
            return;
        }

        throw await audit.DenyAsync(attempt, AuditDenialReason.OrganisationNotLinked, NotLinked(), context);
    }

    /// <summary>Systems pass (their scope was checked); professionals need an IG role.</summary>
    public void RequireInformationGovernance(Actor actor)
    {
        if (actor.Kind == ActorKind.Professional &&
            !options.Value.InformationGovernanceRoles.Contains(actor.RoleCode, StringComparer.OrdinalIgnoreCase))
        {
            throw new PermissionDeniedException("ROLE_NOT_PERMITTED",
                "Only information-governance officers (or systems with the right scope) may make this call.");
        }
    }
}
