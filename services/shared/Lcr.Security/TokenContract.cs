using Lcr.Common.V1;

namespace Lcr.Security;

/// <summary>
/// The platform's token contract, shared by the identity service (which issues tokens) and
/// every verifier (the gateway, the identity service itself). Each kind of token carries its
/// own JWT <c>typ</c> header (RFC 8725 section 3.11 explicit typing), so a token of one kind
/// can never be accepted as another: a session token is not an access token.
/// </summary>
public static class TokenTypes
{
    /// <summary>A professional's session from SignIn: proves who they are to IssueAccessToken; reads nothing.</summary>
    public const string Session = "lcr-session+jwt";

    /// <summary>A system client's token from IssueSystemToken: carries the client's scopes.</summary>
    public const string System = "lcr-system+jwt";

    /// <summary>A patient-bound access token from IssueAccessToken or IssueEmergencyAccessToken.</summary>
    public const string Access = "lcr-access+jwt";

    /// <summary>The only signing algorithm the platform issues or accepts.</summary>
    public const string Algorithm = "ES256";
}

/// <summary>Claim names in platform tokens, beside the registered <c>iss</c>, <c>aud</c>, <c>sub</c>, <c>jti</c>, <c>iat</c>, <c>nbf</c>, <c>exp</c>.</summary>
public static class TokenClaims
{
    /// <summary>Display name of the professional or system client (e.g. "Dr Priya Shah").</summary>
    public const string Name = "name";

    /// <summary>ODS code of the organisation the professional acts for (access) or the client acts for (system).</summary>
    public const string Organisation = "lcr_org";

    /// <summary>National RBAC-style role code the professional acts in, e.g. "R8000".</summary>
    public const string Role = "lcr_role";

    /// <summary>Platform id of the role assignment the professional acts in.</summary>
    public const string RoleAssignment = "lcr_role_assignment";

    /// <summary>The one patient the access token is bound to: NHS number, 10 digits.</summary>
    public const string NhsNumber = "lcr_nhs_number";

    /// <summary>Purpose of use, e.g. "direct_care" (see <see cref="TokenClaimValues"/>).</summary>
    public const string Purpose = "lcr_purpose";

    /// <summary>JSON array of the record categories the token allows, e.g. ["demographics","problems"].</summary>
    public const string Categories = "lcr_categories";

    /// <summary>The care relationship that justified a direct-care token (platform id).</summary>
    public const string CareRelationship = "lcr_care_relationship";

    /// <summary>JSON true on emergency (break-glass) access tokens; absent otherwise.</summary>
    public const string Emergency = "lcr_emergency";

    /// <summary>Coded emergency reason, e.g. "clinical_emergency".</summary>
    public const string EmergencyReasonCode = "lcr_emergency_reason";

    /// <summary>The professional's free-text emergency reason, for audit and privacy review.</summary>
    public const string EmergencyReasonText = "lcr_emergency_reason_text";

    /// <summary>Space-separated scopes of a system token (OAuth 2.0 style).</summary>
    public const string Scope = "scope";

    /// <summary>
    /// Access tokens: the professional's family name (identity's <c>Professional.family_name</c>),
    /// so the gateway can give privacy review what it compares with the patient's.
    /// </summary>
    public const string FamilyName = "family_name";

    /// <summary>
    /// Access tokens, when identity knows it: the professional's own NHS number
    /// (<c>Professional.personal_nhs_number</c>), so privacy review can see a professional
    /// viewing their own record or one at their home address. Like every claim it is only in
    /// the signed token, which is never logged; the gateway passes it to audit for comparison.
    /// </summary>
    public const string PersonalNhsNumber = "lcr_personal_nhs_number";

    /// <summary>
    /// Access tokens: JSON true when the professional signed in through an identity provider with a
    /// role profile lacking national RBAC activity B1611 ("access sensitive records"): the gateway
    /// shows no entry marked sensitive, even when the patient's consent releases them. Absent otherwise.
    /// </summary>
    public const string SensitiveRecordsWithheld = "lcr_no_sensitive";

    /// <summary>
    /// Access tokens: JSON true when the role sees only that each risk or alert exists and its kind
    /// (identity's <c>RoleAssignment.alert_details_withheld</c>): the gateway removes every alert's
    /// code and comment. Absent otherwise.
    /// </summary>
    public const string AlertDetailsWithheld = "lcr_alert_kind_only";

    /// <summary>
    /// Access tokens resting on a care relationship: its kind (identity's <c>CareRelationshipKind</c>
    /// without prefix, lower case, e.g. "inpatient_episode", "self_claimed"), so audit and the
    /// patient-facing access log can say why in words.
    /// </summary>
    public const string CareRelationshipKind = "lcr_care_relationship_kind";

    /// <summary>Access tokens resting on a self-claimed relationship: the coded reason, e.g. "referral_received".</summary>
    public const string SelfClaimReason = "lcr_self_claim_reason";

    /// <summary>Access tokens resting on a self-claimed relationship: the professional's own explanation (may be empty).</summary>
    public const string SelfClaimReasonText = "lcr_self_claim_reason_text";

    /// <summary>Access tokens whose care relationship is with a team: the team ("&lt;ODS code&gt;:&lt;team code&gt;"), compared with a seal's named teams.</summary>
    public const string CareTeam = "lcr_care_team";

    /// <summary>Emergency access tokens only: the second, stronger justification for breaking the glass into a sealed record.</summary>
    public const string SealedRecordJustification = "lcr_sealed_record_justification";

    /// <summary>Session tokens only: the professional's security stamp; a password reset or deactivation invalidates older sessions.</summary>
    public const string SecurityStamp = "lcr_stamp";
}

