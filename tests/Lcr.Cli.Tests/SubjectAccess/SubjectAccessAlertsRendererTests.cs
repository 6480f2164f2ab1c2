using Lcr.Cli.SubjectAccess;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.Tests.SubjectAccess;

/// <summary>Risks and alerts (FHIR Flags, as the gateway maps them) in the patient's readable copy.</summary>
public sealed class SubjectAccessAlertsRendererTests
{
    private static readonly DateTimeOffset March = new(2026, 3, 4, 10, 22, 0, TimeSpan.Zero);

    private static R4.Flag Flag(string kind, string hl7, string priority, string display)
    {
        var f = new R4.Flag
        {
            Status = R4.Flag.FlagStatus.Active,
            Code = new R4.CodeableConcept("http://snomed.info/sct", "718446003", display, display),
            Subject = new R4.ResourceReference(TestBundle.Urn("patient")),
            Period = new R4.Period { Start = "2026-01-05" },
        };
        f.Category.Add(new R4.CodeableConcept
        {
            Coding =
            [
                new R4.Coding("http://terminology.hl7.org/CodeSystem/flag-category", hl7),
                new R4.Coding("https://leeds-care-record.nhs.uk/CodeSystem/alert-kind", kind),
            ],
        });
        f.Extension.Add(new R4.Extension("http://hl7.org/fhir/StructureDefinition/flag-priority",
            new R4.CodeableConcept("http://hl7.org/fhir/flag-priority-code", priority)));
        return f;
    }

    [Fact]
    public async Task Alerts_come_first_in_each_organisations_part_with_their_kind_and_severity_in_words()
    {
        var doc = await new TestBundle()
            .Patient()
            .Organisation("org-gp", "B86001", "Beckett Street Surgery")
            .Version(new R4.Condition
            {
                Code = new R4.CodeableConcept("http://snomed.info/sct", "195967001", "Asthma", "Asthma"),
                VerificationStatus = new R4.CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
            }, "e1", 1, "org-gp", March)
            .Version(Flag("risk-to-staff", "behavioral", "PM", "Violent behaviour"), "e2", 1, "org-gp", March)
            .DocumentAsync();

        var categories = doc.QuerySelectorAll("section.category h3").Select(h => h.TextContent).ToList();
        Assert.Equal("Risks and alerts", categories[0]);
        var text = doc.Body!.TextContent;
        Assert.Contains("Risk to staff: Violent behaviour", text, StringComparison.Ordinal);
        Assert.Contains("Medium: changes how care is given", text, StringComparison.Ordinal);
        Assert.Contains("5 January 2026", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("Violent behaviour", StringComparison.Ordinal) < text.IndexOf("Asthma", StringComparison.Ordinal), "alerts before problems");
        Assert.Contains("Risks and alerts (1)", text, StringComparison.Ordinal); // the contents list counts them
    }
}
