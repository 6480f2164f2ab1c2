namespace Lcr.Identity.Persistence;

/// <summary>
/// A person a trusted provider vouched for whom the platform could not admit (table
/// <c>federated_joiners</c>): an unknown subject, or role profiles that map to nothing or to no
/// role assignment. One row per (provider, subject), for the platform team to link or dismiss.
/// </summary>
public sealed class FederatedJoinerRow
{
    public Guid Id { get; set; }
    public required string Provider { get; set; }

    /// <summary>The <c>federated_subject</c> a linked professional gets (provider prefix + <c>sub</c>; CIS2: the UUID).</summary>
    public required string Subject { get; set; }
    public string? GivenName { get; set; }
    public string? FamilyName { get; set; }

    /// <summary>The token's role profiles at the last attempt: JSON array of {role_profile_id, org_code, role_code}.</summary>
    public required string RoleProfilesJson { get; set; }

    /// <summary>The ODS codes of <see cref="RoleProfilesJson"/>, upper case: which organisations may see the row.</summary>
    public List<string> OrganisationOds { get; set; } = [];

    /// <summary>Why the last attempt was refused (UNKNOWN_FEDERATED_SUBJECT, ROLE_NOT_MAPPED, NO_MATCHING_ROLE_ASSIGNMENT).</summary>
    public required string LastReason { get; set; }
    public DateTimeOffset FirstSeen { get; set; }
    public DateTimeOffset LastSeen { get; set; }
    public int Attempts { get; set; }

    /// <summary>1 open, 2 linked, 3 dismissed (the proto's FederatedJoinerStatus numbers).</summary>
    public int Status { get; set; }
    public Guid? LinkedProfessionalId { get; set; }

    /// <summary>The system client that linked or dismissed it last.</summary>
    public string? ResolvedBy { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public long Version { get; set; }
}
