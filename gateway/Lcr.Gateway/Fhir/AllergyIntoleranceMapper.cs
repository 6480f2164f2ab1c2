using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>An allergy or intolerance (SNOMED CT / dm+d substance) as an AllergyIntolerance.</summary>
public static class AllergyIntoleranceMapper
{
    public static R4.AllergyIntolerance Map(Entry e, FhirMappingContext context)
    {
        var a = e.Allergy;
        var r = new R4.AllergyIntolerance
        {
            Identifier = EntryElements.Identifiers(e, context),
            Code = Concept(e.Code),
            Patient = context.Patient(),
            RecordedDate = context.Recorded(e),
            Note = EntryElements.Notes(e),
            Onset = FhirDate(a.OnsetDate) is { } onset ? new R4.FhirDateTime(onset) : null,
            Type = a.Type switch
            {
                AllergyType.Allergy => R4.AllergyIntolerance.AllergyIntoleranceType.Allergy,
                AllergyType.Intolerance => R4.AllergyIntolerance.AllergyIntoleranceType.Intolerance,
                _ => null,
            },
            Criticality = a.Criticality switch
            {
                AllergyCriticality.Low => R4.AllergyIntolerance.AllergyIntoleranceCriticality.Low,
                AllergyCriticality.High => R4.AllergyIntolerance.AllergyIntoleranceCriticality.High,
                AllergyCriticality.UnableToAssess => R4.AllergyIntolerance.AllergyIntoleranceCriticality.UnableToAssess,
                _ => null,
            },
        };
        if (e.EnteredInError)
        {
            // FHIR: no clinical status on an entry entered in error (ait-2).
            r.VerificationStatus = new R4.CodeableConcept(FhirSystems.AllergyVerification, "entered-in-error", "Entered in Error");
        }
        else
        {
            r.VerificationStatus = a.VerificationStatus switch
            {
                AllergyVerificationStatus.Unconfirmed => new R4.CodeableConcept(FhirSystems.AllergyVerification, "unconfirmed", "Unconfirmed"),
                AllergyVerificationStatus.Refuted => new R4.CodeableConcept(FhirSystems.AllergyVerification, "refuted", "Refuted"),
                _ => new R4.CodeableConcept(FhirSystems.AllergyVerification, "confirmed", "Confirmed"),
            };
            r.ClinicalStatus = a.VerificationStatus == AllergyVerificationStatus.Refuted
                ? new R4.CodeableConcept(FhirSystems.AllergyClinical, "inactive", "Inactive")
                : new R4.CodeableConcept(FhirSystems.AllergyClinical, "active", "Active");
        }

        if (a.Reactions.Count > 0)
        {
            r.Reaction.Add(new R4.AllergyIntolerance.ReactionComponent
            {
                Manifestation = a.Reactions.Select(Concept).ToList(),
                Severity = a.Severity switch
                {
                    AllergySeverity.Mild => R4.AllergyIntolerance.AllergyIntoleranceSeverity.Mild,
                    AllergySeverity.Moderate => R4.AllergyIntolerance.AllergyIntoleranceSeverity.Moderate,
                    AllergySeverity.Severe => R4.AllergyIntolerance.AllergyIntoleranceSeverity.Severe,
                    _ => null,
                },
            });
        }

        r.Text = new FhirNarrative("Allergy or intolerance: " + Text(e.Code))
            .Row("Type", r.Type?.ToString())
            .Row("Clinical status", r.ClinicalStatus?.Coding[0].Display)
            .Row("Verification", r.VerificationStatus?.Coding[0].Display)
            .Row("Criticality", r.Criticality?.ToString())
            .Row("Reactions", string.Join(", ", a.Reactions.Select(x => Text(x))))
            .Row("Severity", r.Reaction.FirstOrDefault()?.Severity?.ToString())
            .Row("Onset", FhirDate(a.OnsetDate))
            .Source(e)
            .Build();
        return r;
    }
}
