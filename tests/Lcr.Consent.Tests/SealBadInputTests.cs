using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Testing;

namespace Lcr.Consent.Tests;

/// <summary>Bad seals and reviews: INVALID_ARGUMENT naming each bad field, never the caller's text, and nothing written.</summary>
public class SealBadInputTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private ConsentService.ConsentServiceClient Client => host.Client;

    private async Task NothingWritten(Func<Task> call, params string[] fields)
    {
        var before = await host.EventCountAsync();
        var patients = await host.CountAsync("select count(*) from consent_patients");
        await RpcAssert.InvalidFields(call, fields);
        Assert.Equal(before, await host.EventCountAsync());
        Assert.Equal(patients, await host.CountAsync("select count(*) from consent_patients"));
    }

    [Fact]
    public async Task A_seal_with_every_field_wrong_names_each_one()
    {
        var request = SealCalls.Seal(ConsentHost.NewNhsNumber(), SealReason.Unspecified,
            [Calls.Viewer, "<script>alert(1)</script>", "00000000-0000-0000-0000-000000000000"], [SealCalls.Team, "RGD", "RGD:team with spaces"], note: " ");
        request.Seal.ReviewTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1));
        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await Client.SealRecordAsync(request, ConsentHost.IgOfficer()));
        Assert.DoesNotContain("script", e.Status.Detail + string.Join("", e.Trailers.Select(t => t.IsBinary ? System.Text.Encoding.UTF8.GetString(t.ValueBytes) : t.Value)), StringComparison.Ordinal);

        await NothingWritten(async () => await Client.SealRecordAsync(request, ConsentHost.IgOfficer()),
            "seal.reason", "seal.note", "seal.review_time", "seal.allowed_professional_ids[1]", "seal.allowed_professional_ids[2]",
            "seal.allowed_team_ids[1]", "seal.allowed_team_ids[2]");
    }

    [Fact]
    public async Task A_seal_for_a_view_surge_missing_parts_or_naming_too_many_is_refused()
    {
        await NothingWritten(async () => await Client.SealRecordAsync(SealCalls.Seal(ConsentHost.NewNhsNumber(), SealReason.ViewSurge), ConsentHost.IgOfficer()),
            "seal.reason");
        await NothingWritten(async () => await Client.SealRecordAsync(new SealRecordRequest { NhsNumber = "9990000000" }, ConsentHost.IgOfficer()),
            "nhs_number", "seal");

        var noReview = SealCalls.Seal(ConsentHost.NewNhsNumber(), note: new string('x', 1001));
        noReview.Seal.ReviewTime = null;
        await NothingWritten(async () => await Client.SealRecordAsync(noReview, ConsentHost.IgOfficer()), "seal.review_time", "seal.note");

        var many = SealCalls.Seal(ConsentHost.NewNhsNumber(),
            professionals: Enumerable.Range(0, 30).Select(_ => Guid.NewGuid().ToString()).ToArray(),
            teams: Enumerable.Range(0, 21).Select(i => $"RGD:T{i}").ToArray());
        await NothingWritten(async () => await Client.SealRecordAsync(many, ConsentHost.IgOfficer()), "seal");
        many.Seal.AllowedTeamIds.RemoveAt(0); // exactly 50 is fine
        var seal = (await Client.SealRecordAsync(many, ConsentHost.IgOfficer())).State.Seal;
        Assert.Equal(50, seal.AllowedProfessionalIds.Count + seal.AllowedTeamIds.Count);
    }

    [Fact]
    public async Task Unseal_review_and_automatic_seal_name_their_bad_fields()
    {
        await NothingWritten(async () => await Client.UnsealRecordAsync(new UnsealRecordRequest { NhsNumber = "9990000000" }, ConsentHost.IgOfficer()),
            "nhs_number", "reason");
        await NothingWritten(async () => await Client.StartAccessLogReviewAsync(
            new StartAccessLogReviewRequest { NhsNumber = ConsentHost.NewNhsNumber(), Reason = new string('x', 1001) }, ConsentHost.IgOfficer()), "reason");
        await NothingWritten(async () => await Client.CompleteAccessLogReviewAsync(
            new CompleteAccessLogReviewRequest { NhsNumber = ConsentHost.NewNhsNumber() }, ConsentHost.IgOfficer()), "reason");
        await NothingWritten(async () => await Client.SealRecordAutomaticallyAsync(
            new SealRecordAutomaticallyRequest { NhsNumber = ConsentHost.NewNhsNumber(), DistinctViewers = 0 }, SealCalls.Platform),
            "distinct_viewers", "review_time");
        var past = SealCalls.Auto(ConsentHost.NewNhsNumber());
        past.ReviewTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1));
        await NothingWritten(async () => await Client.SealRecordAutomaticallyAsync(past, SealCalls.Platform), "review_time");
    }

    [Fact]
    public async Task A_malformed_viewer_team_is_refused_naming_it()
    {
        await RpcAssert.InvalidFields(async () => await Client.EvaluateAccessAsync(SealCalls.Evaluate(ConsentHost.NewNhsNumber(), team: "not a team")),
            "viewer_team_id");
    }
}
