using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.Domain;
using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Tests;

/// <summary>The pure rules of the risks-and-alerts category, without a host.</summary>
public class AlertRulesTests
{
    private static Entry A(AlertSeverity severity, DateTimeOffset start, Date? end = null, string? id = null) => new()
    {
        Id = id ?? Guid.NewGuid().ToString(),
        Category = RecordCategory.RisksAndAlerts,
        Status = EntryStatus.Active,
        ClinicalTime = Timestamp.FromDateTimeOffset(start),
        Alert = new Alert { Kind = AlertKind.Clinical, Severity = severity, Status = AlertStatus.Active, EndDate = end },
    };

    private static Date D(int y, int m, int d) => new() { Year = y, Month = m, Day = d };

    [Fact]
    public void An_alert_applies_to_the_end_of_its_end_date_in_london_summer_time_included()
    {
        var summer = A(AlertSeverity.High, DateTimeOffset.UnixEpoch, D(2026, 6, 30));
        Assert.Equal(new DateTimeOffset(2026, 6, 30, 23, 0, 0, TimeSpan.Zero), AlertRules.ActiveUntil(summer)); // 00:00 BST on 1 July
        Assert.Equal(EntryStatus.Active, AlertRules.StatusAt(summer, new DateTimeOffset(2026, 6, 30, 22, 59, 59, TimeSpan.Zero)));
        Assert.Equal(EntryStatus.Inactive, AlertRules.StatusAt(summer, new DateTimeOffset(2026, 6, 30, 23, 0, 0, TimeSpan.Zero)));

        var winter = A(AlertSeverity.High, DateTimeOffset.UnixEpoch, D(2026, 12, 31));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), AlertRules.ActiveUntil(winter));

        var open = A(AlertSeverity.High, DateTimeOffset.UnixEpoch);
        Assert.Null(AlertRules.ActiveUntil(open));
        Assert.Equal(EntryStatus.Active, AlertRules.StatusAt(open, DateTimeOffset.MaxValue));

        var inactive = A(AlertSeverity.High, DateTimeOffset.UnixEpoch);
        inactive.Status = EntryStatus.Inactive;
        Assert.Equal(EntryStatus.Inactive, AlertRules.StatusAt(inactive, DateTimeOffset.UnixEpoch));
        Assert.Null(AlertRules.ActiveUntil(new Entry { Medication = new Medication { EndDate = D(2020, 1, 1) } })); // only alerts end this way
    }

    [Fact]
    public void Stored_status_and_clinical_time_come_from_the_alert()
    {
        Assert.Equal(EntryStatus.Active, EntryFacts.StatusOf(new Entry { Alert = new Alert { Status = AlertStatus.Active } }));
        Assert.Equal(EntryStatus.Inactive, EntryFacts.StatusOf(new Entry { Alert = new Alert { Status = AlertStatus.Inactive } }));
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 0, 0, 0, TimeSpan.FromHours(1)),
            EntryFacts.ClinicalTimeOf(new Entry { Alert = new Alert { StartDate = D(2024, 7, 1) } }, DateTimeOffset.UnixEpoch));
        Assert.Equal(DateTimeOffset.UnixEpoch, EntryFacts.ClinicalTimeOf(new Entry { Alert = new Alert() }, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Alerts_are_ordered_by_severity_then_most_recent_start()
    {
        var t = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var lowNew = A(AlertSeverity.Low, t.AddDays(100));
        var highOld = A(AlertSeverity.High, t);
        var highNew = A(AlertSeverity.High, t.AddDays(10));
        var medium = A(AlertSeverity.Medium, t.AddDays(50));
        Assert.Equal([highNew, highOld, medium, lowNew], AlertRules.InSummaryOrder([lowNew, medium, highOld, highNew]));
    }

    [Fact]
    public void Ended_alerts_leave_a_summary_and_a_full_list_that_loses_one_is_incomplete()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var ended = A(AlertSeverity.High, now.AddDays(-30), D(2026, 2, 28));
        var endsToday = A(AlertSeverity.High, now.AddDays(-30), D(2026, 3, 1));
        var summary = new RecordSummary { Alerts = { ended, endsToday } };
        var (dropped, complete) = AlertRules.DropEnded(summary, now);
        Assert.Equal([endsToday], dropped.Alerts);
        Assert.True(complete);
        Assert.Equal(2, summary.Alerts.Count); // the (possibly cached) original is never modified

        var untouched = new RecordSummary { Alerts = { endsToday } };
        Assert.Same(untouched, AlertRules.DropEnded(untouched, now).Summary);

        var full = new RecordSummary();
        full.Alerts.Add(ended);
        full.Alerts.AddRange(Enumerable.Range(0, Limits.MaxSummaryAlerts - 1).Select(_ => A(AlertSeverity.Low, now.AddDays(-1))));
        var (fewer, fullComplete) = AlertRules.DropEnded(full, now);
        Assert.Equal(Limits.MaxSummaryAlerts - 1, fewer.Alerts.Count);
        Assert.False(fullComplete); // an alert beyond the cap may now belong in the list
    }
}
