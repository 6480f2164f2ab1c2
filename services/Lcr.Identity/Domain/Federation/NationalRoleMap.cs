namespace Lcr.Identity.Domain.Federation;

/// <summary>
/// The one explicit table from national RBAC role profiles to platform roles, and the rule that
/// picks the role assignment a federated session acts in (docs/services/identity.md,
/// "The role mapping table"). Pure: unit-tested without a host.
/// </summary>
public sealed class NationalRoleMap
{
    public const string RoleProfileNotInToken = "ROLE_PROFILE_NOT_IN_TOKEN";
    public const string OrganisationNotTrusted = "ORGANISATION_NOT_TRUSTED";
    public const string RoleNotMapped = "ROLE_NOT_MAPPED";
    public const string NoMatchingRoleAssignment = "NO_MATCHING_ROLE_ASSIGNMENT";

    /// <summary>B0264: "Access health records" (national RBAC activity).</summary>
    public const string AccessHealthRecords = "B0264";

    /// <summary>B1611: "Access sensitive records". Without it a federated session sees no entry marked sensitive.</summary>
    public const string AccessSensitiveRecords = "B1611";

    /// <summary>B0082: "Override patient consent" (legal duties). Without it a federated session may not break glass.</summary>
    public const string OverridePatientConsent = "B0082";

    /// <summary>The most activity codes a session records (a role profile carries a handful).</summary>
    public const int MaxSessionActivities = 50;

    /// <summary>
    /// Whether a session may be shown entries marked sensitive (when the patient's consent releases
    /// them): a federated session only when its role profile carries B1611; a session without
    /// recorded activities (password sign-in, development only) as its platform role allows.
    /// </summary>
    public static bool MaySeeSensitiveRecords(IReadOnlyCollection<string>? sessionActivities) =>
        sessionActivities is null || sessionActivities.Contains(AccessSensitiveRecords);

    /// <summary>
    /// Whether a session may request emergency (break-glass) access, beyond its platform role
    /// allowing it: a federated session only when its role profile carries B0082. An opt-out is
    /// never overridden, whoever breaks glass (consent's rule at the gateway).
    /// </summary>
    public static bool MayBreakGlass(IReadOnlyCollection<string>? sessionActivities) =>
        sessionActivities is null || sessionActivities.Contains(OverridePatientConsent);

    /// <summary>The activity codes a session exchanged through <paramref name="profile"/> records.</summary>
    public static IReadOnlyList<string> SessionActivities(NrbacRole profile) =>
        profile.ActivityCodes.Where(a => a.Length is > 0 and <= 16).Distinct(StringComparer.Ordinal).Take(MaxSessionActivities).ToList();

    /// <summary>
    /// The defaults. National job roles map to the platform role of the same code when the profile
    /// may access health records. The platform's local roles (social care practitioner, IG officer)
    /// have no national job role; a deployment maps the codes its providers use for them
    /// (Identity:Federation:RoleMappings). The <c>LCR-*</c> rows serve the development provider.
    /// </summary>
    public static IReadOnlyList<NationalRoleMapping> Defaults { get; } =
    [
        Row("R8000", RoleCatalogue.ClinicalPractitioner, AccessHealthRecords),
        Row("R8001", RoleCatalogue.NurseAccess, AccessHealthRecords),
        Row("R8003", RoleCatalogue.HealthProfessional, AccessHealthRecords),
        Row("R8008", RoleCatalogue.AdminClinicalSupport, AccessHealthRecords),
        Row("R8010", RoleCatalogue.ClericalAccess, AccessHealthRecords),
        Row("LCR-SC01", RoleCatalogue.SocialCarePractitioner, AccessHealthRecords),
        Row("LCR-IG01", RoleCatalogue.InformationGovernanceOfficer),
        Row("R0001", RoleCatalogue.PrivacyOfficer),
    ];

    private readonly IReadOnlyList<NationalRoleMapping> _rows;

    public NationalRoleMap(IReadOnlyList<NationalRoleMapping>? configured)
    {
        _rows = configured is { Count: > 0 } ? configured : Defaults;
    }

    public IReadOnlyList<NationalRoleMapping> Rows => _rows;

    /// <summary>The platform role code for a role profile, or null when no row maps it.</summary>
    public string? PlatformRoleFor(NrbacRole profile) =>
        _rows.FirstOrDefault(r => r.NationalRoleCode == profile.JobRoleCode &&
                                  r.RequiredActivityCodes.All(profile.ActivityCodes.Contains))?.PlatformRoleCode;

    /// <summary>
    /// The role assignment for the chosen role profile: it must be in the token, at an organisation
    /// the provider may vouch for and the platform knows (active), mapped by the table, and held by
    /// the professional as an active role assignment at that organisation in that role.
    /// </summary>
    public RoleProfileDecision Decide(
        IReadOnlyList<NrbacRole> tokenRoles,
        string roleProfileId,
        IReadOnlyCollection<string> providerOrganisations,
        IReadOnlyCollection<string> activeOrganisations,
        IReadOnlyList<ActiveAssignment> assignments)
    {
        var profile = tokenRoles.FirstOrDefault(r => r.PersonRoleId == roleProfileId);
        if (profile is null)
        {
            return RoleProfileDecision.Refused(RoleProfileNotInToken);
        }

        var ods = profile.OrgCode.Trim().ToUpperInvariant();
        if (!providerOrganisations.Contains(ods, StringComparer.OrdinalIgnoreCase) || !activeOrganisations.Contains(ods, StringComparer.Ordinal))
        {
            return RoleProfileDecision.Refused(OrganisationNotTrusted);
        }

        var platformRole = PlatformRoleFor(profile);
        if (platformRole is null)
        {
            return RoleProfileDecision.Refused(RoleNotMapped);
        }

        var assignment = assignments.FirstOrDefault(a => a.OrganisationOds == ods && a.RoleCode == platformRole);
        return assignment is null
            ? RoleProfileDecision.Refused(NoMatchingRoleAssignment)
            : new RoleProfileDecision(assignment.Id, platformRole, null);
    }

    private static NationalRoleMapping Row(string national, string platform, params string[] activities) =>
        new() { NationalRoleCode = national, PlatformRoleCode = platform, RequiredActivityCodes = [.. activities] };
}
