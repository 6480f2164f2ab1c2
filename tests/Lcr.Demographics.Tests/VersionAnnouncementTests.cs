using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Demographics.Api;
using Lcr.Demographics.Application;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Demographics.Tests;

/// <summary>
/// Every demographics write announces itself to the readers that keep demographics in memory:
/// after the reply the Demographics tag of every number whose answers changed (the patient; for a
/// supersession every number of the component(s) it joins or splits) has moved on and nothing is
/// pending, the other kinds are untouched; with the version store unreachable the write is
/// refused UNAVAILABLE VERSION_STORE_UNAVAILABLE and nothing is written.
/// </summary>
public sealed class VersionAnnouncementTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    /// <summary>
    /// One demographics write: what must stand before it (returning every number the write must
    /// announce, the first being the one it is about) and the write itself (on the given client).
    /// </summary>
    private sealed record Write(Func<DemographicsHost, Task<string[]>> Before, Func<DemographicsService.DemographicsServiceClient, string[], Task> Call);

    private static readonly Dictionary<string, Write> Writes = new()
    {
        ["CreatePatient"] = new(_ => Task.FromResult(new[] { DemographicsHost.NewNhsNumber() }),
            async (c, n) => await c.CreatePatientAsync(new CreatePatientRequest { Patient = DemographicsHost.NewPatient(n[0]) }, DemographicsHost.Feed())),
        ["UpdatePatient"] = new(OnePatientAsync, (c, n) => UpdateAsync(c, n[0], new Patient { NhsNumber = n[0], Email = "new@example.org" }, "email")),
        ["UpdatePatient (death)"] = new(OnePatientAsync,
            (c, n) => UpdateAsync(c, n[0], new Patient { NhsNumber = n[0], DeathDate = new Date { Year = 2025, Month = 11, Day = 2 } }, "death_date")),
        ["UpdateContactDetails"] = new(OnePatientAsync, async (c, n) => await c.UpdateContactDetailsAsync(new UpdateContactDetailsRequest
        {
            NhsNumber = n[0],
            Address = new Address { Lines = { "1 Otley Road", "Leeds" }, Postcode = "ls6 3hn" },
        }, DemographicsHost.Feed())),
        ["ReportSupersession"] = new(async h => [await SupersessionCalls.NewPatientAsync(h), await SupersessionCalls.NewPatientAsync(h)],
            async (c, n) => await c.ReportSupersessionAsync(new ReportSupersessionRequest
            {
                NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = n[0], NhsNumber = n[1],
            }, SupersessionCalls.Pds())),
        ["WithdrawSupersession"] = new(async h =>
            {
                string[] n = [await SupersessionCalls.NewPatientAsync(h), await SupersessionCalls.NewPatientAsync(h)];
                await SupersessionCalls.ReportAsync(h, n[0], n[1]);
                return n;
            },
            async (c, n) => await c.WithdrawSupersessionAsync(new WithdrawSupersessionRequest
            {
                NoticeId = SupersessionCalls.Notice("withdraw"), SupersededNhsNumber = n[0], NhsNumber = n[1],
            }, SupersessionCalls.Pds())),
    };

    public static TheoryData<string> WriteNames => [.. Writes.Keys];

    private static async Task<string[]> OnePatientAsync(DemographicsHost host) => [await SupersessionCalls.NewPatientAsync(host)];

    private static async Task UpdateAsync(DemographicsService.DemographicsServiceClient client, string nhs, Patient patient, string field) =>
        await client.UpdatePatientAsync(new UpdatePatientRequest { Patient = patient, UpdateMask = new FieldMask { Paths = { field } }, Etag = "v1" },
            DemographicsHost.Feed());

    [Theory]
    [MemberData(nameof(WriteNames))]
    public async Task A_write_moves_the_demographics_tag_of_every_number_it_changes_before_the_reply_and_leaves_nothing_pending(string rpc)
    {
        var write = Writes[rpc];
        var numbers = await write.Before(host);
        var bystander = await SupersessionCalls.NewPatientAsync(host);
        var reader = PatientVersionReader.For(host.Services);
        var before = await ProbeAsync(reader, [.. numbers, bystander]);

        await write.Call(host.Client, numbers);

        var after = await ProbeAsync(reader, [.. numbers, bystander]);
        for (var i = 0; i < numbers.Length; i++)
        {
            Assert.NotNull(after[i].Tag(PatientDataKind.Demographics)); // published: nothing pending
            Assert.NotEqual(before[i].Tag(PatientDataKind.Demographics), after[i].Tag(PatientDataKind.Demographics));
            Assert.Equal(before[i].Tag(PatientDataKind.Consent), after[i].Tag(PatientDataKind.Consent));
            Assert.Equal(before[i].Tag(PatientDataKind.Record), after[i].Tag(PatientDataKind.Record));
        }

        Assert.Equal(before[^1], after[^1]);
    }

    [Fact]
    public async Task A_supersession_moves_every_number_of_the_chain_it_extends_or_cuts()
    {
        var (a, b, c) = (await SupersessionCalls.NewPatientAsync(host), await SupersessionCalls.NewPatientAsync(host),
            await SupersessionCalls.NewPatientAsync(host));
        var reader = PatientVersionReader.For(host.Services);
        await SupersessionCalls.ReportAsync(host, a, b);

        var before = await ProbeAsync(reader, [a, b, c]);
        await SupersessionCalls.ReportAsync(host, b, c); // A -> B -> C: A now resolves to C too
        var joined = await ProbeAsync(reader, [a, b, c]);
        await SupersessionCalls.WithdrawAsync(host, b, c); // back to A -> B, C alone
        var cut = await ProbeAsync(reader, [a, b, c]);

        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(joined[i].Tag(PatientDataKind.Demographics));
            Assert.NotEqual(before[i].Tag(PatientDataKind.Demographics), joined[i].Tag(PatientDataKind.Demographics));
            Assert.NotNull(cut[i].Tag(PatientDataKind.Demographics));
            Assert.NotEqual(joined[i].Tag(PatientDataKind.Demographics), cut[i].Tag(PatientDataKind.Demographics));
        }
    }

    [Fact]
    public void The_numbers_announced_for_a_supersession_are_both_its_numbers_and_both_ends_of_every_link_of_their_components()
    {
        Assert.Equal(["9990000018", "9990000026", "9990000034", "9990000042"],
            SupersessionService.ComponentNumbers([("9990000018", "9990000026"), ("9990000042", "9990000026")], "9990000026", "9990000034").Order());
        Assert.Equal(["9990000018", "9990000026"], SupersessionService.ComponentNumbers([], "9990000018", "9990000026").Order());
    }

    [Theory]
    [MemberData(nameof(WriteNames))]
    public async Task With_the_version_store_unreachable_a_write_is_refused_and_nothing_is_written(string rpc)
    {
        var write = Writes[rpc];
        var numbers = await write.Before(host);
        var stored = await StoredAsync(numbers);

        await using var redis = await RedisServer.StartAsync();
        await using var replica = new ServiceReplica<DemographicsGrpcService>("Demographics", host.Database.ConnectionString, redis.ConnectionString);
        await redis.StopAsync();

        await RpcAssert.Fails(StatusCode.Unavailable, "VERSION_STORE_UNAVAILABLE",
            () => write.Call(new DemographicsService.DemographicsServiceClient(replica.Channel), numbers));

        Assert.Equal(stored, await StoredAsync(numbers));
    }

    private static async Task<PatientVersionProbe[]> ProbeAsync(PatientVersionStore reader, string[] numbers)
    {
        var probes = new PatientVersionProbe[numbers.Length];
        for (var i = 0; i < numbers.Length; i++)
        {
            probes[i] = (await reader.ProbeAsync(numbers[i]))!;
        }

        return probes;
    }

    /// <summary>What PostgreSQL holds for the numbers: patients and their versions, history rows, supersessions and their states.</summary>
    private async Task<string> StoredAsync(string[] numbers) => string.Join('|',
        await host.Database.ScalarAsync("select count(*) from patients where nhs_number::text = any(@n)", ("n", numbers)),
        await host.Database.ScalarAsync("select coalesce(sum(version), 0) from patients where nhs_number::text = any(@n)", ("n", numbers)),
        await host.Database.ScalarAsync("select count(*) from patient_versions where nhs_number::text = any(@n)", ("n", numbers)),
        await host.Database.ScalarAsync(
            "select count(*) || '/' || coalesce(sum(state), 0) from supersessions where superseded_nhs_number::text = any(@n) or nhs_number::text = any(@n)",
            ("n", numbers)));
}
