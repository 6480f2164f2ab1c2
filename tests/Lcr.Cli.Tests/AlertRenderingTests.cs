using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;
using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>Risks and alerts in <c>lcr record</c> and <c>lcr entries</c>, rendered on an 80-column terminal.</summary>
public sealed class AlertRenderingTests
{
    private static Entry Alert(string id, AlertKind kind, AlertSeverity severity, string? display, string comment, string ods, string name) => new()
    {
        Id = id,
        Category = RecordCategory.RisksAndAlerts,
        Status = EntryStatus.Active,
        Code = display is null ? null : new CodedConcept { System = "http://snomed.info/sct", Code = "718446003", Display = display },
        Comment = display is null ? string.Empty : comment,
        Provenance = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = ods, DisplayName = name } },
        Alert = new Alert { Kind = kind, Severity = severity, Status = AlertStatus.Active, StartDate = new Date { Year = 2026, Month = 1, Day = 5 } },
    };

    private static GetPatientRecordResponse Record(bool kindOnly)
    {
        var r = new GetPatientRecordResponse
        {
            Patient = new Patient
            {
                NhsNumber = "9990000018",
                Name = new HumanName { Prefix = "Ms", Given = { "Amelia" }, Family = "Hart" },
                BirthDate = new Date { Year = 1961, Month = 3, Day = 14 },
            },
            ReturnedCategories = { RecordCategory.Demographics, RecordCategory.Problems, RecordCategory.RisksAndAlerts },
            AlertDetailsWithheld = kindOnly,
            AuditEventId = "4d1b7c2e-0000-4000-8000-000000000001",
        };
        // Deliberately not in severity order: the CLI shows the highest first whatever it is given.
        r.Alerts.Add(Alert("a-low", AlertKind.RiskToSelf, AlertSeverity.Low, kindOnly ? null : "At risk of falls", "Bed rails", "RY6", "Leeds Community Healthcare"));
        r.Alerts.Add(Alert("a-high", AlertKind.Clinical, AlertSeverity.High, kindOnly ? null : "Difficult airway", "Call the anaesthetist", "RR8", "Leeds Teaching Hospitals"));
        r.Alerts.Add(Alert("a-med", AlertKind.RiskToStaff, AlertSeverity.Medium, kindOnly ? null : "Violent behaviour", "Do not visit alone", "B86001", "Beckett Street Surgery"));
        r.ActiveProblems.Add(new Entry { Id = "p1", Category = RecordCategory.Problems, Code = new CodedConcept { Display = "Asthma" } });
        return r;
    }

    private static string Render(GetPatientRecordResponse r)
    {
        var console = new TestConsole().Width(80);
        RecordView.Render(console, r);
        return console.Output;
    }

    [Fact]
    public void The_record_starts_with_an_alerts_block_highest_severity_first_with_kind_in_words_and_source()
    {
        var text = Render(Record(kindOnly: false));
        var lines = text.Split('\n');
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"wider than 80 columns: {l}"));

        Assert.Contains("ALERTS (3)", lines[0] + lines.ElementAtOrDefault(1));
        var alerts = text.IndexOf("ALERTS", StringComparison.Ordinal);
        Assert.True(alerts < text.IndexOf("Amelia Hart", StringComparison.Ordinal), "alerts before the patient");
        Assert.True(alerts < text.IndexOf("Asthma", StringComparison.Ordinal), "alerts before every other section");

        var high = text.IndexOf("HIGH", StringComparison.Ordinal);
        var medium = text.IndexOf("medium", StringComparison.Ordinal);
        var low = text.IndexOf("low", StringComparison.Ordinal);
        Assert.True(high >= 0 && high < medium && medium < low, "highest severity first");
        Assert.Contains("Clinical alert", text);
        Assert.Contains("Risk to staff", text);
        Assert.Contains("Risk to self", text);
        Assert.Contains("Difficult airway", text);
        Assert.Contains("Call the", text);
        Assert.Contains("(RR8)", text);
        Assert.DoesNotContain("kind only", text);
    }

    [Fact]
    public void A_kind_only_view_says_kind_only_instead_of_the_alert()
    {
        var text = Render(Record(kindOnly: true));
        Assert.All(text.Split('\n'), l => Assert.True(l.TrimEnd().Length <= 80, $"wider than 80 columns: {l}"));
        Assert.Contains("kind only", text);
        Assert.Contains("Kind only: your role sees that each alert exists and its kind", text);
        Assert.Contains("Risk to staff", text);
        Assert.Contains("HIGH", text);
        Assert.DoesNotContain("Difficult airway", text);
    }

    [Fact]
    public void No_alerts_says_none_recorded_and_a_role_without_the_category_shows_no_block()
    {
        var none = Record(kindOnly: false);
        none.Alerts.Clear();
        Assert.Contains("ALERTS: none recorded", Render(none));

        var without = Record(kindOnly: false);
        without.Alerts.Clear();
        without.ReturnedCategories.Remove(RecordCategory.RisksAndAlerts);
        Assert.DoesNotContain("ALERTS", Render(without));
    }

    [Fact]
    public void An_alerts_listing_has_its_own_columns_at_80_columns()
    {
        var console = new TestConsole().Width(80);
        var record = Record(kindOnly: false);
        RecordView.Entries($"{RecordView.CategoryTitle(RecordCategory.RisksAndAlerts)} (3)", RecordCategory.RisksAndAlerts, record.Alerts).Write(console);
        var text = console.Output;
        Assert.All(text.Split('\n'), l => Assert.True(l.TrimEnd().Length <= 80, $"wider than 80 columns: {l}"));
        Assert.Contains("Risks and alerts (3)", text);
        Assert.Contains("Severity", text);
        Assert.Contains("Clinical", text); // the entry id column (whole) leaves the alert's words fewer columns
        Assert.Contains("Difficult", text);
        Assert.Contains("since", text);
        Assert.Contains("RR8", text);
        Assert.Equal(RecordCategory.RisksAndAlerts, Parsing.Enum<RecordCategory>("risks-and-alerts", "--category"));
    }
}
