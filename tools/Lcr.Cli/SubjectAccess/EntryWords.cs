using System.Globalization;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// What one version of an entry says, in plain words: a title and labelled details, from the
/// resource's structured elements (never its narrative). Pure: the renderer escapes every value.
/// </summary>
internal static class EntryWords
{
    public static string CategoryTitle(EntryCategory category) => category switch
    {
        EntryCategory.Alerts => "Risks and alerts",
        EntryCategory.Problems => "Health problems and diagnoses",
        EntryCategory.Medications => "Medicines",
        EntryCategory.Allergies => "Allergies and intolerances",
        EntryCategory.TestResults => "Test results",
        _ => "Letters and documents",
    };

    public static string Title(R4.Resource resource) => resource switch
    {
        R4.Condition c => Concept(c.Code),
        R4.MedicationStatement m => Concept(m.Medication as R4.CodeableConcept),
        R4.AllergyIntolerance a => Concept(a.Code),
        R4.Observation o => Concept(o.Code),
        R4.DocumentReference d => d.Description ?? d.Content.FirstOrDefault()?.Attachment?.Title ?? Concept(d.Type),
        R4.Flag f => (AlertKind(f) is { } kind ? kind + ": " : string.Empty) + (Concept(f.Code) ?? "(no name recorded)"),
        _ => "Entry",
    } ?? "(no name recorded)";

    /// <summary>The details of one version, label and value, in reading order; absent elements are left out.</summary>
    public static List<(string Label, string Value)> Details(R4.Resource resource)
    {
        var rows = new List<(string, string)>();
        void Add(string label, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                rows.Add((label, value));
            }
        }

        switch (resource)
        {
            case R4.Condition c:
                Add("Status", Code(c.ClinicalStatus) switch { "active" => "Current", "resolved" => "Resolved", "inactive" => "Inactive", _ => null });
                Add("Started", UkDates.FromFhir((c.Onset as R4.FhirDateTime)?.Value));
                Add("Ended", UkDates.FromFhir((c.Abatement as R4.FhirDateTime)?.Value));
                Add("Severity", Concept(c.Severity));
                break;
            case R4.MedicationStatement m:
                Add("Status", m.Status switch
                {
                    R4.MedicationStatement.MedicationStatusCodes.Active => "Being taken",
                    R4.MedicationStatement.MedicationStatusCodes.Stopped => "Stopped",
                    R4.MedicationStatement.MedicationStatusCodes.Completed => "Course finished",
                    _ => null,
                });
                Add("Dose", m.Dosage.FirstOrDefault()?.Text);
                Add("How it is taken", Concept(m.Dosage.FirstOrDefault()?.Route));
                Add("Started", UkDates.FromFhir((m.Effective as R4.Period)?.Start));
                Add("Stopped", UkDates.FromFhir((m.Effective as R4.Period)?.End));
                Add("Prescribed by", string.Join("; ", m.DerivedFrom.Select(r => r.Display?.Replace("Prescribed by ", string.Empty, StringComparison.Ordinal)).Where(d => d is not null)));
                break;
            case R4.AllergyIntolerance a:
                Add("Kind", a.Type switch
                {
                    R4.AllergyIntolerance.AllergyIntoleranceType.Allergy => "Allergy",
                    R4.AllergyIntolerance.AllergyIntoleranceType.Intolerance => "Intolerance",
                    _ => null,
                });
                Add("Reaction", string.Join(", ", a.Reaction.SelectMany(r => r.Manifestation).Select(Concept).Where(x => x is not null)));
                Add("How bad the reaction was", a.Reaction.Select(r => r.Severity).FirstOrDefault(s => s is not null) switch
                {
                    R4.AllergyIntolerance.AllergyIntoleranceSeverity.Mild => "Mild",
                    R4.AllergyIntolerance.AllergyIntoleranceSeverity.Moderate => "Moderate",
                    R4.AllergyIntolerance.AllergyIntoleranceSeverity.Severe => "Severe",
                    _ => null,
                });
                Add("Risk of a serious reaction", a.Criticality switch
                {
                    R4.AllergyIntolerance.AllergyIntoleranceCriticality.Low => "Low",
                    R4.AllergyIntolerance.AllergyIntoleranceCriticality.High => "High",
                    R4.AllergyIntolerance.AllergyIntoleranceCriticality.UnableToAssess => "Not known",
                    _ => null,
                });
                Add("Confirmed?", Code(a.VerificationStatus) switch
                {
                    "confirmed" => "Confirmed",
                    "unconfirmed" => "Not confirmed",
                    "refuted" => "Ruled out",
                    _ => null,
                });
                Add("Started", UkDates.FromFhir((a.Onset as R4.FhirDateTime)?.Value));
                break;
            case R4.Observation o:
                Add("Result", Value(o.Value));
                Add("Normal range", string.Join("; ", o.ReferenceRange.Select(Range).Where(r => r is not null)));
                Add("Meaning", string.Join(", ", o.Interpretation.Select(Concept).Where(x => x is not null)));
                Add("Sample taken", UkDates.FromFhir((o.Effective as R4.FhirDateTime)?.Value));
                Add("Reported", o.Issued is { } issued ? UkDates.Moment(issued) : null);
                Add("Status", o.Status switch
                {
                    R4.ObservationStatus.Preliminary => "Preliminary (not yet final)",
                    R4.ObservationStatus.Amended => "Amended",
                    R4.ObservationStatus.Cancelled => "Cancelled",
                    R4.ObservationStatus.Final => "Final",
                    _ => null,
                });
                break;
            case R4.Flag f:
                Add("Kind of alert", AlertKind(f));
                Add("How serious", Code(f.Extension.FirstOrDefault(x => x.Url == FlagPriorityExtension)?.Value as R4.CodeableConcept) switch
                {
                    "PH" => "High: must be acted on before care is given",
                    "PM" => "Medium: changes how care is given",
                    "PL" => "Low: worth knowing",
                    _ => null,
                });
                Add("Status", f.Status switch { R4.Flag.FlagStatus.Active => "Applies", R4.Flag.FlagStatus.Inactive => "No longer applies", _ => null });
                Add("From", UkDates.FromFhir(f.Period?.Start));
                Add("Until", UkDates.FromFhir(f.Period?.End));
                break;
            case R4.DocumentReference d:
                Add("Kind of document", d.Category.Select(Concept).FirstOrDefault(x => x is not null) ?? Concept(d.Type));
                Add("Written", d.Date is { } date ? UkDates.Moment(date) : null);
                Add("Written by", string.Join("; ", d.Author.Select(r => r.Display).Where(x => !string.IsNullOrEmpty(x))));
                break;
        }

