using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Testing;

namespace Lcr.Consent.Tests;

/// <summary>Sealed records: seal, replace, unseal, the automatic seal, and what EvaluateAccess says about them.</summary>
public class SealTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private ConsentService.ConsentServiceClient Client => host.Client;

    private async Task<IList<ConsentChange>> HistoryAsync(string nhs) =>
        (await Client.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs })).Changes;

    [Fact]
    public async Task Sealing_records_the_seal_and_its_replacement_and_unsealing_in_the_history()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var first = (await Client.SealRecordAsync(SealCalls.Seal(nhs, professionals: [Calls.Viewer.ToUpperInvariant(), Calls.Viewer], teams: ["rgd:cmht-north"]),
            ConsentHost.IgOfficer("ig-9"))).State;
        Assert.Equal(1, first.Version);
        Assert.Equal(SealReason.StaffAsPatient, first.Seal.Reason);
        Assert.Equal([Calls.Viewer], first.Seal.AllowedProfessionalIds); // canonical, distinct
        Assert.Equal([SealCalls.Team], first.Seal.AllowedTeamIds); // upper case
        Assert.False(first.Seal.Automatic);
        Assert.Equal("ig-9", first.Seal.SealedBy.Id);
        Assert.NotNull(first.Seal.SealTime);
        Assert.NotNull(first.Seal.ReviewTime);
        Assert.Equal((await Client.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs })).Consent, first);

        var replaced = (await Client.SealRecordAsync(SealCalls.Seal(nhs, SealReason.HighProfile, [Calls.OtherViewer], note: "In the news, ref IG/S-3"),
            ConsentHost.IgOfficer())).State;
        Assert.Equal(2, replaced.Version);
        Assert.Equal(SealReason.HighProfile, replaced.Seal.Reason);
        Assert.Equal([Calls.OtherViewer], replaced.Seal.AllowedProfessionalIds);
        Assert.Empty(replaced.Seal.AllowedTeamIds);

        var unsealed = await Client.UnsealRecordAsync(SealCalls.Unseal(nhs), ConsentHost.IgOfficer());
        Assert.True(unsealed.Changed);
        Assert.Null(unsealed.State.Seal);
        Assert.Equal(3, unsealed.State.Version);
        var again = await Client.UnsealRecordAsync(SealCalls.Unseal(nhs), ConsentHost.IgOfficer());
        Assert.False(again.Changed);
        Assert.Equal(3, again.State.Version);

        var history = await HistoryAsync(nhs);
        Assert.Equal([ConsentChangeKind.RecordUnsealed, ConsentChangeKind.RecordSealed, ConsentChangeKind.RecordSealed], history.Select(c => c.Kind));
        Assert.Equal(SealReason.HighProfile, history[0].Seal.Reason); // the seal lifted
        Assert.Equal("In the news, ref IG/S-3", history[0].Seal.Note);
        Assert.StartsWith("Review found", history[0].Reason, StringComparison.Ordinal);
        Assert.Equal(SealReason.StaffAsPatient, history[2].Seal.Reason);
        Assert.Equal([SealCalls.Team], history[2].Seal.AllowedTeamIds);
    }

    [Fact]
    public async Task Unsealing_a_record_never_sealed_changes_nothing()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var reply = await Client.UnsealRecordAsync(SealCalls.Unseal(nhs), ConsentHost.IgOfficer());
        Assert.False(reply.Changed);
        Assert.Equal(0, reply.State.Version);
        Assert.Empty(await HistoryAsync(nhs));
    }

    [Fact]
    public async Task Evaluation_says_sealed_and_whether_the_viewer_is_named_by_id_or_team()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var before = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs));
        Assert.False(before.Sealed);
        Assert.False(before.ViewerNamedOnSeal);

        await Client.SealRecordAsync(SealCalls.Seal(nhs, teams: [SealCalls.Team]), ConsentHost.IgOfficer());

        var named = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs, Calls.Viewer.ToUpperInvariant()));
        Assert.Equal(AccessDecision.Permit, named.Decision);
        Assert.True(named.Sealed);
        Assert.True(named.ViewerNamedOnSeal);
        Assert.Equal(1, named.ConsentVersion);

        var byTeam = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs, Calls.OtherViewer, "rgd:cmht-north"));
        Assert.True(byTeam.Sealed);
        Assert.True(byTeam.ViewerNamedOnSeal);

        var neither = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs, Calls.OtherViewer, "RGD:OTHER-TEAM"));
        Assert.Equal(AccessDecision.Permit, neither.Decision); // the gateway shows the sealed notice only
        Assert.True(neither.Sealed);
        Assert.False(neither.ViewerNamedOnSeal);

        await Client.UnsealRecordAsync(SealCalls.Unseal(nhs), ConsentHost.IgOfficer());
        var after = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs));
        Assert.False(after.Sealed);
        Assert.False(after.ViewerNamedOnSeal);
    }

    [Fact]
    public async Task Opt_out_and_blocks_still_deny_a_viewer_named_on_the_seal()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await Client.SealRecordAsync(SealCalls.Seal(nhs), ConsentHost.IgOfficer());
        await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.BlockProfessional(Calls.Viewer)), ConsentHost.IgOfficer());
        var blocked = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs));
        Assert.Equal(AccessDecision.Deny, blocked.Decision);
        Assert.Equal(AccessDecisionReason.ProfessionalBlocked, blocked.Reason);
        Assert.True(blocked.Sealed);

        await Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
        Assert.Equal(AccessDecisionReason.PatientOptedOut, (await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs))).Reason);
    }

    [Fact]
    public async Task The_platform_seals_automatically_once_naming_nobody()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var first = await Client.SealRecordAutomaticallyAsync(SealCalls.Auto(nhs), SealCalls.Platform);
        Assert.True(first.Sealed);
        Assert.Equal(SealReason.ViewSurge, first.State.Seal.Reason);
        Assert.True(first.State.Seal.Automatic);
        Assert.Empty(first.State.Seal.AllowedProfessionalIds);
        Assert.Empty(first.State.Seal.AllowedTeamIds);
        Assert.Equal(ActorKind.Platform, first.State.Seal.SealedBy.Kind);
        Assert.Equal("gateway", first.State.Seal.SealedBy.Id);
        Assert.Contains("12 distinct professionals", first.State.Seal.Note, StringComparison.Ordinal);

        var again = await Client.SealRecordAutomaticallyAsync(SealCalls.Auto(nhs, 20), SealCalls.Platform);
        Assert.False(again.Sealed);
        Assert.Equal(1, again.State.Version);
        Assert.Single(await HistoryAsync(nhs));

        var decision = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs));
        Assert.True(decision.Sealed);
        Assert.False(decision.ViewerNamedOnSeal);

        // An IG officer's seal is never overwritten by the automatic one.
        var manual = ConsentHost.NewNhsNumber();
        await Client.SealRecordAsync(SealCalls.Seal(manual), ConsentHost.IgOfficer());
        var onManual = await Client.SealRecordAutomaticallyAsync(SealCalls.Auto(manual), SealCalls.Platform);
        Assert.False(onManual.Sealed);
        Assert.Equal(SealReason.StaffAsPatient, onManual.State.Seal.Reason);
    }

    [Fact]
    public async Task Only_the_platform_seals_automatically()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var before = await host.EventCountAsync();
        await RpcAssert.Fails(StatusCode.PermissionDenied, "PLATFORM_ONLY",
            async () => await Client.SealRecordAutomaticallyAsync(SealCalls.Auto(nhs), ConsentHost.IgOfficer()));
        Assert.Equal(before, await host.EventCountAsync());
    }

    [Fact]
    public async Task Enhanced_review_is_started_and_completed_idempotently_and_shown_in_evaluation_and_history()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var started = (await Client.StartAccessLogReviewAsync(
            new StartAccessLogReviewRequest { NhsNumber = nhs, Reason = "Coercion suspected, ref IG/R-1" }, ConsentHost.IgOfficer("ig-4"))).State;
        Assert.Equal("1290301000000109", started.AccessLogReview.SnomedCode);
        Assert.Equal("Coercion suspected, ref IG/R-1", started.AccessLogReview.Reason);
        Assert.Equal("ig-4", started.AccessLogReview.StartedBy.Id);
        Assert.NotNull(started.AccessLogReview.StartTime);
        var twice = (await Client.StartAccessLogReviewAsync(
            new StartAccessLogReviewRequest { NhsNumber = nhs, Reason = "Again" }, ConsentHost.IgOfficer())).State;
        Assert.Equal(1, twice.Version);
        Assert.Equal("Coercion suspected, ref IG/R-1", twice.AccessLogReview.Reason);

        var during = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs));
        Assert.True(during.AccessLogUnderReview);
        Assert.False(during.Sealed);
        Assert.Equal(AccessDecisionReason.NoRestrictions, during.Reason);

        var done = (await Client.CompleteAccessLogReviewAsync(
            new CompleteAccessLogReviewRequest { NhsNumber = nhs, Reason = "Reviewed with the patient, ref IG/R-2" }, ConsentHost.IgOfficer())).State;
        Assert.Null(done.AccessLogReview);
        Assert.Equal(2, done.Version);
        var doneTwice = (await Client.CompleteAccessLogReviewAsync(
            new CompleteAccessLogReviewRequest { NhsNumber = nhs, Reason = "Again" }, ConsentHost.IgOfficer())).State;
        Assert.Equal(2, doneTwice.Version);
        Assert.False((await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs))).AccessLogUnderReview);

        Assert.Equal([ConsentChangeKind.AccessLogReviewCompleted, ConsentChangeKind.AccessLogReviewStarted],
            (await HistoryAsync(nhs)).Select(c => c.Kind));
    }

    [Fact]
    public async Task A_seal_is_seen_by_the_next_evaluation_through_a_warm_cache_and_from_redis_on_another_replica()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());
        for (var i = 0; i < 2; i++)
        {
            Assert.False((await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs))).Sealed); // warm at version 1
        }

        await Client.SealRecordAsync(SealCalls.Seal(nhs, professionals: [Calls.OtherViewer], teams: [SealCalls.Team]), ConsentHost.IgOfficer());
        await Client.StartAccessLogReviewAsync(new StartAccessLogReviewRequest { NhsNumber = nhs, Reason = "ref IG/R-3" }, ConsentHost.IgOfficer());
        var next = await Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs));
        Assert.True(next.Sealed);
        Assert.False(next.ViewerNamedOnSeal);
        Assert.True(next.AccessLogUnderReview);

        // Another replica without an in-memory tier: what Redis holds carries the seal and the review.
        await using var replica = new ConsentReplica(host.Database.ConnectionString, host.RedisConnectionString, localCache: false);
        using var counters = new CacheCounters(replica.Services);
        for (var i = 0; i < 2; i++)
        {
            var d = await replica.Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs, Calls.OtherViewer));
            Assert.True(d.Sealed);
            Assert.True(d.ViewerNamedOnSeal);
            Assert.True(d.AccessLogUnderReview);
            Assert.Equal(["RGD"], d.WithheldOrganisationOdsCodes);
            Assert.True((await replica.Client.EvaluateAccessAsync(SealCalls.Evaluate(nhs, Calls.Viewer, SealCalls.Team))).ViewerNamedOnSeal);
        }

        Assert.True(counters.Hits >= 1, $"hits {counters.Hits}");
    }
}
