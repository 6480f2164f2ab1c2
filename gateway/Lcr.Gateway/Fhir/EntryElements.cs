using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>Elements every entry's resource carries: its identifiers, notes and the narrative rows about its source.</summary>
public static class EntryElements
{
    /// <summary>The platform entry id and the source system's own id (assigned by the source organisation).</summary>
    public static List<R4.Identifier> Identifiers(Entry e, FhirMappingContext context) =>
    [
        new R4.Identifier(FhirSystems.EntryId, e.Id),
        new R4.Identifier(FhirSystems.SourceEntryId, e.Provenance?.SourceEntryId ?? string.Empty) { Assigner = context.Organisation(e.Provenance?.SourceOrganisation) },
    ];

    public static List<R4.Annotation> Notes(Entry e)
    {
        var notes = new List<R4.Annotation>();
        if (!string.IsNullOrEmpty(e.Comment))
        {
            notes.Add(new R4.Annotation { Text = e.Comment });
        }

        if (e.EnteredInError)
        {
            notes.Add(new R4.Annotation { Text = RetractionText(e) });
        }

        return notes;
    }

    public static string RetractionText(Entry e) =>
        "Retracted as entered in error" + (string.IsNullOrEmpty(e.RetractionReason) ? "." : ": " + e.RetractionReason);

    /// <summary>The rows every entry's narrative ends with: comment, retraction, source and version.</summary>
    public static FhirNarrative Source(this FhirNarrative narrative, Entry e)
    {
        var org = e.Provenance?.SourceOrganisation;
        return narrative
            .Row("Comment", e.Comment)
            .Row("Status", e.EnteredInError ? RetractionText(e) : null)
            .Row("Recorded by", org is null ? null : (org.DisplayName is { Length: > 0 } d ? d + " " : string.Empty) + "(" + org.OdsCode + ")")
            .Row("Recorded", FhirValues.Text(e.Provenance?.RecordedTime?.ToDateTimeOffset()))
            .Row("Version", e.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
