namespace Lcr.Security;

/// <summary>
/// The scopes a system client may hold: the one definition identity validates client
/// registrations against (<see cref="Known"/>) and every service's policies check.
/// </summary>
public static class Scopes
{
    public const string RecordContribute = "record.contribute";
    public const string DemographicsWrite = "demographics.write";

    /// <summary>Report and withdraw supersessions of NHS numbers (merges), as a PDS-like demographics feed does.</summary>
    public const string DemographicsMerge = "demographics.merge";
    public const string RelationshipsWrite = "relationships.write";
    public const string RelationshipsRead = "relationships.read";
    public const string ConsentWrite = "consent.write";
    public const string ConsentRead = "consent.read";
    public const string AuditRead = "audit.read";
    public const string AuditReview = "audit.review";
    public const string IdentityAdmin = "identity.admin";
    public const string KeysRotate = "identity.keys.rotate";

    /// <summary>Every scope identity issues; a client registration naming any other is refused.</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        RecordContribute, DemographicsWrite, DemographicsMerge, RelationshipsWrite, RelationshipsRead, ConsentWrite, ConsentRead,
        AuditRead, AuditReview, IdentityAdmin, KeysRotate,
    };
}
