using Grpc.Core;
using Grpc.Health.V1;
using Lcr.Clinical.Seed;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using Lcr.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Clinical.Tests;

public class OperationsTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    [Fact]
    public async Task Readiness_is_serving_with_postgres_and_redis_up()
    {
        var health = new Health.HealthClient(host.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "readiness" })).Status);
    }

    [Fact]
    public async Task No_nhs_number_or_clinical_text_reaches_logs_or_spans()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var problem = Make.Problem(nhs, "p-secret", "123456", "Quixotic membranopathy");
        problem.Entry.Comment = "Patient mentioned zanzibarian symptoms";
        await host.ContributeAsync("B86001", problem, Make.Document(nhs, "d-secret", "Letter about the xylophonic tremor"u8.ToArray(), title: "Flibbertigibbet clinic"));
        var summary = await host.SummaryAsync(nhs);
        await host.SummaryAsync(nhs);
        await host.Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs });
        await host.Client.GetDocumentContentAsync(new GetDocumentContentRequest { NhsNumber = nhs, EntryId = summary.RecentDocuments[0].Id });
        await Assert.ThrowsAsync<RpcException>(async () => await host.ContributeAsync("B86001", Make.Problem(nhs, "")));
        await Assert.ThrowsAsync<RpcException>(async () => await host.Client.GetEntryAsync(
            new GetEntryRequest { NhsNumber = nhs, EntryId = Guid.NewGuid().ToString() }));

        var text = string.Join('\n', host.Logs.Lines) + '\n' + string.Join('\n', SpanText.Of(host.Spans.ToArray()));
        Assert.NotEmpty(host.Logs.Lines);
        Assert.NotEmpty(host.Spans);
        foreach (var secret in new[] { nhs, "Quixotic", "zanzibarian", "xylophonic", "Flibbertigibbet" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_development_seed_tells_the_shared_story_and_a_second_run_changes_nothing()
    {
        var seeder = host.Services.GetServices<IDevelopmentSeeder>().OfType<ClinicalSeeder>().Single();
        await seeder.SeedAsync(CancellationToken.None);
        var versions = await host.Database.ScalarAsync("select count(*) from entry_versions where nhs_number like '999%'");
        await seeder.SeedAsync(CancellationToken.None);
        Assert.Equal(versions, await host.Database.ScalarAsync("select count(*) from entry_versions where nhs_number like '999%'"));

        var patients = SyntheticCohort.Patients;
        Assert.Equal((long)patients.Count, await host.Database.ScalarAsync("select count(distinct nhs_number) from entries where nhs_number like '999%'"));

        var example = await host.SummaryAsync(patients[SyntheticOrganisations.Scenario.ExamplePatient].NhsNumber);
        Assert.Contains(example.ActiveProblems, e => e.Code.Code == "195967001");
        Assert.Contains(example.ActiveProblems, e => e.Code.Code == "44054006");
        Assert.Contains(example.LatestResults, e => e.Code.Code == "1107481000000106" && e.TestResult.Quantity.Value == 48);
        Assert.Contains(example.RecentDocuments, e => e.Document.Type == DocumentType.DischargeSummary);
        Assert.Contains(example.RecentDocuments, e => e.Document.Type == DocumentType.ClinicLetter);
        Assert.Equal(6, example.CategoryCounts.Count);

        // Issue 21: the example patient's risks and alerts, highest severity first; the ended one is not shown.
        Assert.Equal(["718446003", "61372001", "417430008"], example.Alerts.Select(a => a.Code.Code));
        Assert.Equal(AlertKind.RiskToStaff, example.Alerts[1].Alert.Kind);
        Assert.StartsWith("Do not visit alone", example.Alerts[1].Comment, StringComparison.Ordinal);
        Assert.Equal(SyntheticOrganisations.AdultSocialCare, example.Alerts[2].Provenance.SourceOrganisation.OdsCode);
        Assert.Contains(example.CategoryCounts, c => c.Category == RecordCategory.RisksAndAlerts && c.Count == 4);
        var ended = await host.Client.ListEntriesAsync(new ListEntriesRequest
        {
            NhsNumber = example.NhsNumber, Categories = { RecordCategory.RisksAndAlerts }, Statuses = { EntryStatus.Inactive },
        });
        Assert.Equal("225444004", Assert.Single(ended.Entries).Code.Code);

        // The merged pair: the temporary number holds only what the emergency department recorded; read through the kept number.
        var away = patients[SyntheticOrganisations.Scenario.MergedAway].NhsNumber;
        var kept = patients[SyntheticOrganisations.Scenario.MergedInto].NhsNumber;
        var awaySummary = await host.SummaryAsync(away);
        Assert.All(awaySummary.EntryCounts, c => Assert.Equal(SyntheticOrganisations.TeachingHospitals, c.SourceOrganisationOdsCode));
        Assert.Equal(3, awaySummary.EntryCounts.Sum(c => c.Count));
        var keptSummary = await host.SummaryAsync(kept);
        var merged = (await host.Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = kept, MergedNhsNumbers = { away } })).Summary;
        Assert.Contains(merged.ActiveProblems, e => e.Code.Code == "16114001" && e.NhsNumber == away);
        Assert.Contains(merged.Allergies, e => e.Code.Code == "111088007" && e.NhsNumber == away);
        Assert.Equal(keptSummary.EntryCounts.Sum(c => c.Count) + 3, merged.EntryCounts.Sum(c => c.Count));
        Assert.Contains(keptSummary.EntryCounts, c => c.SourceOrganisationOdsCode != SyntheticOrganisations.TeachingHospitals);
        Assert.True((await host.Client.ListEntriesAsync(new ListEntriesRequest
        {
            NhsNumber = example.NhsNumber, Statuses = { EntryStatus.Inactive },
        })).Entries.Count >= 2); // resolved problems, stopped or completed medications

        var mental = await host.SummaryAsync(patients[SyntheticOrganisations.Scenario.WithholdsMentalHealth].NhsNumber);
        Assert.Contains(mental.EntryCounts, c => c.SourceOrganisationOdsCode == SyntheticOrganisations.MentalHealthTrust);

        var sensitive = await host.SummaryAsync(patients[SyntheticOrganisations.Scenario.ReleasesSensitive].NhsNumber);
        Assert.Contains(sensitive.EntryCounts, c => c.Sensitivity == Sensitivity.Sensitive && c.SourceOrganisationOdsCode == SyntheticOrganisations.CommunityHealthcare);

        var social = await host.SummaryAsync(patients[SyntheticOrganisations.Scenario.SocialCareCase].NhsNumber);
        Assert.Contains(social.RecentDocuments, d => d.Provenance.SourceOrganisation.OdsCode == SyntheticOrganisations.AdultSocialCare);
        var content = await host.Client.GetDocumentContentAsync(new GetDocumentContentRequest
        {
            NhsNumber = social.NhsNumber, EntryId = social.RecentDocuments.First(d => d.Provenance.SourceOrganisation.OdsCode == "00DA").Id,
        });
        Assert.Equal("text/plain", content.Content.ContentType);
        Assert.True(content.Content.SizeBytes > 50);
    }
}
