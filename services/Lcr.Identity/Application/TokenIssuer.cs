using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Security;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.Identity.Application;

/// <summary>An issued token.</summary>
public sealed record IssuedToken(string Token, string TokenId, DateTimeOffset ExpiresAt);

/// <summary>What goes into an access token.</summary>
public sealed record AccessGrant(
    string ProfessionalId,
    string ProfessionalName,
    string OrganisationOds,
    string RoleCode,
    string RoleAssignmentId,
    string NhsNumber,
    PurposeOfUse Purpose,
    IReadOnlyList<RecordCategory> Categories,
    string? CareRelationshipId,
    EmergencyAccessReason? EmergencyReason,
    string? EmergencyReasonText)
{
    /// <summary>The professional's family name, for privacy review (claim <c>family_name</c>).</summary>
    public string? FamilyName { get; init; }

    /// <summary>A federated session whose role profile lacks B1611: the token says so (claim <c>lcr_no_sensitive</c>).</summary>
    public bool SensitiveRecordsWithheld { get; init; }

    /// <summary>The professional's own NHS number, when known (claim <c>lcr_personal_nhs_number</c>).</summary>
    public string? PersonalNhsNumber { get; init; }

    /// <summary>The kind of <see cref="CareRelationshipId"/> (claim <c>lcr_care_relationship_kind</c>); Unspecified without one.</summary>
    public Lcr.Identity.V1.CareRelationshipKind CareRelationshipKind { get; init; }

    /// <summary>A self-claimed relationship's reason (claims <c>lcr_self_claim_reason</c>, <c>lcr_self_claim_reason_text</c>).</summary>
    public SelfClaimGrant? SelfClaim { get; init; }

    /// <summary>The team the relationship is with, when it is with a team (claim <c>lcr_care_team</c>).</summary>
    public string? CareTeamId { get; init; }

    /// <summary>The role sees only each risk or alert's existence and kind (claim <c>lcr_alert_kind_only</c>).</summary>
    public bool AlertDetailsWithheld { get; init; }

    /// <summary>Emergency tokens only: a sealed-record justification (claim <c>lcr_sealed_record_justification</c>).</summary>
    public string? SealedRecordJustification { get; init; }
}

/// <summary>Mints the platform's JWTs (ES256, JsonWebTokenHandler) with the current signing key.</summary>
public sealed class TokenIssuer(SigningKeyRing keys, IOptions<IdentityTokenOptions> options, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>A session token; <paramref name="extra"/> adds claims such as a federated session's bound role (<see cref="SessionClaims"/>);
    /// <paramref name="notAfter"/>, when given, ends the session earlier than the configured session lifetime.</summary>
    public Task<IssuedToken> SessionAsync(string professionalId, string name, Guid securityStamp, CancellationToken ct,
        IReadOnlyDictionary<string, object>? extra = null, DateTimeOffset? notAfter = null)
    {
        var claims = new Dictionary<string, object>
        {
            [TokenClaims.Name] = name,
            [TokenClaims.SecurityStamp] = securityStamp.ToString(),
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, object>())
        {
            claims[k] = v;
        }

        var lifetime = options.Value.SessionLifetime;
        if (notAfter is { } end)
        {
            var left = TimeSpan.FromSeconds(Math.Floor((end - clock.GetUtcNow()).TotalSeconds));
            lifetime = left < lifetime ? left : lifetime;
        }

        return CreateAsync(TokenTypes.Session, professionalId, lifetime, claims, ct);
    }

    public Task<IssuedToken> SystemAsync(string clientId, string name, string organisationOds, IEnumerable<string> scopes, CancellationToken ct) =>
        CreateAsync(TokenTypes.System, clientId, options.Value.SystemLifetime, new Dictionary<string, object>
        {
            [TokenClaims.Name] = name,
            [TokenClaims.Organisation] = organisationOds,
            [TokenClaims.Scope] = string.Join(' ', scopes),
        }, ct);

    public Task<IssuedToken> AccessAsync(AccessGrant grant, CancellationToken ct)
    {
        var claims = new Dictionary<string, object>
        {
            [TokenClaims.Name] = grant.ProfessionalName,
            [TokenClaims.Organisation] = grant.OrganisationOds,
            [TokenClaims.Role] = grant.RoleCode,
            [TokenClaims.RoleAssignment] = grant.RoleAssignmentId,
            [TokenClaims.NhsNumber] = grant.NhsNumber,
            [TokenClaims.Purpose] = TokenClaimValues.Of(grant.Purpose),
            [TokenClaims.Categories] = grant.Categories.Select(TokenClaimValues.Of).ToArray(),
        };
        if (!string.IsNullOrEmpty(grant.FamilyName))
        {
            claims[TokenClaims.FamilyName] = grant.FamilyName;
        }

        if (!string.IsNullOrEmpty(grant.PersonalNhsNumber))
        {
            claims[TokenClaims.PersonalNhsNumber] = grant.PersonalNhsNumber;
        }

        if (grant.SensitiveRecordsWithheld)
        {
            claims[TokenClaims.SensitiveRecordsWithheld] = true;
        }

        if (grant.AlertDetailsWithheld)
        {
            claims[TokenClaims.AlertDetailsWithheld] = true;
        }

        if (grant.CareRelationshipId is not null)
        {
            claims[TokenClaims.CareRelationship] = grant.CareRelationshipId;
        }

        if (grant.CareRelationshipKind != Lcr.Identity.V1.CareRelationshipKind.Unspecified)
        {
            claims[TokenClaims.CareRelationshipKind] = TokenClaimValues.Of(grant.CareRelationshipKind);
        }

        if (grant.SelfClaim is { } claim)
        {
            claims[TokenClaims.SelfClaimReason] = TokenClaimValues.Of(claim.ReasonCode);
            claims[TokenClaims.SelfClaimReasonText] = claim.ReasonText;
        }

        if (!string.IsNullOrEmpty(grant.CareTeamId))
        {
            claims[TokenClaims.CareTeam] = grant.CareTeamId;
        }

        if (!string.IsNullOrEmpty(grant.SealedRecordJustification))
        {
            claims[TokenClaims.SealedRecordJustification] = grant.SealedRecordJustification;
        }

        if (grant.EmergencyReason is { } reason)
        {
            claims[TokenClaims.Emergency] = true;
            claims[TokenClaims.EmergencyReasonCode] = TokenClaimValues.Of(reason);
            claims[TokenClaims.EmergencyReasonText] = grant.EmergencyReasonText ?? string.Empty;
        }

        var lifetime = grant.EmergencyReason is null ? options.Value.AccessLifetime : options.Value.EmergencyAccessLifetime;
        return CreateAsync(TokenTypes.Access, grant.ProfessionalId, lifetime, claims, ct);
    }

    private async Task<IssuedToken> CreateAsync(string type, string subject, TimeSpan lifetime, Dictionary<string, object> claims, CancellationToken ct)
    {
        var credentials = await keys.GetSigningCredentialsAsync(ct);
        var now = clock.GetUtcNow();
        // Whole seconds, as JWT times are.
        now = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var expires = now + lifetime;
        var jti = Guid.NewGuid().ToString();
        claims[JwtRegisteredClaimNames.Sub] = subject;
        claims[JwtRegisteredClaimNames.Jti] = jti;
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type,
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = credentials,
        });
        return new IssuedToken(token, jti, expires);
    }
}
