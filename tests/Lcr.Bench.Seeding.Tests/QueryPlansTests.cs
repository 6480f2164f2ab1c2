namespace Lcr.Bench.Seeding.Tests;

/// <summary>
/// <c>make bench-scale</c>'s query plans: the clinical summary is one Npgsql batch (not EF
/// commands), and its plans are still printed, statement by statement, as the service sends them.
/// </summary>
public class QueryPlansTests(ClinicalHost clinical, DemographicsHost demographics) : IClassFixture<ClinicalHost>, IClassFixture<DemographicsHost>
{
    [Fact]
    public async Task The_read_path_plans_include_every_statement_of_the_summary_batch()
    {
        await using var clinicalSource = clinical.DataSource();
        await using var demographicsSource = demographics.DataSource();
        await BulkLoader.FillAsync(new ClinicalFiller(10), clinicalSource, 1, Feeds.Small, TextWriter.Null);
        var patient = FillerCohort.First(1)[0].NhsNumber;

        var plans = await QueryPlans.ExplainReadPathAsync(clinicalSource, demographicsSource, patient, CancellationToken.None);

        var summary = plans[plans.IndexOf("-- clinical GetRecordSummary", StringComparison.Ordinal)..plans.IndexOf("-- clinical ListEntries", StringComparison.Ordinal)];
        Assert.Contains("FROM patient_records", summary, StringComparison.Ordinal);
        Assert.Contains("UNION ALL", summary, StringComparison.Ordinal);
        Assert.Contains("GROUP BY", summary, StringComparison.Ordinal);
        Assert.Equal(3, summary.Split("Execution Time").Length - 1);
    }
}
