using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Demographics.V1;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>Everything one subject access export holds, as the platform's services returned it.</summary>
/// <param name="BundleId">The Bundle's id (a UUID).</param>
/// <param name="CreatedAt">When the export was assembled.</param>
/// <param name="NhsNumber">The patient.</param>
/// <param name="OrganisationOdsCode">The organisation whose part is exported; null for the whole record.</param>
/// <param name="Patient">The demographics as held; null when the platform holds none.</param>
/// <param name="Entries">Every entry in scope, with all its versions.</param>
/// <param name="AccessLog">The patient's audit trail, newest first; empty when <see cref="AccessLogWithheld"/>.</param>
public sealed record SubjectAccessData(
    string BundleId,
    DateTimeOffset CreatedAt,
    string NhsNumber,
    string? OrganisationOdsCode,
    Patient? Patient,
    IReadOnlyList<EntryWithHistory> Entries,
    IReadOnlyList<AuditEvent> AccessLog)
{
    /// <summary>
    /// True while an IG officer holds the patient's access log for enhanced review: the export
    /// leaves it out and says so (<see cref="FhirBundleBuilder.AccessLogWithheld"/>).
    /// </summary>
    public bool AccessLogWithheld { get; init; }
}

/// <summary>
/// One entry: its current version and every version (newest first, the current one included).
/// A document's content is not held here: it is fetched while the Bundle is written.
/// </summary>
public sealed record EntryWithHistory(Entry Current, IReadOnlyList<Entry> Versions);