        foreach (var note in Notes(resource))
        {
            Add("Note", note);
        }

        return rows;
    }

    private static IEnumerable<string> Notes(R4.Resource resource) => (resource switch
    {
        R4.Condition c => c.Note,
        R4.MedicationStatement m => m.Note,
        R4.AllergyIntolerance a => a.Note,
        R4.Observation o => o.Note,
        _ => [],
    }).Select(n => n.Text).OfType<string>().Where(t => t.Length > 0);

    /// <summary>The R4 core extension the gateway writes a Flag's severity in.</summary>
    private const string FlagPriorityExtension = "http://hl7.org/fhir/StructureDefinition/flag-priority";

    /// <summary>The platform's alert-kind code system (the gateway's FhirSystems.AlertKind).</summary>
    private const string AlertKindSystem = "https://leeds-care-record.nhs.uk/CodeSystem/alert-kind";

    /// <summary>An alert's kind in words, from the platform's own code (the HL7 category is coarser).</summary>
    public static string? AlertKind(R4.Flag f) =>
        f.Category.SelectMany(c => c.Coding).FirstOrDefault(c => c.System == AlertKindSystem)?.Code switch
        {
            "risk-to-self" => "Risk to self",
            "risk-to-others" => "Risk to others",
            "risk-to-staff" => "Risk to staff",
            "safeguarding" => "Safeguarding",
            "clinical" => "Clinical alert",
            _ => f.Category.Select(Concept).FirstOrDefault(x => x is not null),
        };

    public static string? Concept(R4.CodeableConcept? concept) =>
        concept is null ? null : concept.Text ?? concept.Coding.Select(c => c.Display ?? c.Code).FirstOrDefault(x => !string.IsNullOrEmpty(x));

    private static string? Code(R4.CodeableConcept? concept) => concept?.Coding.FirstOrDefault()?.Code;

    private static string? Value(R4.DataType? value) => value switch
    {
        R4.Quantity q => Quantity(q, withComparator: true),
        R4.FhirString s => s.Value,
        _ => null,
    };

    private static string? Range(R4.Observation.ReferenceRangeComponent r)
    {
        if (r.Low is not null || r.High is not null)
        {
            var low = r.Low is null ? null : Quantity(r.Low, withComparator: false);
            var high = r.High is null ? null : Quantity(r.High, withComparator: false);
            return low is not null && high is not null ? $"{low} to {high}" : low is not null ? $"at least {low}" : $"up to {high}";
        }

        return r.Text;
    }

    private static string Quantity(R4.Quantity q, bool withComparator)
    {
        var comparator = !withComparator ? string.Empty : q.Comparator switch
        {
            R4.Quantity.QuantityComparator.LessThan => "less than ",
            R4.Quantity.QuantityComparator.LessOrEqual => "at most ",
            R4.Quantity.QuantityComparator.GreaterOrEqual => "at least ",
            R4.Quantity.QuantityComparator.GreaterThan => "more than ",
            _ => string.Empty,
        };
        var value = q.Value?.ToString(CultureInfo.InvariantCulture) ?? "?";
        return (comparator + value + (string.IsNullOrEmpty(q.Unit) ? string.Empty : " " + q.Unit)).Trim();
    }
}
