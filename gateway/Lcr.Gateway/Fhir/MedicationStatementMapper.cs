using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>A medication (dm+d, in the SNOMED CT system) as a MedicationStatement.</summary>
public static class MedicationStatementMapper
{
    public static R4.MedicationStatement Map(Entry e, FhirMappingContext context)
    {
        var m = e.Medication;
        var s = new R4.MedicationStatement
        {
            Identifier = EntryElements.Identifiers(e, context),
            Status = e.EnteredInError ? R4.MedicationStatement.MedicationStatusCodes.EnteredInError : m.Status switch
            {
                MedicationStatus.Stopped => R4.MedicationStatement.MedicationStatusCodes.Stopped,
                MedicationStatus.Completed => R4.MedicationStatement.MedicationStatusCodes.Completed,
                _ => R4.MedicationStatement.MedicationStatusCodes.Active,
            },
            Medication = Concept(e.Code),
            Subject = context.Patient(),
            DateAsserted = context.Recorded(e),
            InformationSource = context.Organisation(e.Provenance?.SourceOrganisation),
            Note = EntryElements.Notes(e),
        };
        var start = FhirDate(m.StartDate);
        var end = FhirDate(m.EndDate);
        if (start is not null || end is not null)
        {
            s.Effective = new R4.Period { Start = start, End = end };
        }

        var dosage = new R4.Dosage { Text = string.Join(", ", new[] { m.DoseText, m.FrequencyText }.Where(x => !string.IsNullOrEmpty(x))) };
        if (m.Route is { Code.Length: > 0 } route)
        {
            dosage.Route = Concept(route);
        }

        s.Dosage.Add(dosage);
        string? prescribedBy = null;
        if (m.PrescribingOrganisation is { OdsCode.Length: > 0 } prescriber)
        {
            prescribedBy = prescriber.DisplayName is { Length: > 0 } n ? n : prescriber.OdsCode;
            s.DerivedFrom.Add(new R4.ResourceReference { Display = "Prescribed by " + prescribedBy });
        }

        s.Text = new FhirNarrative("Medication: " + Text(e.Code))
            .Row("Status", e.EnteredInError ? null : s.Status?.ToString())
            .Row("Dose", dosage.Text)
            .Row("Route", m.Route is null ? null : Text(m.Route))
            .Row("Started", start)
            .Row("Ended", end)
            .Row("Prescribed by", prescribedBy)
            .Source(e)
            .Build();
        return s;
    }
}
