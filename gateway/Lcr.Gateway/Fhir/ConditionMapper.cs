using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>A problem or diagnosis (SNOMED CT) as a problem-list Condition.</summary>
public static class ConditionMapper
{
    public static R4.Condition Map(Entry e, FhirMappingContext context)
    {
        var p = e.Problem;
        var c = new R4.Condition
        {
            Identifier = EntryElements.Identifiers(e, context),
            Code = Concept(e.Code),
            Subject = context.Patient(),
            RecordedDate = context.Recorded(e),
            Note = EntryElements.Notes(e),
            Onset = FhirDate(p.OnsetDate) is { } onset ? new R4.FhirDateTime(onset) : null,
        };
        c.Category.Add(new R4.CodeableConcept(FhirSystems.ConditionCategory, "problem-list-item", "Problem List Item"));
        if (e.EnteredInError)
        {
            // FHIR: no clinical status (con-5) and so no abatement (con-4) on an entry entered in error.
            c.VerificationStatus = new R4.CodeableConcept(FhirSystems.ConditionVerification, "entered-in-error", "Entered in Error");
        }
        else
        {
            c.VerificationStatus = new R4.CodeableConcept(FhirSystems.ConditionVerification, "confirmed", "Confirmed");
            c.ClinicalStatus = p.ClinicalStatus switch
            {
                ProblemClinicalStatus.Resolved => new R4.CodeableConcept(FhirSystems.ConditionClinical, "resolved", "Resolved"),
                ProblemClinicalStatus.Inactive => new R4.CodeableConcept(FhirSystems.ConditionClinical, "inactive", "Inactive"),
                _ => new R4.CodeableConcept(FhirSystems.ConditionClinical, "active", "Active"),
            };
            if (p.ClinicalStatus != ProblemClinicalStatus.Active && FhirDate(p.ResolutionDate) is { } resolved)
            {
                c.Abatement = new R4.FhirDateTime(resolved);
            }
        }

        c.Severity = p.Severity switch
        {
            ProblemSeverity.Mild => new R4.CodeableConcept(FhirSystems.Snomed, "255604002", "Mild"),
            ProblemSeverity.Moderate => new R4.CodeableConcept(FhirSystems.Snomed, "6736007", "Moderate"),
            ProblemSeverity.Severe => new R4.CodeableConcept(FhirSystems.Snomed, "24484000", "Severe"),
            _ => null,
        };
        c.Text = new FhirNarrative("Problem: " + Text(e.Code))
            .Row("Clinical status", c.ClinicalStatus?.Coding[0].Display)
            .Row("Severity", c.Severity?.Coding[0].Display)
            .Row("Onset", FhirDate(p.OnsetDate))
            .Row("Resolved", (c.Abatement as R4.FhirDateTime)?.Value)
            .Source(e)
            .Build();
        return c;
    }
}
