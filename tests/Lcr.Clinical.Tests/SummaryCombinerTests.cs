using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.Domain;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Clinical.Tests;

/// <summary>Merged reads' pure rules, without a host: the combined summary and the merged set's validation.</summary>
public class SummaryCombinerTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Entry E(string nhs, RecordCategory category, int day, string code = "c", string ods = "B86001") => new()
    {
        Id = Guid.NewGuid().ToString(),
        NhsNumber = nhs,
        Category = category,
        Code = new CodedConcept { System = "http://snomed.info/sct", Code = code },
        ClinicalTime = Timestamp.FromDateTimeOffset(T0.AddDays(day)),
        Provenance = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = ods } },
    };

    private static EntryCount Count(RecordCategory category, string ods, int n) =>
        new() { Category = category, SourceOrganisationOdsCode = ods, Sensitivity = Sensitivity.Normal, Count = n };

    [Fact]
    public void Lists_are_merged_re_sorted_and_re_capped_and_counts_and_versions_summed()
    {
        var kept = new RecordSummary
        {
            NhsNumber = "kept", RecordVersion = 3, ComputeTime = Timestamp.FromDateTimeOffset(T0.AddDays(2)),
            EntryCounts = { Count(RecordCategory.Problems, "B86001", 2), Count(RecordCategory.TestResults, "RR8", 1) },
        };
        var away = new RecordSummary
        {
            NhsNumber = "away", RecordVersion = 4, ComputeTime = Timestamp.FromDateTimeOffset(T0.AddDays(1)),
            EntryCounts = { Count(RecordCategory.Problems, "B86001", 1), Count(RecordCategory.Problems, "RR8", 5) },
        };
        kept.ActiveProblems.AddRange(Enumerable.Range(0, Limits.MaxSummaryListed).Select(i => E("kept", RecordCategory.Problems, i * 2)));
        away.ActiveProblems.AddRange(Enumerable.Range(0, 10).Select(i => E("away", RecordCategory.Problems, (i * 2) + 1000)));
        kept.LatestResults.Add(E("kept", RecordCategory.TestResults, 5, "hba1c"));
        kept.LatestResults.Add(E("kept", RecordCategory.TestResults, 9, "chol"));
        away.LatestResults.Add(E("away", RecordCategory.TestResults, 7, "hba1c"));
        kept.RecentDocuments.AddRange(Enumerable.Range(0, 20).Select(i => E("kept", RecordCategory.Documents, i)));
        away.RecentDocuments.AddRange(Enumerable.Range(0, 20).Select(i => E("away", RecordCategory.Documents, i + 10)));

        var s = SummaryCombiner.Combine("kept", [kept, away]);
        Assert.Equal("kept", s.NhsNumber);
        Assert.Equal(7, s.RecordVersion);
        Assert.Equal(T0.AddDays(1), s.ComputeTime.ToDateTimeOffset()); // the oldest part
        Assert.Equal(Limits.MaxSummaryListed, s.ActiveProblems.Count);
        Assert.All(s.ActiveProblems.Take(10), e => Assert.Equal("away", e.NhsNumber)); // the most recent, from the merged-away number
        Assert.Equal(s.ActiveProblems.OrderByDescending(e => e.ClinicalTime.ToDateTimeOffset()), s.ActiveProblems);
        Assert.Equal([("kept", "chol"), ("away", "hba1c")], s.LatestResults.Select(e => (e.NhsNumber, e.Code.Code))); // latest per test across numbers
        Assert.Equal(20, s.RecentDocuments.Count);
        Assert.Equal(T0.AddDays(29), s.RecentDocuments[0].ClinicalTime.ToDateTimeOffset());
        Assert.Equal(
            [(RecordCategory.Problems, "B86001", 3), (RecordCategory.Problems, "RR8", 5), (RecordCategory.TestResults, "RR8", 1)],
            s.EntryCounts.Select(c => (c.Category, c.SourceOrganisationOdsCode, c.Count)));
        Assert.Equal([(RecordCategory.Problems, 8), (RecordCategory.TestResults, 1)], s.CategoryCounts.Select(c => (c.Category, c.Count)));

        Assert.Same(kept, SummaryCombiner.Combine("kept", [kept])); // one number: its own summary, as cached
    }

    [Fact]
    public void Merged_alerts_keep_the_severity_order_and_the_cap()
    {
        Entry Alert(string nhs, AlertSeverity severity, int day)
        {
            var e = E(nhs, RecordCategory.RisksAndAlerts, day);
            e.Alert = new Alert { Severity = severity, Status = AlertStatus.Active, Kind = AlertKind.Clinical };
            return e;
        }

        var kept = new RecordSummary();
        kept.Alerts.AddRange(Enumerable.Range(0, Limits.MaxSummaryAlerts).Select(i => Alert("kept", AlertSeverity.Medium, i)));
        var away = new RecordSummary { Alerts = { Alert("away", AlertSeverity.High, 0), Alert("away", AlertSeverity.Low, 500) } };
        var s = SummaryCombiner.Combine("kept", [kept, away]);
        Assert.Equal(Limits.MaxSummaryAlerts, s.Alerts.Count);
        Assert.Equal("away", s.Alerts[0].NhsNumber);
        Assert.DoesNotContain(s.Alerts, a => a.Alert.Severity == AlertSeverity.Low);
    }

    [Fact]
    public void The_merged_set_is_validated_and_put_in_canonical_order()
    {
        const string own = "9434765919";
        var a = NewNumber(1);
        var b = NewNumber(2);
        var v = new FieldViolations();
        Assert.Equal([own, .. new[] { a, b }.Order(StringComparer.Ordinal)], MergedNumbers.From(own, [b, a], v));
        Assert.False(v.Any);

        v = new FieldViolations();
        MergedNumbers.From(own, ["123", own, a, a], v);
        Assert.Equal(["merged_nhs_numbers[0]", "merged_nhs_numbers[1]", "merged_nhs_numbers[3]"], v.Items.Select(x => x.Field));

        v = new FieldViolations();
        MergedNumbers.From(own, Enumerable.Range(1, Limits.MaxMergedNumbers + 1).Select(NewNumber).ToList(), v);
        Assert.Equal(["merged_nhs_numbers"], v.Items.Select(x => x.Field));
        Assert.Equal([own], MergedNumbers.From(own, [], new FieldViolations()));
    }

    private static string NewNumber(int seed)
    {
        for (var n = seed * 1000; ; n++)
        {
            var nine = "996" + n.ToString("000000", System.Globalization.CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                return nine + (char)('0' + check);
            }
        }
    }
}
