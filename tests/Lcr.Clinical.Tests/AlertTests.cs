using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Tests;

/// <summary>Issue 21: the risks-and-alerts category in the clinical record service.</summary>
public class AlertTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    private ClinicalRecordService.ClinicalRecordServiceClient Client => host.Client;

    [Fact]
    public async Task Alert_kind_severity_and_status_are_required_and_the_end_is_not_before_the_start()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var noKind = Make.Alert(nhs, "al-kind", kind: AlertKind.Unspecified);
        var noSeverity = Make.Alert(nhs, "al-severity", severity: AlertSeverity.Unspecified);
        var noStatus = Make.Alert(nhs, "al-status", status: AlertStatus.Unspecified);
        var endBeforeStart = Make.Alert(nhs, "al-dates", start: Make.Date(2025, 5, 1), end: Make.Date(2025, 4, 30));
        var noDetail = Make.Alert(nhs, "al-nodetail");
        noDetail.Entry.ClearDetail();
        var wrongCategory = Make.Alert(nhs, "al-category");
        wrongCategory.Entry.Category = RecordCategory.Problems;
        var alertCategoryProblemDetail = Make.Problem(nhs, "p-as-alert");
        alertCategoryProblemDetail.Entry.Category = RecordCategory.RisksAndAlerts;
        var badEnd = Make.Alert(nhs, "al-badend", end: Make.Date(2025, 2, 30));
        var undefinedKind = Make.Alert(nhs, "al-undefined", kind: (AlertKind)99);

        await RpcAssert.InvalidFields(() => host.ContributeAsync("RR8",
                Make.Alert(nhs, "al-good"), noKind, noSeverity, noStatus, endBeforeStart, noDetail, wrongCategory, alertCategoryProblemDetail, badEnd,
                undefinedKind),
            "entries[1].entry.alert.kind", "entries[2].entry.alert.severity", "entries[3].entry.alert.status", "entries[4].entry.alert.end_date",
            "entries[5].entry.alert", "entries[6].entry.category", "entries[7].entry.category", "entries[8].entry.alert.end_date",
            "entries[9].entry.alert.kind");
        Assert.Equal(0L, await host.CountAsync("entries", nhs));
    }

    [Fact]
    public async Task An_alert_is_active_until_its_end_date_has_passed_in_london_and_starts_at_its_start_date()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var results = (await host.ContributeAsync("RR8",
            Make.Alert(nhs, "open"),
            Make.Alert(nhs, "ended-yesterday", start: Make.Date(2024, 1, 1), end: Make.LondonDay(-1)),
            Make.Alert(nhs, "ends-today", end: Make.LondonDay()),
            Make.Alert(nhs, "ends-tomorrow", end: Make.LondonDay(1)),
            Make.Alert(nhs, "inactive", status: AlertStatus.Inactive))).Results;
        var ids = results.ToDictionary(r => r.SourceEntryId.Split('/')[1], r => r.EntryId);

        async Task<EntryStatus> Status(string name) =>
            (await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = nhs, EntryId = ids[name] })).Entry.Status;

        Assert.Equal(EntryStatus.Active, await Status("open"));
        Assert.Equal(EntryStatus.Inactive, await Status("ended-yesterday"));
        Assert.Equal(EntryStatus.Active, await Status("ends-today"));
        Assert.Equal(EntryStatus.Active, await Status("ends-tomorrow"));
        Assert.Equal(EntryStatus.Inactive, await Status("inactive"));

        var active = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, Statuses = { EntryStatus.Active } });
        Assert.Equal(new[] { ids["open"], ids["ends-today"], ids["ends-tomorrow"] }.Order(), active.Entries.Select(e => e.Id).Order());
        var inactive = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, Statuses = { EntryStatus.Inactive } });
        Assert.Equal(new[] { ids["ended-yesterday"], ids["inactive"] }.Order(), inactive.Entries.Select(e => e.Id).Order());

        // clinical_time is the start date at 00:00 Europe/London (2024-02-01 is GMT).
        var open = (await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = nhs, EntryId = ids["open"] })).Entry;
        Assert.Equal(new DateTimeOffset(2024, 2, 1, 0, 0, 0, TimeSpan.Zero), open.ClinicalTime.ToDateTimeOffset());
        Assert.Equal(AlertKind.Clinical, open.Alert.Kind);
        Assert.Equal(RecordCategory.RisksAndAlerts, open.Category);

        var history = await Client.ListEntryHistoryAsync(new ListEntryHistoryRequest { NhsNumber = nhs, EntryId = ids["ended-yesterday"] });
        Assert.Equal(EntryStatus.Inactive, Assert.Single(history.Versions).Status);

        var summary = await host.SummaryAsync(nhs);
        Assert.Equal(new[] { ids["open"], ids["ends-today"], ids["ends-tomorrow"] }.Order(), summary.Alerts.Select(a => a.Id).Order());
    }

    [Fact]
    public async Task The_summary_lists_active_alerts_highest_severity_first_then_latest_start_and_counts_the_category()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("RR8",
            Make.Alert(nhs, "low-new", severity: AlertSeverity.Low, start: Make.Date(2026, 1, 1)),
            Make.Alert(nhs, "high-old", severity: AlertSeverity.High, start: Make.Date(2020, 1, 1), kind: AlertKind.RiskToStaff,
                code: "225915006", display: "At risk of violence", comment: "Do not visit alone"),
            Make.Alert(nhs, "high-new", severity: AlertSeverity.High, start: Make.Date(2025, 6, 1), code: "450476008",
                display: "Not for attempted cardiopulmonary resuscitation"),
            Make.Alert(nhs, "medium", severity: AlertSeverity.Medium, start: Make.Date(2023, 1, 1), kind: AlertKind.Safeguarding),
            Make.Alert(nhs, "inactive", severity: AlertSeverity.High, status: AlertStatus.Inactive),
            Make.Problem(nhs, "p-asthma"));
        await host.ContributeAsync("B86001", Make.Alert(nhs, "gp-medium", severity: AlertSeverity.Medium, start: Make.Date(2024, 1, 1)));

        var s = await host.SummaryAsync(nhs);
        Assert.Equal(["high-new", "high-old", "gp-medium", "medium", "low-new"], s.Alerts.Select(a => a.Provenance.SourceEntryId.Split('/')[1]));
        Assert.All(s.Alerts, a => Assert.Equal(EntryStatus.Active, a.Status));
        Assert.Equal("Do not visit alone", s.Alerts[1].Comment);
        Assert.Contains(s.CategoryCounts, c => c.Category == RecordCategory.RisksAndAlerts && c.Count == 6);
        Assert.Contains(s.EntryCounts, c => c.Category == RecordCategory.RisksAndAlerts && c.SourceOrganisationOdsCode == "RR8" && c.Count == 5);
        Assert.Contains(s.EntryCounts, c => c.Category == RecordCategory.RisksAndAlerts && c.SourceOrganisationOdsCode == "B86001" && c.Count == 1);
        Assert.Single(s.ActiveProblems);

        // Exclusions apply to alerts as to every list and count.
        var withoutGp = (await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest
        {
            NhsNumber = nhs, ExcludedSourceOrganisationOdsCodes = { "B86001" },
        })).Summary;
        Assert.Equal(4, withoutGp.Alerts.Count);
        Assert.Contains(withoutGp.CategoryCounts, c => c.Category == RecordCategory.RisksAndAlerts && c.Count == 5);
        var withoutAlerts = (await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest
        {
            NhsNumber = nhs, ExcludedCategories = { RecordCategory.RisksAndAlerts },
        })).Summary;
        Assert.Empty(withoutAlerts.Alerts);
        Assert.DoesNotContain(withoutAlerts.CategoryCounts, c => c.Category == RecordCategory.RisksAndAlerts);
        var withoutOne = (await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest
        {
            NhsNumber = nhs, ExcludedEntryIds = { s.Alerts[0].Id },
        })).Summary;
        Assert.Equal(s.Alerts.Skip(1).Select(a => a.Id), withoutOne.Alerts.Select(a => a.Id));

        // Every clinical category when none is named: alerts included; and alerts alone on request.
        var all = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs });
        Assert.Equal(7, all.Entries.Count);
        var alerts = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, Categories = { RecordCategory.RisksAndAlerts } });
        Assert.Equal(6, alerts.Entries.Count);
    }

    [Fact]
    public async Task The_summary_shows_at_most_100_alerts_and_fills_from_the_rest_when_one_is_excluded()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var batch = Enumerable.Range(0, 101)
            .Select(i => Make.Alert(nhs, $"al-{i:000}", severity: i == 100 ? AlertSeverity.Low : AlertSeverity.Medium,
                start: Make.Date(2020 + (i % 5), 1 + (i % 12), 1 + (i % 28))))
            .ToArray();
        await host.ContributeAsync("RR8", batch[..100]);
        await host.ContributeAsync("RR8", batch[100]);

        var s = await host.SummaryAsync(nhs);
        Assert.Equal(100, s.Alerts.Count);
        Assert.DoesNotContain(s.Alerts, a => a.Alert.Severity == AlertSeverity.Low); // the lowest is the one left out
        Assert.Contains(s.CategoryCounts, c => c.Category == RecordCategory.RisksAndAlerts && c.Count == 101);

        var filtered = (await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = nhs, ExcludedEntryIds = { s.Alerts[0].Id } })).Summary;
        Assert.Equal(100, filtered.Alerts.Count);
        Assert.Equal(AlertSeverity.Low, filtered.Alerts[^1].Alert.Severity);
        Assert.DoesNotContain(filtered.Alerts, a => a.Id == s.Alerts[0].Id);
    }
}
