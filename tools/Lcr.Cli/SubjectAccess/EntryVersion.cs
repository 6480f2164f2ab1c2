using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// One version of one entry as the Bundle holds it: its resource (a document's content removed,
/// see <see cref="ContentAt"/>), the Provenance that says where it came from, and its place in
/// the record's history.
/// </summary>
internal sealed record EntryVersion(R4.Resource Resource, R4.Provenance? Provenance, long? ContentAt, int ContentLength)
{
    /// <summary>The platform version (meta.versionId), 0 when absent.</summary>
    public int Number => int.TryParse(Resource.Meta?.VersionId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>True when this version is the retraction (FHIR status entered-in-error).</summary>
    public bool Retracted => Resource switch
    {
        R4.Condition c => HasCode(c.VerificationStatus, "entered-in-error"),
        R4.AllergyIntolerance a => HasCode(a.VerificationStatus, "entered-in-error"),
        R4.MedicationStatement m => m.Status == R4.MedicationStatement.MedicationStatusCodes.EnteredInError,
        R4.Observation o => o.Status == R4.ObservationStatus.EnteredInError,
        R4.DocumentReference d => d.Status == R4.DocumentReferenceStatus.EnteredInError,
        R4.Flag f => f.Status == R4.Flag.FlagStatus.EnteredInError,
        _ => false,
    };

    /// <summary>When this version was recorded on the platform.</summary>
    public DateTimeOffset? Recorded => Resource.Meta?.LastUpdated ?? Provenance?.Recorded;

    /// <summary>Marked very restricted (sensitive) by its source.</summary>
    public bool Sensitive => Resource.Meta?.Security.Any(s => s.Code == "V") == true;

    private static bool HasCode(R4.CodeableConcept? concept, string code) => concept?.Coding.Any(c => c.Code == code) == true;
}
