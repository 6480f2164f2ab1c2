using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// A risk or alert as a Flag: status (active, inactive, entered-in-error); category, the kind twice
/// (HL7's flag-category where it fits, and the platform's exact kind in <see cref="FhirSystems.AlertKind"/>);
/// code, the entry's SNOMED CT concept (or, for a role that sees the kind only, a concept with
/// the kind as text and no coding); period; author, the source organisation; subject, the patient;
/// severity as the R4 core <c>flag-priority</c> extension (PL, PM, PH). Flag has no note: a
/// comment is in the narrative only.
/// </summary>
public static class FlagMapper
{
    public static R4.Flag Map(Entry e, FhirMappingContext context)
    {
        var a = e.Alert ?? new Alert();
        var kindOnly = e.Code is null || string.IsNullOrEmpty(e.Code.Code);
        var f = new R4.Flag
        {
            Identifier = EntryElements.Identifiers(e, context),
            Status = e.EnteredInError ? R4.Flag.FlagStatus.EnteredInError
                : a.Status == AlertStatus.Inactive || e.Status == EntryStatus.Inactive ? R4.Flag.FlagStatus.Inactive
                : R4.Flag.FlagStatus.Active,
            Code = kindOnly ? new R4.CodeableConcept { Text = KindText(a.Kind) + " (details withheld)" } : Concept(e.Code!),
            Subject = context.Patient(),
            Author = context.Organisation(e.Provenance?.SourceOrganisation),
        };
        var category = new R4.CodeableConcept { Text = KindText(a.Kind) };
        if (Hl7Category(a.Kind) is var (code, display))
        {
            category.Coding.Add(new R4.Coding(FhirSystems.FlagCategory, code, display));
        }

        if (KindCode(a.Kind) is { } kind)
        {
            category.Coding.Add(new R4.Coding(FhirSystems.AlertKind, kind, KindText(a.Kind)));
        }

        f.Category.Add(category);
        var (start, end) = (FhirDate(a.StartDate), FhirDate(a.EndDate));
        if (start is not null || end is not null)
        {
            f.Period = new R4.Period { Start = start, End = end };
        }

        if (Priority(a.Severity) is var (priority, words))
        {
            f.Extension.Add(new R4.Extension(FhirSystems.FlagPriorityExtension, new R4.CodeableConcept(FhirSystems.FlagPriorityCode, priority, words)));
        }

        f.Text = new FhirNarrative((kindOnly ? "Risk or alert: " : "Risk or alert: " + Text(e.Code) + " - ") + KindText(a.Kind))
            .Row("Kind", KindText(a.Kind))
            .Row("Severity", SeverityText(a.Severity))
            .Row("Status", f.Status is { } status ? Describe(status) : null)
            .Row("From", start)
            .Row("Until", end)
            .Row("Details", kindOnly ? "Withheld: your role sees only that this alert exists and its kind." : null)
            .Source(e)
            .Build();
        return f;
    }

    /// <summary>The kind in words, as every output says it.</summary>
    public static string KindText(AlertKind kind) => kind switch
    {
        AlertKind.RiskToSelf => "Risk to self",
        AlertKind.RiskToOthers => "Risk to others",
        AlertKind.RiskToStaff => "Risk to staff",
        AlertKind.Safeguarding => "Safeguarding",
        AlertKind.Clinical => "Clinical alert",
        _ => "Alert",
    };

    public static string SeverityText(AlertSeverity severity) => severity switch
    {
        AlertSeverity.High => "High",
        AlertSeverity.Medium => "Medium",
        AlertSeverity.Low => "Low",
        _ => string.Empty,
    };

    /// <summary>The code of the kind in <see cref="FhirSystems.AlertKind"/>.</summary>
    public static string? KindCode(AlertKind kind) => kind switch
    {
        AlertKind.RiskToSelf => "risk-to-self",
        AlertKind.RiskToOthers => "risk-to-others",
        AlertKind.RiskToStaff => "risk-to-staff",
        AlertKind.Safeguarding => "safeguarding",
        AlertKind.Clinical => "clinical",
        _ => null,
    };

    /// <summary>
    /// The nearest HL7 flag-category: risks to the patient or from them to others, and
    /// safeguarding, are safety precautions; a risk to staff is about behaviour; a clinical alert is clinical.
    /// </summary>
    private static (string Code, string Display)? Hl7Category(AlertKind kind) => kind switch
    {
        AlertKind.RiskToSelf or AlertKind.RiskToOthers or AlertKind.Safeguarding => ("safety", "Safety"),
        AlertKind.RiskToStaff => ("behavioral", "Behavioral"),
        AlertKind.Clinical => ("clinical", "Clinical"),
        _ => null,
    };

    private static (string Code, string Display)? Priority(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Low => ("PL", "Low priority"),
        AlertSeverity.Medium => ("PM", "Medium priority"),
        AlertSeverity.High => ("PH", "High priority"),
        _ => null,
    };
}
