using Lcr.Clinical.V1;

namespace Lcr.Clinical.Tests;

/// <summary>Issue 21: an alert's end date passes with time, under a cached summary too.</summary>
public class AlertEndDateTests(ClockedClinicalHost host) : IClassFixture<ClockedClinicalHost>
{
    [Fact]
    public async Task A_cached_summary_stops_showing_an_alert_once_its_end_date_has_passed()
    {
        host.Clock.Offset = TimeSpan.Zero;
        var nhs = ClinicalHost.NewNhsNumber();
        var results = (await host.ContributeAsync("RR8",
            Make.Alert(nhs, "ends-today", end: Make.LondonDay()),
            Make.Alert(nhs, "open"))).Results;
        var ending = results[0].EntryId;
        var before = await host.SummaryAsync(nhs);
        Assert.Equal(2, before.Alerts.Count);
        Assert.True(await host.Redis.KeyExistsAsync(host.SummaryKey(nhs))); // cached at this record version

        host.Clock.Offset = TimeSpan.FromDays(2); // two days later, nothing contributed meanwhile
        var computations = host.Counter("lcr.clinical.summary.computations");
        var after = await host.SummaryAsync(nhs);
        Assert.Equal(before.RecordVersion, after.RecordVersion);
        Assert.Equal(results[1].EntryId, Assert.Single(after.Alerts).Id);
        Assert.Equal(computations, host.Counter("lcr.clinical.summary.computations")); // the cached summary, checked at read
        Assert.Equal(EntryStatus.Inactive,
            (await host.Client.GetEntryAsync(new GetEntryRequest { NhsNumber = nhs, EntryId = ending })).Entry.Status);
        var active = await host.Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, Statuses = { EntryStatus.Active } });
        Assert.Equal(results[1].EntryId, Assert.Single(active.Entries).Id);
        host.Clock.Offset = TimeSpan.Zero;
    }

    [Fact]
    public async Task A_full_alerts_list_that_loses_an_ended_alert_is_filled_from_the_rest()
    {
        host.Clock.Offset = TimeSpan.Zero;
        var nhs = ClinicalHost.NewNhsNumber();
        var ending = Make.Alert(nhs, "al-ending", severity: AlertSeverity.High, end: Make.LondonDay());
        var medium = Enumerable.Range(0, 99).Select(i => Make.Alert(nhs, $"al-{i:000}", severity: AlertSeverity.Medium)).ToArray();
        await host.ContributeAsync("RR8", [ending, .. medium]);
        var low = (await host.ContributeAsync("RR8", Make.Alert(nhs, "al-low", severity: AlertSeverity.Low))).Results[0].EntryId;
        var before = await host.SummaryAsync(nhs);
        Assert.Equal(100, before.Alerts.Count);
        Assert.DoesNotContain(before.Alerts, a => a.Id == low);

        host.Clock.Offset = TimeSpan.FromDays(2);
        var after = await host.SummaryAsync(nhs);
        Assert.Equal(100, after.Alerts.Count);
        Assert.Equal(low, after.Alerts[^1].Id); // the alert beyond the cap takes the ended one's place
        Assert.DoesNotContain(after.Alerts, a => a.Alert.Severity == AlertSeverity.High);
        host.Clock.Offset = TimeSpan.Zero;
    }
}
