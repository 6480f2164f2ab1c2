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
}
