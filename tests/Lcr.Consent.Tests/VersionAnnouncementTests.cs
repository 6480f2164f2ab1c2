using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Consent.Tests;

/// <summary>
/// Every consent change announces itself to the readers that keep consent inputs in memory:
/// after the reply the patient's Consent tag in the version store has moved on and nothing is
/// pending, the other kinds are untouched; with the version store unreachable the change is
/// refused UNAVAILABLE VERSION_STORE_UNAVAILABLE and nothing is written.
/// </summary>
public sealed class VersionAnnouncementTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    /// <summary>One consent write RPC: what must stand before it (so it changes something), and the write itself.</summary>
    private sealed record Write(Func<ConsentService.ConsentServiceClient, string, Task> Before,
        Func<ConsentService.ConsentServiceClient, string, Task> Call);

    private static readonly Dictionary<string, Write> Writes = new()
    {
        ["RecordOptOut"] = new(None, async (c, n) => await c.RecordOptOutAsync(Calls.OptOut(n), ConsentHost.IgOfficer())),
        ["WithdrawOptOut"] = new(async (c, n) => await c.RecordOptOutAsync(Calls.OptOut(n), ConsentHost.IgOfficer()),
            async (c, n) => await c.WithdrawOptOutAsync(Calls.OptIn(n), ConsentHost.IgOfficer())),
        ["AddRestriction"] = new(None,
            async (c, n) => await c.AddRestrictionAsync(Calls.Add(n, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer())),
        ["RemoveRestriction"] = new(async (c, n) => await c.AddRestrictionAsync(Calls.Add(n, Calls.BlockOrganisation("RR8")), ConsentHost.IgOfficer()),
            async (c, n) =>
            {
                var id = (await c.GetConsentAsync(new GetConsentRequest { NhsNumber = n }, ConsentHost.IgOfficer())).Consent.Restrictions[0].Id;
                await c.RemoveRestrictionAsync(Calls.Remove(n, id), ConsentHost.IgOfficer());
            }),
        ["SealRecord"] = new(None, async (c, n) => await c.SealRecordAsync(SealCalls.Seal(n), ConsentHost.IgOfficer())),
        ["UnsealRecord"] = new(async (c, n) => await c.SealRecordAsync(SealCalls.Seal(n), ConsentHost.IgOfficer()),
            async (c, n) => await c.UnsealRecordAsync(SealCalls.Unseal(n), ConsentHost.IgOfficer())),
        ["SealRecordAutomatically"] = new(None, async (c, n) => await c.SealRecordAutomaticallyAsync(SealCalls.Auto(n), SealCalls.Platform)),
        ["StartAccessLogReview"] = new(None, async (c, n) => await c.StartAccessLogReviewAsync(
            new StartAccessLogReviewRequest { NhsNumber = n, Reason = "Coercion suspected, ref IG/R-1" }, ConsentHost.IgOfficer())),
        ["CompleteAccessLogReview"] = new(async (c, n) => await c.StartAccessLogReviewAsync(
                new StartAccessLogReviewRequest { NhsNumber = n, Reason = "Coercion suspected, ref IG/R-1" }, ConsentHost.IgOfficer()),
            async (c, n) => await c.CompleteAccessLogReviewAsync(
                new CompleteAccessLogReviewRequest { NhsNumber = n, Reason = "Review done, ref IG/R-2" }, ConsentHost.IgOfficer())),
    };

    public static TheoryData<string> WriteNames => [.. Writes.Keys];

    private static Task None(ConsentService.ConsentServiceClient client, string nhs) => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(WriteNames))]
    public async Task A_change_moves_the_patients_consent_tag_on_before_the_reply_and_leaves_nothing_pending(string rpc)
    {
        var write = Writes[rpc];
        var nhs = ConsentHost.NewNhsNumber();
        var reader = PatientVersionReader.For(host.Services);
        await write.Before(host.Client, nhs);
        var before = (await reader.ProbeAsync(nhs))!;
        Assert.NotNull(before.Tag(PatientDataKind.Consent));

        await write.Call(host.Client, nhs);

        var after = (await reader.ProbeAsync(nhs))!;
        Assert.NotNull(after.Tag(PatientDataKind.Consent)); // published: nothing pending
        Assert.NotEqual(before.Tag(PatientDataKind.Consent), after.Tag(PatientDataKind.Consent));
        Assert.Equal(before.Tag(PatientDataKind.Record), after.Tag(PatientDataKind.Record));
        Assert.Equal(before.Tag(PatientDataKind.Demographics), after.Tag(PatientDataKind.Demographics));
    }

    [Theory]
    [MemberData(nameof(WriteNames))]
    public async Task With_the_version_store_unreachable_a_change_is_refused_and_nothing_is_written(string rpc)
    {
        var write = Writes[rpc];
        var nhs = ConsentHost.NewNhsNumber();
        await write.Before(host.Client, nhs);
        var history = await HistoryCountAsync(nhs);
        var state = (await host.Client.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, ConsentHost.IgOfficer())).Consent;

        await using var redis = await RedisServer.StartAsync();
        await using var replica = new ConsentReplica(host.Database.ConnectionString, redis.ConnectionString);
        await redis.StopAsync();

        await RpcAssert.Fails(StatusCode.Unavailable, "VERSION_STORE_UNAVAILABLE", () => write.Call(replica.Client, nhs));

        Assert.Equal(history, await HistoryCountAsync(nhs));
        Assert.Equal(state, (await host.Client.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, ConsentHost.IgOfficer())).Consent);
    }

    private async Task<int> HistoryCountAsync(string nhs) =>
        (await host.Client.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs, PageSize = 100 }, ConsentHost.IgOfficer())).Changes.Count;
}
