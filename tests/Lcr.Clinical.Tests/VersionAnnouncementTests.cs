using Grpc.Core;
using Lcr.Clinical.Api;
using Lcr.Clinical.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Clinical.Tests;

/// <summary>
/// Every contribution and retraction announces itself to the readers that keep records in
/// memory: after the reply each patient's Record tag in the version store has moved on and
/// nothing is pending, the other kinds are untouched; with the version store unreachable the
/// write is refused UNAVAILABLE VERSION_STORE_UNAVAILABLE and nothing is written.
/// </summary>
public sealed class VersionAnnouncementTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    /// <summary>One clinical write: what must stand before it, and the write itself (on the given client).</summary>
    private sealed record Write(Func<ClinicalHost, string, Task> Before, Func<ClinicalRecordService.ClinicalRecordServiceClient, string, Task> Call);

    private static readonly Dictionary<string, Write> Writes = new()
    {
        ["UpsertEntries (created)"] = new((_, _) => Task.CompletedTask, (c, n) => UpsertAsync(c, Make.Problem(n, "p-1"))),
        ["UpsertEntries (updated)"] = new((h, n) => h.ContributeAsync("B86001", Make.Problem(n, "p-1")),
            (c, n) => UpsertAsync(c, Make.Problem(n, "p-1", display: "Asthma, resolved", status: ProblemClinicalStatus.Resolved))),
        ["UpsertEntries (document content)"] = new((h, n) => h.ContributeAsync("B86001", Make.Document(n, "d-1", "first"u8.ToArray())),
            (c, n) => UpsertAsync(c, Make.Document(n, "d-1", "second"u8.ToArray()))),
        ["RetractEntry"] = new((h, n) => h.ContributeAsync("B86001", Make.Problem(n, "p-1")),
            async (c, n) =>
            {
                var id = (await c.ListEntriesAsync(new ListEntriesRequest { NhsNumber = n })).Entries[0].Id;
                await c.RetractEntryAsync(new RetractEntryRequest { NhsNumber = n, EntryId = id, Reason = "Wrong patient" }, ClinicalHost.Feed());
            }),
    };

    public static TheoryData<string> WriteNames => [.. Writes.Keys];

    private static async Task UpsertAsync(ClinicalRecordService.ClinicalRecordServiceClient client, params EntryContribution[] entries)
    {
        var request = new UpsertEntriesRequest { SourceOrganisationOdsCode = "B86001", SourceSystem = "TestSystem" };
        request.Entries.AddRange(entries);
        await client.UpsertEntriesAsync(request, ClinicalHost.Feed());
    }

    [Theory]
    [MemberData(nameof(WriteNames))]
    public async Task A_write_moves_the_patients_record_tag_on_before_the_reply_and_leaves_nothing_pending(string rpc)
    {
        var write = Writes[rpc];
        var nhs = ClinicalHost.NewNhsNumber();
        var reader = PatientVersionReader.For(host.Services);
        await write.Before(host, nhs);
        var before = (await reader.ProbeAsync(nhs))!;

        await write.Call(host.Client, nhs);

        var after = (await reader.ProbeAsync(nhs))!;
        Assert.NotNull(after.Tag(PatientDataKind.Record)); // published: nothing pending
        Assert.NotEqual(before.Tag(PatientDataKind.Record), after.Tag(PatientDataKind.Record));
        Assert.Equal(before.Tag(PatientDataKind.Consent), after.Tag(PatientDataKind.Consent));
        Assert.Equal(before.Tag(PatientDataKind.Demographics), after.Tag(PatientDataKind.Demographics));
    }

    [Fact]
    public async Task A_batch_moves_the_record_tag_of_every_patient_in_it_and_no_other()
    {
        var (a, b, bystander) = (ClinicalHost.NewNhsNumber(), ClinicalHost.NewNhsNumber(), ClinicalHost.NewNhsNumber());
        var reader = PatientVersionReader.For(host.Services);
        var before = new[] { (await reader.ProbeAsync(a))!, (await reader.ProbeAsync(b))!, (await reader.ProbeAsync(bystander))! };

        await UpsertAsync(host.Client, Make.Problem(a, "p-1"), Make.Medication(b, "m-1"));

        var after = new[] { (await reader.ProbeAsync(a))!, (await reader.ProbeAsync(b))!, (await reader.ProbeAsync(bystander))! };
        Assert.NotEqual(before[0].Tag(PatientDataKind.Record), after[0].Tag(PatientDataKind.Record));
        Assert.NotEqual(before[1].Tag(PatientDataKind.Record), after[1].Tag(PatientDataKind.Record));
        Assert.NotNull(after[0].Tag(PatientDataKind.Record));
        Assert.NotNull(after[1].Tag(PatientDataKind.Record));
        Assert.Equal(before[2], after[2]);
    }

    [Theory]
    [MemberData(nameof(WriteNames))]
    public async Task With_the_version_store_unreachable_a_write_is_refused_and_nothing_is_written(string rpc)
    {
        var write = Writes[rpc];
        var nhs = ClinicalHost.NewNhsNumber();
        await write.Before(host, nhs);
        var stored = await StoredAsync(nhs);

        await using var redis = await RedisServer.StartAsync();
        await using var replica = new ServiceReplica<ClinicalGrpcService>("Clinical", host.Database.ConnectionString, redis.ConnectionString);
        await redis.StopAsync();

        await RpcAssert.Fails(StatusCode.Unavailable, "VERSION_STORE_UNAVAILABLE",
            () => write.Call(new ClinicalRecordService.ClinicalRecordServiceClient(replica.Channel), nhs));

        Assert.Equal(stored, await StoredAsync(nhs));
    }

    /// <summary>What PostgreSQL holds for the patient: entries, their versions, document contents and the record version.</summary>
    private async Task<string> StoredAsync(string nhs) => string.Join('|',
        await host.CountAsync("entries", nhs), await host.CountAsync("entry_versions", nhs),
        await host.Database.ScalarAsync("select count(*) from document_contents c join entries e on e.id = c.entry_id where e.nhs_number = @n", ("n", nhs)),
        await host.Database.ScalarAsync("select coalesce(max(version), 0) from entries where nhs_number = @n", ("n", nhs)),
        await host.Database.ScalarAsync("select coalesce(max(record_version), 0) from patient_records where nhs_number = @n", ("n", nhs)));
}
