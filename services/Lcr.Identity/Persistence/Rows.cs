namespace Lcr.Identity.Persistence;

public sealed class OrganisationRow
{
    public required string OdsCode { get; set; }
    public required string DisplayName { get; set; }
    public int Kind { get; set; }
    public bool Active { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The organisation switched self-claimed care relationships off for its staff.</summary>
    public bool SelfClaimsDisabled { get; set; }
}

public sealed class ProfessionalRow
{
    public Guid Id { get; set; }
    public required string GivenName { get; set; }
    public required string FamilyName { get; set; }
    public string? Title { get; set; }
    public int? RegistrationBody { get; set; }
    public string? RegistrationNumber { get; set; }

    /// <summary>Lower-cased; unique.</summary>
    public required string UserName { get; set; }
    public string? FederatedSubject { get; set; }
    public string? PersonalNhsNumber { get; set; }
    public List<string> TeamIds { get; set; } = [];
    public bool Active { get; set; }

    /// <summary>ASP.NET Core Identity PasswordHasher v3 (PBKDF2-HMAC-SHA512, salted); never the password.</summary>
    public required string PasswordHash { get; set; }
    public int FailedSignIns { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }

    /// <summary>Changes on password reset and deactivation; session tokens carry it, so older sessions stop working.</summary>
    public Guid SecurityStamp { get; set; }

    /// <summary>The CreateProfessional request id, for safe retries.</summary>
    public Guid CreateRequestId { get; set; }
    public long Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public List<RoleAssignmentRow> RoleAssignments { get; set; } = [];
}

public sealed class RoleAssignmentRow
{
    public Guid Id { get; set; }
    public Guid ProfessionalId { get; set; }
    public required string OrganisationOds { get; set; }
    public required string RoleCode { get; set; }
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset? EndTime { get; set; }

    /// <summary>The provider whose role profile this assignment was first exchanged through (leavers: see <see cref="FederatedRoleProfileId"/>).</summary>
    public string? FederatedProvider { get; set; }

    /// <summary>
    /// The provider's role profile (<c>person_roleid</c>) this assignment was first exchanged through;
    /// an exchange through that provider whose token no longer carries it ends the assignment.
    /// </summary>
    public string? FederatedRoleProfileId { get; set; }
}

/// <summary>Who a care relationship is with.</summary>
public enum RelationshipSubject
{
    Professional = 1,
    Team = 2,
    Organisation = 3,
}

public sealed class CareRelationshipRow
{
    public Guid Id { get; set; }
    public required string NhsNumber { get; set; }
    public int Kind { get; set; }
    public RelationshipSubject SubjectKind { get; set; }

    /// <summary>Professional id (UUID string), team id or ODS code, by <see cref="SubjectKind"/>.</summary>
    public required string SubjectValue { get; set; }
    public DateTimeOffset StartTime { get; set; }
    public DateTimeOffset? EndTime { get; set; }
    public required string SourceOrganisation { get; set; }
    public string? SourceSystem { get; set; }
    public required string SourceEntryId { get; set; }

    /// <summary>The system client that recorded it (last); for a self-claim, <c>self-claim</c>.</summary>
    public required string RecordedBy { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Self-claims only (kind SELF_CLAIMED): the coded reason.</summary>
    public int? SelfClaimReason { get; set; }

    /// <summary>Self-claims only: the professional's own explanation (for the privacy officer), when given.</summary>
    public string? SelfClaimReasonText { get; set; }

    /// <summary>Self-claims only: the role assignment the claim was made in.</summary>
    public Guid? SelfClaimRoleAssignmentId { get; set; }

    /// <summary>Self-claims only: that assignment's role code, as it was when claimed.</summary>
    public string? SelfClaimRoleCode { get; set; }
}

public sealed class SystemClientRow
{
    public required string ClientId { get; set; }
    public required string DisplayName { get; set; }
    public required string OrganisationOds { get; set; }
    public List<string> Scopes { get; set; } = [];
    public bool Active { get; set; }

    /// <summary>PasswordHasher v3 hash of the secret; never the secret.</summary>
    public required string SecretHash { get; set; }
    public DateTimeOffset SecretUpdatedAt { get; set; }
    public long Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class SigningKeyRow
{
    public required string Kid { get; set; }
    public required string X { get; set; }
    public required string Y { get; set; }

    /// <summary>AES-256-GCM-encrypted PKCS#8 private key; wiped (null) when the key retires.</summary>
    public byte[]? PrivateKeyEncrypted { get; set; }
    public bool IsCurrent { get; set; }

    /// <summary>Published ahead of use; the next rotation makes it current.</summary>
    public bool IsNext { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When it became current; null while it is the next key.</summary>
    public DateTimeOffset? CurrentSince { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }

    /// <summary>When the key stops being published; null while current.</summary>
    public DateTimeOffset? NotAfter { get; set; }

    /// <summary>The RotateSigningKey request that created it, for safe retries.</summary>
    public Guid? RotationRequestId { get; set; }
}
