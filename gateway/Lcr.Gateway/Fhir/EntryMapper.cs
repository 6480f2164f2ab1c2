using Lcr.Clinical.V1;
using Lcr.Common.V1;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>One version of an entry as the resource of its category, with id, meta (version, time, security) and narrative.</summary>
public static class EntryMapper
{
    /// <summary>The FHIR resource type of an entry's category.</summary>
    public static string TypeName(Entry e) => TypeName(e.Category);

    public static string TypeName(RecordCategory category) => category switch
    {
        RecordCategory.Problems => "Condition",
        RecordCategory.Medications => "MedicationStatement",
        RecordCategory.Allergies => "AllergyIntolerance",
        RecordCategory.TestResults => "Observation",
        RecordCategory.Documents => "DocumentReference",
        RecordCategory.RisksAndAlerts => "Flag",
        _ => "Basic",
    };

    /// <summary>Null for an entry of no clinical category.</summary>
    /// <param name="contentUrl">For a current document served by the API: where its content is.</param>
    public static R4.DomainResource? Map(Entry e, FhirMappingContext context, bool isCurrent = true, string? contentUrl = null)
    {
        R4.DomainResource? resource = e.DetailCase switch
        {
            Entry.DetailOneofCase.Problem => ConditionMapper.Map(e, context),
            Entry.DetailOneofCase.Medication => MedicationStatementMapper.Map(e, context),
            Entry.DetailOneofCase.Allergy => AllergyIntoleranceMapper.Map(e, context),
            Entry.DetailOneofCase.TestResult => ObservationMapper.Map(e, context),
            Entry.DetailOneofCase.Document => DocumentReferenceMapper.Map(e, context, isCurrent, contentUrl),
            Entry.DetailOneofCase.Alert => FlagMapper.Map(e, context),
            _ => null,
        };
        if (resource is null)
        {
            return null;
        }

        resource.Id = context.EntryResourceId(e);
        resource.Meta = context.Meta(e.Version, e.Provenance?.RecordedTime?.ToDateTimeOffset());
        if (e.Sensitivity == Sensitivity.Sensitive)
        {
            // Kept out of the shared view unless the patient released it; the patient's own copy includes it.
            resource.Meta.Security.Add(new R4.Coding(FhirSystems.Confidentiality, "V", "very restricted"));
        }

        return resource;
    }
}
