using Lcr.Clinical.V1;
using Lcr.Common.V1;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests;

/// <summary>Every change a feed makes to a record is in the audit log: one CONTRIBUTION event per patient, naming the entries.</summary>
[Collection(PlatformCollection.Name)]
public class ContributionAuditTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private static EntryContribution Problem(string nhs, string sourceId) => new()
    {
        Entry = new Entry
        {
            NhsNumber = nhs,
            Category = RecordCategory.Problems,
            Code = new CodedConcept { System = "http://snomed.info/sct", Code = "195967001", Display = "Asthma" },
            Provenance = new Provenance { SourceEntryId = sourceId },
            Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = 2023, Month = 9, Day = 2 } },
        },
    };

    private async Task<List<(string Actor, string[] Entries, int[] Categories)>> ContributionsAsync(string nhs)
    {
        var rows = new List<(string, string[], int[])>();
        await using var conn = new Npgsql.NpgsqlConnection(platform.Audit.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            "select actor_id, returned_entry_ids, returned_categories from audit_events where nhs_number = @n and action = 9 order by ingest_id", conn);
        cmd.Parameters.AddWithValue("n", nhs);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetFieldValue<string[]>(1), reader.GetFieldValue<int[]>(2)));
        }

        return rows;
    }

    [Fact]
    public async Task Each_patient_changed_by_a_feed_gets_one_contribution_event_naming_the_entries_and_a_resend_adds_none()
    {
        var (a, b) = (Nhs(160), Nhs(163));
        var feed = Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "record.contribute"));
        var clinical = new ClinicalRecordService.ClinicalRecordServiceClient(Gateway);
        var ids = Enumerable.Range(0, 3).Select(_ => "audit-test-" + Guid.NewGuid().ToString("N")).ToArray();
        var request = new UpsertEntriesRequest { SourceSystem = "SystmOne", Entries = { Problem(a, ids[0]), Problem(a, ids[1]), Problem(b, ids[2]) } };
        var written = await clinical.UpsertEntriesAsync(request, feed);
        await clinical.UpsertEntriesAsync(request, feed); // unchanged: nothing to record

        var forA = Assert.Single(await ContributionsAsync(a));
        Assert.Equal("b86001-gp-feed", forA.Actor);
        Assert.Equal(written.Results.Take(2).Select(r => r.EntryId).Order(), forA.Entries.Order());
        Assert.Equal([(int)RecordCategory.Problems], forA.Categories);
        var forB = Assert.Single(await ContributionsAsync(b));
        Assert.Equal([written.Results[2].EntryId], forB.Entries);

        // A retraction is a contribution too.
        await clinical.RetractEntryAsync(new RetractEntryRequest
        {
            NhsNumber = b, EntryId = written.Results[2].EntryId, Reason = "Entered on the wrong patient", ExpectedVersion = written.Results[2].Version,
        }, feed);
        var afterRetraction = await ContributionsAsync(b);
        Assert.Equal(2, afterRetraction.Count);
        Assert.Equal([written.Results[2].EntryId], afterRetraction[1].Entries);
    }
}