/// <summary>
/// String forms of the shared enums inside tokens: the proto value name without its enum
/// prefix, lower case (e.g. <c>RECORD_CATEGORY_TEST_RESULTS</c> is <c>"test_results"</c>).
/// </summary>
public static class TokenClaimValues
{
    private static readonly Dictionary<RecordCategory, string> CategoryNames = new()
    {
        [RecordCategory.Demographics] = "demographics",
        [RecordCategory.Problems] = "problems",
        [RecordCategory.Medications] = "medications",
        [RecordCategory.Allergies] = "allergies",
        [RecordCategory.TestResults] = "test_results",
        [RecordCategory.Documents] = "documents",
        [RecordCategory.RisksAndAlerts] = "risks_and_alerts",
    };

    private static readonly Dictionary<PurposeOfUse, string> PurposeNames = new()
    {
        [PurposeOfUse.DirectCare] = "direct_care",
        [PurposeOfUse.EmergencyCare] = "emergency_care",
        [PurposeOfUse.SubjectAccessRequest] = "subject_access_request",
        [PurposeOfUse.InformationGovernance] = "information_governance",
        [PurposeOfUse.RecordContribution] = "record_contribution",
    };

    private static readonly Dictionary<EmergencyAccessReason, string> ReasonNames = new()
    {
        [EmergencyAccessReason.ClinicalEmergency] = "clinical_emergency",
        [EmergencyAccessReason.RelationshipNotYetRecorded] = "relationship_not_yet_recorded",
        [EmergencyAccessReason.Safeguarding] = "safeguarding",
        [EmergencyAccessReason.LegalRequirement] = "legal_requirement",
        [EmergencyAccessReason.Other] = "other",
    };

    private static readonly Dictionary<Lcr.Identity.V1.CareRelationshipKind, string> RelationshipKindNames = new()
    {
        [Lcr.Identity.V1.CareRelationshipKind.RegisteredGp] = "registered_gp",
        [Lcr.Identity.V1.CareRelationshipKind.InpatientEpisode] = "inpatient_episode",
        [Lcr.Identity.V1.CareRelationshipKind.OutpatientEpisode] = "outpatient_episode",
        [Lcr.Identity.V1.CareRelationshipKind.Referral] = "referral",
        [Lcr.Identity.V1.CareRelationshipKind.SocialCareCase] = "social_care_case",
        [Lcr.Identity.V1.CareRelationshipKind.MentalHealthCareTeam] = "mental_health_care_team",
        [Lcr.Identity.V1.CareRelationshipKind.CommunityCareEpisode] = "community_care_episode",
        [Lcr.Identity.V1.CareRelationshipKind.SelfClaimed] = "self_claimed",
    };

    private static readonly Dictionary<SelfClaimReason, string> SelfClaimReasonNames = new()
    {
        [SelfClaimReason.ClinicAttendanceNotYetRecorded] = "clinic_attendance_not_yet_recorded",
        [SelfClaimReason.ReferralReceived] = "referral_received",
        [SelfClaimReason.PatientPresented] = "patient_presented",
        [SelfClaimReason.Safeguarding] = "safeguarding",
        [SelfClaimReason.Other] = "other",
    };

    public static string Of(RecordCategory category) => CategoryNames[category];

    public static string Of(Lcr.Identity.V1.CareRelationshipKind kind) => RelationshipKindNames[kind];

    public static string Of(SelfClaimReason reason) => SelfClaimReasonNames[reason];

    public static bool TryParse(string? value, out Lcr.Identity.V1.CareRelationshipKind kind) => TryFind(RelationshipKindNames, value, out kind);

    public static bool TryParse(string? value, out SelfClaimReason reason) => TryFind(SelfClaimReasonNames, value, out reason);

    public static string Of(PurposeOfUse purpose) => PurposeNames[purpose];

    public static string Of(EmergencyAccessReason reason) => ReasonNames[reason];

    public static bool TryParse(string? value, out RecordCategory category) => TryFind(CategoryNames, value, out category);

    public static bool TryParse(string? value, out PurposeOfUse purpose) => TryFind(PurposeNames, value, out purpose);

    public static bool TryParse(string? value, out EmergencyAccessReason reason) => TryFind(ReasonNames, value, out reason);

    private static bool TryFind<T>(Dictionary<T, string> names, string? value, out T result)
        where T : struct, Enum
    {
        foreach (var (k, v) in names)
        {
            if (string.Equals(v, value, StringComparison.Ordinal))
            {
                result = k;
                return true;
            }
        }

        result = default;
        return false;
    }
}

/// <summary>
/// <c>ErrorInfo.reason</c> values of <see cref="Lcr.ServiceDefaults.UnauthenticatedException"/>
/// thrown by the verifiers: one per refusal case, stable for callers and tests to branch on.
/// </summary>
public static class TokenRefusal
{
    public const string Missing = "TOKEN_MISSING";
    public const string Malformed = "TOKEN_MALFORMED";
    public const string AlgorithmNotAllowed = "TOKEN_ALGORITHM_NOT_ALLOWED";
    public const string WrongType = "TOKEN_WRONG_TYPE";
    public const string UnknownKey = "TOKEN_UNKNOWN_KEY";
    public const string BadSignature = "TOKEN_BAD_SIGNATURE";
    public const string WrongIssuer = "TOKEN_WRONG_ISSUER";
    public const string WrongAudience = "TOKEN_WRONG_AUDIENCE";
    public const string Expired = "TOKEN_EXPIRED";
    public const string NotYetValid = "TOKEN_NOT_YET_VALID";
    public const string ClaimsInvalid = "TOKEN_CLAIMS_INVALID";
}
