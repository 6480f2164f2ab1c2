using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Security;

/// <summary>
/// Verifies patient-bound access tokens (from IssueAccessToken / IssueEmergencyAccessToken)
/// locally, with keys fetched from the identity service and cached. Throws
/// <see cref="UnauthenticatedException"/> (reason from <see cref="TokenRefusal"/>) for any
/// refusal and <see cref="DependencyUnavailableException"/> when no keys can be had at all.
/// </summary>
public sealed class AccessTokenVerifier(PlatformTokenVerifier verifier)
{
    /// <summary>Verifies a raw token (without the "Bearer " prefix).</summary>
    public async Task<VerifiedAccessToken> VerifyAsync(string? token, CancellationToken cancellationToken = default)
    {
        var jwt = await verifier.VerifyAsync(token, TokenTypes.Access, cancellationToken);
        return Parse(jwt);
    }

    /// <summary>Verifies the bearer token in gRPC request metadata.</summary>
    public Task<VerifiedAccessToken> VerifyAsync(Grpc.Core.Metadata requestHeaders, CancellationToken cancellationToken = default) =>
        VerifyAsync(BearerToken.From(requestHeaders), cancellationToken);

    internal static VerifiedAccessToken Parse(JsonWebToken jwt)
    {
        var nhs = Text(jwt, TokenClaims.NhsNumber);
        var org = Text(jwt, TokenClaims.Organisation);
        var role = Text(jwt, TokenClaims.Role);
        if (!NhsNumber.IsValid(nhs) || org is null || role is null ||
            !TokenClaimValues.TryParse(Text(jwt, TokenClaims.Purpose), out PurposeOfUse purpose))
        {
            throw Invalid();
        }

        var categories = new HashSet<RecordCategory>();
        foreach (var c in jwt.Claims.Where(c => c.Type == TokenClaims.Categories))
        {
            if (!TokenClaimValues.TryParse(c.Value, out RecordCategory category))
            {
                throw Invalid();
            }

            categories.Add(category);
        }

        var relationship = Text(jwt, TokenClaims.CareRelationship);
        EmergencyAccessGrant? emergency = null;
        var emergencyFlag = jwt.TryGetPayloadValue<bool>(TokenClaims.Emergency, out var flag) && flag;
        if (emergencyFlag)
        {
            if (!TokenClaimValues.TryParse(Text(jwt, TokenClaims.EmergencyReasonCode), out EmergencyAccessReason reason) ||
                Text(jwt, TokenClaims.EmergencyReasonText) is not { } text)
            {
                throw Invalid();
            }

            emergency = new EmergencyAccessGrant(reason, text);
        }

        var kind = Lcr.Identity.V1.CareRelationshipKind.Unspecified;
        if (Text(jwt, TokenClaims.CareRelationshipKind) is { } kindText && !TokenClaimValues.TryParse(kindText, out kind))
        {
            throw Invalid();
        }

        SelfClaimGrant? selfClaim = null;
        if (Text(jwt, TokenClaims.SelfClaimReason) is { } claimText)
        {
            if (!TokenClaimValues.TryParse(claimText, out SelfClaimReason claimReason))
            {
                throw Invalid();
            }

            selfClaim = new SelfClaimGrant(claimReason, Text(jwt, TokenClaims.SelfClaimReasonText) ?? string.Empty);
        }

        var sealedJustification = Text(jwt, TokenClaims.SealedRecordJustification);

        // The basis of access must agree with the purpose: emergency care only with an
        // emergency grant, direct care only with a care relationship; a self-claim only on a
        // self-claimed relationship; a sealed-record justification only on emergency access.
        var consistent = purpose switch
        {
            PurposeOfUse.EmergencyCare => emergency is not null,
            PurposeOfUse.DirectCare => emergency is null && relationship is not null,
            PurposeOfUse.SubjectAccessRequest or PurposeOfUse.InformationGovernance => emergency is null,
            _ => false,
        } && (selfClaim is not null) == (kind == Lcr.Identity.V1.CareRelationshipKind.SelfClaimed)
          && (kind == Lcr.Identity.V1.CareRelationshipKind.Unspecified || relationship is not null)
          && (sealedJustification is null || emergency is not null);
        if (!consistent)
        {
            throw Invalid();
        }

        return new VerifiedAccessToken(
            TokenId: jwt.Id,
            ProfessionalId: jwt.Subject,
            ProfessionalName: Text(jwt, TokenClaims.Name) ?? string.Empty,
            OrganisationOdsCode: org,
            RoleCode: role,
            RoleAssignmentId: Text(jwt, TokenClaims.RoleAssignment) ?? string.Empty,
            NhsNumber: nhs!,
            Purpose: purpose,
            AllowedCategories: categories,
            CareRelationshipId: relationship,
            Emergency: emergency,
            IssuedAt: new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero),
            ExpiresAt: new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero),
            KeyId: jwt.Kid)
        {
            ViewerFamilyName = Text(jwt, TokenClaims.FamilyName),
            ViewerNhsNumber = NhsNumber.IsValid(Text(jwt, TokenClaims.PersonalNhsNumber)) ? Text(jwt, TokenClaims.PersonalNhsNumber) : null,
            SensitiveRecordsWithheld = jwt.TryGetPayloadValue<bool>(TokenClaims.SensitiveRecordsWithheld, out var withheld) && withheld,
            CareRelationshipKind = kind,
            SelfClaim = selfClaim,
            CareTeamId = Text(jwt, TokenClaims.CareTeam),
            AlertDetailsWithheld = jwt.TryGetPayloadValue<bool>(TokenClaims.AlertDetailsWithheld, out var kindOnly) && kindOnly,
            SealedRecordJustification = sealedJustification,
        };
    }

    private static string? Text(JsonWebToken jwt, string claim) =>
        jwt.TryGetPayloadValue<string>(claim, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private static UnauthenticatedException Invalid() =>
        PlatformTokenVerifier.Refuse(TokenRefusal.ClaimsInvalid, "The access token's claims are incomplete or inconsistent.");
}

