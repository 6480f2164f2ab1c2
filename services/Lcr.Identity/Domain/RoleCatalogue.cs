using Lcr.Common.V1;

namespace Lcr.Identity.Domain;

/// <summary>One role the platform accepts: what it may see and do.</summary>
public sealed class RoleDefinition
{
    public string Name { get; set; } = string.Empty;

    /// <summary>Record categories the role may see (proto names without prefix, e.g. "PROBLEMS").</summary>
    public List<RecordCategory> Categories { get; set; } = [];

    /// <summary>Purposes of use the role may request ordinary access tokens for.</summary>
    public List<PurposeOfUse> Purposes { get; set; } = [];

    /// <summary>Whether the role may use emergency (break-glass) access.</summary>
    public bool EmergencyAccess { get; set; }

    /// <summary>Whether the role may claim a care relationship itself (ClaimCareRelationship; national RBAC has it as an activity of its own).</summary>
    public bool SelfClaim { get; set; }

    /// <summary>Whether the role is its organisation's privacy officer: works that organisation's privacy alerts.</summary>
    public bool PrivacyOfficer { get; set; }

    /// <summary>
    /// Whether the role sees only that each risk or alert exists and its kind (severity, status,
    /// period, source), never its code or comment: its access tokens carry <c>lcr_alert_kind_only</c>.
    /// </summary>
    public bool AlertDetailsWithheld { get; set; }
}

/// <summary>
/// The accepted role codes and their permissions: configuration section <c>Identity:Roles</c>
/// (a map from role code to <see cref="RoleDefinition"/>) replaces the defaults entirely
/// when present. Defaults follow the issue: clinicians every category; social care
/// practitioners demographics, problems, medications, allergies and documents;
/// admin/clerical demographics only; every clinical, social care and admin/clerical role also
/// sees risks and alerts, admin/clerical only as their existence and kind
/// (<see cref="RoleDefinition.AlertDetailsWithheld"/>); IG officers no record categories, but the
/// information-governance and subject-access purposes. Clinicians and social care
/// practitioners may self-claim a care relationship; admin/clerical and IG roles may not.
/// </summary>
public sealed class RoleCatalogue
{
    public const string ClinicalPractitioner = "R8000";
    public const string NurseAccess = "R8001";
    public const string HealthProfessional = "R8003";
    public const string AdminClinicalSupport = "R8008";
    public const string ClericalAccess = "R8010";

    /// <summary>Local extension codes: national RBAC has no exact social care / IG access roles.</summary>
    public const string SocialCarePractitioner = "LCR-SC01";
    public const string InformationGovernanceOfficer = "LCR-IG01";

    /// <summary>National RBAC R0001: the organisation's privacy officer (its privacy alerts, nothing of the record).</summary>
    public const string PrivacyOfficer = "R0001";

    private static readonly RecordCategory[] Everything =
    [
        RecordCategory.Demographics, RecordCategory.Problems, RecordCategory.Medications,
        RecordCategory.Allergies, RecordCategory.TestResults, RecordCategory.Documents, RecordCategory.RisksAndAlerts,
    ];

    public static IReadOnlyDictionary<string, RoleDefinition> Defaults { get; } = new Dictionary<string, RoleDefinition>(StringComparer.Ordinal)
    {
        [ClinicalPractitioner] = Clinical("Clinical Practitioner Access Role"),
        [NurseAccess] = Clinical("Nurse Access Role"),
        [HealthProfessional] = Clinical("Health Professional Access Role"),
        [AdminClinicalSupport] = new()
        {
            Name = "Admin and Clinical Support Access Role",
            Categories = [RecordCategory.Demographics, RecordCategory.RisksAndAlerts],
            Purposes = [PurposeOfUse.DirectCare],
            AlertDetailsWithheld = true,
        },
        [ClericalAccess] = new()
        {
            Name = "Clerical Access Role",
            Categories = [RecordCategory.Demographics, RecordCategory.RisksAndAlerts],
            Purposes = [PurposeOfUse.DirectCare],
            AlertDetailsWithheld = true,
        },
        [SocialCarePractitioner] = new()
        {
            Name = "Social Care Practitioner",
            Categories = [RecordCategory.Demographics, RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.Documents,
                RecordCategory.RisksAndAlerts],
            Purposes = [PurposeOfUse.DirectCare],
            SelfClaim = true,
        },
        [InformationGovernanceOfficer] = new()
        {
            Name = "Information Governance Officer",
            Categories = [],
            Purposes = [PurposeOfUse.InformationGovernance, PurposeOfUse.SubjectAccessRequest],
        },
        [PrivacyOfficer] = new()
        {
            Name = "Privacy Officer Access Role",
            Categories = [],
            Purposes = [PurposeOfUse.InformationGovernance],
            PrivacyOfficer = true,
        },
    };

    private readonly IReadOnlyDictionary<string, RoleDefinition> _roles;

    public RoleCatalogue(IReadOnlyDictionary<string, RoleDefinition>? configured)
    {
        _roles = configured is { Count: > 0 } ? configured : Defaults;
        foreach (var (code, role) in _roles)
        {
            if (role.Categories.Contains(RecordCategory.Unspecified) || role.Purposes.Contains(PurposeOfUse.Unspecified) ||
                role.Purposes.Contains(PurposeOfUse.EmergencyCare) || role.Purposes.Contains(PurposeOfUse.RecordContribution))
            {
                throw new InvalidOperationException($"Identity:Roles:{code} is invalid: use EmergencyAccess for break-glass; no UNSPECIFIED or RECORD_CONTRIBUTION.");
            }
        }
    }

    public IEnumerable<string> Codes => _roles.Keys;

    public RoleDefinition? Find(string? code) => code is not null && _roles.TryGetValue(code, out var r) ? r : null;

    /// <summary>Record categories a token for <paramref name="purpose"/> grants in this role.</summary>
    public static IReadOnlyList<RecordCategory> CategoriesFor(RoleDefinition role, PurposeOfUse purpose) =>
        purpose is PurposeOfUse.DirectCare or PurposeOfUse.EmergencyCare ? role.Categories.Distinct().Order().ToList() : [];

    private static RoleDefinition Clinical(string name) => new()
    {
        Name = name,
        Categories = [.. Everything],
        Purposes = [PurposeOfUse.DirectCare],
        EmergencyAccess = true,
        SelfClaim = true,
    };
}
