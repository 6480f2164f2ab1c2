using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Tests.Patients;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults.DevData;
using StackExchange.Redis;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;

namespace Lcr.Gateway.Tests.ReadCache;

/// <summary>
/// Issue 22's invariants for the gateway's read cache, with two gateway replicas over the same
/// services and Redis: every read refuses or filters as of the last consent change whose writer
/// has its reply, shows a contribution or a demographics change as soon as its writer has the
/// reply, across Redis flush, restart and outage, and one replica without Redis. Each test first
/// proves the second replica really answered from its cache (no consent call), so a pass is not
/// the cache being off. Each test has its own ordinary B86001 patient(s) and leaves them as found.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class ReadCacheInvariantTests(PlatformFixture platform)
{
    // Ordinary patients registered at B86001, from the end of the cohort (no other test reads them).
    private static readonly string[] Patients = SyntheticCohort.Patients
        .Select((p, i) => (p, i))
        .Where(x => x.p.PracticeOds == "B86001" && SyntheticOrganisations.Scenario.IsOrdinary(x.i) && !x.p.Restricted)
        .Select(x => x.p.NhsNumber)
        .Reverse()
        .Take(10)
        .ToArray();

    private Grpc.Net.Client.GrpcChannel Writer => platform.Gateway.Channel;

    private GatewayHost SecondReplica(CallCounter calls, IReadOnlyDictionary<string, string>? settings = null) =>
        platform.CreateGateway(wrap: (_, handler) => calls.Wrap(handler), settings: settings);

    private static async Task<GetPatientRecordResponse> ReadAsync(Grpc.Net.Client.GrpcChannel gateway, string nhs, Metadata token) =>
        await RecordsClient(gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, token);

    private async Task<Metadata> GpAsync(string nhs) => Bearer((await AccessAsync(Writer, "gp.b86001", nhs)).AccessToken);

    private async Task<Metadata> IgAsync(string nhs) =>
        Bearer((await AccessAsync(Writer, "ig.b86001", nhs, PurposeOfUse.InformationGovernance)).AccessToken);

    /// <summary>Reads twice through the replica; the second read must come from its cache (no consent, resolve or summary call).</summary>
    private static async Task WarmAsync(GatewayHost replica, CallCounter calls, string nhs, Metadata token)
    {
        await ReadAsync(replica.Channel, nhs, token);
        var (consent, resolve, summary) = (calls["EvaluateAccess"], calls["ResolveNhsNumber"], calls["GetRecordSummary"]);
        await ReadAsync(replica.Channel, nhs, token);
        Assert.Equal(consent, calls["EvaluateAccess"]);
        Assert.Equal(resolve, calls["ResolveNhsNumber"]);
        Assert.Equal(summary, calls["GetRecordSummary"]);
    }

    private async Task<AddRestrictionResponse> WithholdAsync(string nhs, RecordCategory category) =>
        await new ConsentService.ConsentServiceClient(Writer).AddRestrictionAsync(new AddRestrictionRequest
        {
            NhsNumber = nhs,
            RequestId = Guid.NewGuid().ToString(),
            Restriction = new Restriction { WithheldCategory = category, Reason = "Patient asked at the surgery", Channel = ConsentChannel.InPerson },
        }, await IgAsync(nhs));

    private async Task LiftAsync(string nhs, string restrictionId) =>
        await new ConsentService.ConsentServiceClient(Writer).RemoveRestrictionAsync(
            new RemoveRestrictionRequest { NhsNumber = nhs, RestrictionId = restrictionId, Reason = "Patient changed their mind", Channel = ConsentChannel.Letter }, await IgAsync(nhs));

    private async Task OptOutAsync(string nhs) =>
        await new ConsentService.ConsentServiceClient(Writer).RecordOptOutAsync(
            new RecordOptOutRequest { NhsNumber = nhs, Reason = "Patient letter", Channel = ConsentChannel.Letter },
            await IgAsync(nhs));

    private async Task OptInAsync(string nhs) =>
        await new ConsentService.ConsentServiceClient(Writer).WithdrawOptOutAsync(
            new WithdrawOptOutRequest { NhsNumber = nhs, Reason = "Patient letter", Channel = ConsentChannel.Letter },
            await IgAsync(nhs));

    private static bool HasMedications(GetPatientRecordResponse r) => r.ReturnedCategories.Contains(RecordCategory.Medications);

    [Fact]
    public async Task A_consent_change_through_one_replica_applies_to_the_very_next_read_through_the_other()
    {
        var nhs = Patients[0];
        var calls = new CallCounter();
        await using var replica = SecondReplica(calls);
        var gp = await GpAsync(nhs);
        await WarmAsync(replica, calls, nhs, gp);
        Assert.True(HasMedications(await ReadAsync(replica.Channel, nhs, gp)));

        var withheld = await WithholdAsync(nhs, RecordCategory.Medications);
        var filtered = await ReadAsync(replica.Channel, nhs, gp);
        Assert.False(HasMedications(filtered));
        Assert.Empty(filtered.CurrentMedications);
        Assert.True(filtered.PatientRestrictionsApply);

        await OptOutAsync(nhs);
        var refused = await Fails(StatusCode.PermissionDenied, async () => await ReadAsync(replica.Channel, nhs, gp));
        Assert.Equal("PATIENT_OPTED_OUT", Reason(refused));
        await Fails(StatusCode.PermissionDenied, async () => await RecordsClient(replica.Channel).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems }, gp));

        await OptInAsync(nhs);
        await LiftAsync(nhs, withheld.Restriction.Id);
        Assert.True(HasMedications(await ReadAsync(replica.Channel, nhs, gp)));
    }

    [Fact]
    public async Task A_contribution_and_a_demographics_change_through_one_replica_are_in_the_next_read_through_the_other()
    {
        var nhs = Patients[1];
        var calls = new CallCounter();
        await using var replica = SecondReplica(calls);
        var gp = await GpAsync(nhs);
        await WarmAsync(replica, calls, nhs, gp);
        var list = new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems, PageSize = 200 };
        await RecordsClient(replica.Channel).ListRecordEntriesAsync(list, gp);

        var entryId = await PatientIdentityCalls.ContributeProblemAsync(Writer, nhs);
        Assert.Contains((await ReadAsync(replica.Channel, nhs, gp)).ActiveProblems, e => e.Id == entryId);
        Assert.Contains((await RecordsClient(replica.Channel).ListRecordEntriesAsync(list, gp)).Entries, e => e.Id == entryId);
        Assert.Equal(entryId, (await RecordsClient(replica.Channel).GetRecordEntryAsync(
            new GetRecordEntryRequest { NhsNumber = nhs, EntryId = entryId }, gp)).Entry.Id);

        var feed = Bearer(await SystemAsync(Writer, "b86001-gp-feed", "demographics.write"));
        var postcode = "LS" + Random.Shared.Next(1, 29) + " " + Random.Shared.Next(1, 9) + "AB";
        await new DemographicsService.DemographicsServiceClient(Writer).UpdateContactDetailsAsync(new UpdateContactDetailsRequest
        {
            NhsNumber = nhs, Address = new Address { Lines = { "3 Cache Street", "Leeds" }, Postcode = postcode },
        }, feed);
        Assert.Equal(postcode, (await ReadAsync(replica.Channel, nhs, gp)).Patient.Address.Postcode);
    }

    [Fact]
    public async Task A_merge_reported_while_a_replica_holds_the_number_refuses_the_merged_away_number_at_once()
    {
        var (away, into) = (Patients[2], Patients[3]);
        var calls = new CallCounter();
        await using var replica = SecondReplica(calls);
        var gp = await GpAsync(away);
        await WarmAsync(replica, calls, away, gp);

        var notice = "cache-test-" + Guid.NewGuid().ToString("N");
        await PatientIdentityCalls.MergeAsync(Writer, notice, away, into);
        try
        {
            var refused = await Fails(StatusCode.FailedPrecondition, async () => await ReadAsync(replica.Channel, away, gp));
            Assert.Equal("NHS_NUMBER_SUPERSEDED", Reason(refused));
            var gpInto = await GpAsync(into);
            Assert.Contains(away, (await ReadAsync(replica.Channel, into, gpInto)).MergedNhsNumbers);
        }
        finally
        {
            await new DemographicsService.DemographicsServiceClient(Writer).WithdrawSupersessionAsync(
                new WithdrawSupersessionRequest { NoticeId = notice + "-w", SupersededNhsNumber = away, NhsNumber = into },
                await PatientIdentityCalls.PdsFeedAsync(Writer));
        }

        await ReadAsync(replica.Channel, away, gp); // two patients again, at once
    }

    [Fact]
    public async Task After_a_redis_flush_a_replica_reuses_nothing_old_and_the_next_consent_change_applies_at_once()
    {
        var nhs = Patients[4];
        var calls = new CallCounter();
        await using var replica = SecondReplica(calls);
        var gp = await GpAsync(nhs);
        await WarmAsync(replica, calls, nhs, gp);

        await using (var admin = await ConnectionMultiplexer.ConnectAsync(platform.Redis.ConnectionString + ",allowAdmin=true"))
        {
            await admin.GetServer(admin.GetEndPoints()[0]).FlushAllDatabasesAsync();
        }

        var consent = calls["EvaluateAccess"];
        await ReadAsync(replica.Channel, nhs, gp); // nothing of the old epoch is reused
        Assert.True(calls["EvaluateAccess"] > consent);

        var withheld = await WithholdAsync(nhs, RecordCategory.Medications);
        Assert.False(HasMedications(await ReadAsync(replica.Channel, nhs, gp)));
        await LiftAsync(nhs, withheld.Restriction.Id);
        Assert.True(HasMedications(await ReadAsync(replica.Channel, nhs, gp)));
    }

    [Fact]
    public async Task With_redis_down_reads_come_from_the_services_consent_changes_are_refused_unwritten_and_after_an_empty_restart_nothing_old_is_reused()
    {
        var nhs = Patients[5];
        var calls = new CallCounter();
        await using var replica = SecondReplica(calls);
        var gp = await GpAsync(nhs);
        var ig = await IgAsync(nhs);
        await WarmAsync(replica, calls, nhs, gp);
        var before = (await new ConsentService.ConsentServiceClient(Writer).GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, ig)).Consent.Version;

        await platform.Redis.StopAsync();
        try
        {
            var consent = calls["EvaluateAccess"];
            Assert.True(HasMedications(await ReadAsync(replica.Channel, nhs, gp)));
            Assert.True(calls["EvaluateAccess"] > consent); // asked, not reused

            var refused = await Fails(StatusCode.Unavailable, async () => await WithholdAsync(nhs, RecordCategory.Medications));
            Assert.Equal("VERSION_STORE_UNAVAILABLE", Reason(refused));
            Assert.Equal(before, (await new ConsentService.ConsentServiceClient(Writer).GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, ig)).Consent.Version);
        }
        finally
        {
            await platform.RestartRedisAsync(); // empty: the test server keeps nothing on disk
        }

        // Once the writers reach Redis again, the change is made and applies to the next read.
        var withheld = await Eventually(() => WithholdAsync(nhs, RecordCategory.Medications));
        Assert.False(HasMedications(await ReadAsync(replica.Channel, nhs, gp)));
        await LiftAsync(nhs, withheld.Restriction.Id);
        Assert.True(HasMedications(await ReadAsync(replica.Channel, nhs, gp)));
    }

    [Fact]
    public async Task A_replica_that_cannot_reach_redis_asks_the_services_every_time_and_stays_exact()
    {
        var nhs = Patients[6];
        var calls = new CallCounter();
        await using var blind = SecondReplica(calls, new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = "127.0.0.1:1,abortConnect=false,connectTimeout=200,syncTimeout=200,asyncTimeout=200",
        });
        var gp = await GpAsync(nhs);
        await ReadAsync(blind.Channel, nhs, gp);
        var consent = calls["EvaluateAccess"];
        await ReadAsync(blind.Channel, nhs, gp);
        Assert.Equal(consent + 1, calls["EvaluateAccess"]);

        var withheld = await WithholdAsync(nhs, RecordCategory.Medications);
        Assert.False(HasMedications(await ReadAsync(blind.Channel, nhs, gp)));
        await LiftAsync(nhs, withheld.Restriction.Id);
        Assert.True(HasMedications(await ReadAsync(blind.Channel, nhs, gp)));
    }

    [Fact]
    public async Task A_replica_with_another_pseudonym_key_reuses_nothing()
    {
        var nhs = Patients[7];
        var calls = new CallCounter();
        await using var stranger = SecondReplica(calls, new Dictionary<string, string>
        {
            ["Lcr:PseudonymKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        });
        var gp = await GpAsync(nhs);
        await ReadAsync(stranger.Channel, nhs, gp);
        var consent = calls["EvaluateAccess"];
        await ReadAsync(stranger.Channel, nhs, gp);
        Assert.Equal(consent + 1, calls["EvaluateAccess"]);
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> action)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && attempt < 60)
            {
                await Task.Delay(250);
            }
        }
    }
}