/// <summary>What a verified access token grants: one patient, one professional acting in one role.</summary>
/// <param name="TokenId">The token's <c>jti</c>; audit events of reads made with it carry it.</param>
/// <param name="ProfessionalId">The professional's platform id (<c>sub</c>).</param>
/// <param name="ProfessionalName">Display name, for audit (<c>name</c>).</param>
/// <param name="OrganisationOdsCode">The organisation the professional acts for (<c>lcr_org</c>).</param>
/// <param name="RoleCode">National RBAC-style role code (<c>lcr_role</c>).</param>
/// <param name="RoleAssignmentId">The role assignment acted in (<c>lcr_role_assignment</c>).</param>
/// <param name="NhsNumber">The one patient the token is bound to (<c>lcr_nhs_number</c>).</param>
/// <param name="Purpose">Purpose of use (<c>lcr_purpose</c>).</param>
/// <param name="AllowedCategories">Record categories the role may see (<c>lcr_categories</c>); empty for IG and subject-access purposes.</param>
/// <param name="CareRelationshipId">The justifying care relationship (direct care only).</param>
/// <param name="Emergency">The break-glass reason (emergency access only).</param>
public sealed record VerifiedAccessToken(
    string TokenId,
    string ProfessionalId,
    string ProfessionalName,
    string OrganisationOdsCode,
    string RoleCode,
    string RoleAssignmentId,
    string NhsNumber,
    PurposeOfUse Purpose,
    IReadOnlySet<RecordCategory> AllowedCategories,
    string? CareRelationshipId,
    EmergencyAccessGrant? Emergency,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string KeyId)
{
    /// <summary>The professional's family name (<c>family_name</c>), for privacy review's comparison; null on older tokens.</summary>
    public string? ViewerFamilyName { get; init; }

    /// <summary>The professional's own NHS number (<c>lcr_personal_nhs_number</c>) when identity knows it; never logged.</summary>
    public string? ViewerNhsNumber { get; init; }

    /// <summary>The professional's role profile at the identity provider lacks B1611 (<c>lcr_no_sensitive</c>): no entry marked sensitive may be shown.</summary>
    public bool SensitiveRecordsWithheld { get; init; }

    /// <summary>The kind of the justifying care relationship (<c>lcr_care_relationship_kind</c>); Unspecified without one or on older tokens.</summary>
    public Lcr.Identity.V1.CareRelationshipKind CareRelationshipKind { get; init; }

    /// <summary>The self-claim the token rests on (<c>lcr_self_claim_reason</c>); null unless the relationship was self-claimed.</summary>
    public SelfClaimGrant? SelfClaim { get; init; }

    /// <summary>The team the justifying relationship is with (<c>lcr_care_team</c>), compared with a seal's named teams; null otherwise.</summary>
    public string? CareTeamId { get; init; }

    /// <summary>The role sees only that each risk or alert exists and its kind (<c>lcr_alert_kind_only</c>): no alert code or comment may be shown.</summary>
    public bool AlertDetailsWithheld { get; init; }

    /// <summary>Emergency tokens only: the sealed-record justification (<c>lcr_sealed_record_justification</c>); null otherwise.</summary>
    public string? SealedRecordJustification { get; init; }

    /// <summary>True for break-glass tokens: every use must be flagged in audit.</summary>
    public bool IsEmergency => Emergency is not null;

    /// <summary>Whether the token's role may see <paramref name="category"/>.</summary>
    public bool Allows(RecordCategory category) => AllowedCategories.Contains(category);

    /// <summary>The professional as an audit/caller actor.</summary>
    public Actor ToActor() => new()
    {
        Kind = ActorKind.Professional,
        Id = ProfessionalId,
        DisplayName = ProfessionalName,
        Organisation = new OrganisationReference { OdsCode = OrganisationOdsCode },
        RoleCode = RoleCode,
    };
}

/// <summary>The break-glass reason carried by an emergency access token.</summary>
public sealed record EmergencyAccessGrant(EmergencyAccessReason ReasonCode, string ReasonText);

/// <summary>The self-claim carried by an access token resting on a self-claimed care relationship.</summary>
public sealed record SelfClaimGrant(SelfClaimReason ReasonCode, string ReasonText);
