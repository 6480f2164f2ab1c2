using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Testing;

namespace Lcr.Consent.Tests;

/// <summary>
/// EvaluateAccess and GetConsent over a merged record (the gateway names the numbers merged into
/// the patient's): each number's choices apply to the whole record, the stricter winning.
/// </summary>
public class MergedRecordTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private ConsentService.ConsentServiceClient Client => host.Client;

    private static EvaluateAccessRequest Merged(string kept, params string[] merged)
    {
        var request = Calls.Evaluate(kept);
        request.MergedNhsNumbers.Add(merged);
        return request;
    }

    [Fact]
    public async Task Opt_out_under_the_merged_away_number_denies_the_merged_read_and_lifting_it_there_permits_again()
    {
        var (kept, away) = (ConsentHost.NewNhsNumber(), ConsentHost.NewNhsNumber());
        await Client.RecordOptOutAsync(Calls.OptOut(away), ConsentHost.IgOfficer());

        // Without the set the kept number alone has no choices; with it, the opt-out applies.
        Assert.Equal(AccessDecision.Permit, (await Client.EvaluateAccessAsync(Calls.Evaluate(kept))).Decision);
        var denied = await Client.EvaluateAccessAsync(Merged(kept, away));
        Assert.Equal(AccessDecision.Deny, denied.Decision);
        Assert.Equal(AccessDecisionReason.PatientOptedOut, denied.Reason);
        Assert.Equal(0, denied.ConsentVersion);
        var version = Assert.Single(denied.MergedConsentVersions);
        Assert.Equal(away, version.NhsNumber);
        Assert.Equal(1, version.ConsentVersion);

        // The choice is lifted under the number it was recorded under.
        await Client.WithdrawOptOutAsync(Calls.OptIn(away), ConsentHost.IgOfficer());
        var permitted = await Client.EvaluateAccessAsync(Merged(kept, away));
        Assert.Equal(AccessDecision.Permit, permitted.Decision);
        Assert.Equal(2, permitted.MergedConsentVersions[0].ConsentVersion);
    }

    [Fact]
    public async Task A_restriction_under_either_number_applies_to_the_merged_record()
    {
        var (kept, away) = (ConsentHost.NewNhsNumber(), ConsentHost.NewNhsNumber());
        await Client.AddRestrictionAsync(Calls.Add(kept, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());
        await Client.AddRestrictionAsync(Calls.Add(away, Calls.WithholdCategory(RecordCategory.Documents)), ConsentHost.IgOfficer());
        await Client.AddRestrictionAsync(Calls.Add(away, Calls.WithholdOrganisation("RWA")), ConsentHost.IgOfficer());

        var reply = await Client.EvaluateAccessAsync(Merged(kept, away));
        Assert.Equal(AccessDecision.Permit, reply.Decision);
        Assert.Equal(AccessDecisionReason.RestrictionsApplied, reply.Reason);
        Assert.Equal(["RGD", "RWA"], reply.WithheldOrganisationOdsCodes);
        Assert.Equal([RecordCategory.Documents], reply.WithheldCategories);
        Assert.Equal(1, reply.ConsentVersion);
        Assert.Equal(2, reply.MergedConsentVersions[0].ConsentVersion);

        // A block under the merged-away number refuses the blocked organisation the whole record.
        await Client.AddRestrictionAsync(Calls.Add(away, Calls.BlockOrganisation("RR8")), ConsentHost.IgOfficer());
        Assert.Equal(AccessDecisionReason.OrganisationBlocked, (await Client.EvaluateAccessAsync(Merged(kept, away))).Reason);
    }

    [Fact]
    public async Task A_seal_under_either_number_seals_the_merged_record_and_names_only_those_on_every_seal()
    {
        var (kept, away) = (ConsentHost.NewNhsNumber(), ConsentHost.NewNhsNumber());
        await Client.SealRecordAsync(SealCalls.Seal(away, professionals: [Calls.Viewer]), ConsentHost.IgOfficer());

        var named = await Client.EvaluateAccessAsync(Merged(kept, away));
        Assert.True(named.Sealed);
        Assert.True(named.ViewerNamedOnSeal);
        Assert.False((await Client.EvaluateAccessAsync(Calls.Evaluate(kept))).Sealed);

        await Client.SealRecordAsync(SealCalls.Seal(kept, professionals: [Calls.OtherViewer]), ConsentHost.IgOfficer());
        var notOnEvery = await Client.EvaluateAccessAsync(Merged(kept, away));
        Assert.True(notOnEvery.Sealed);
        Assert.False(notOnEvery.ViewerNamedOnSeal);
    }

    [Fact]
    public async Task Sensitive_entries_are_released_only_when_every_number_released_them()
    {
        var (kept, away) = (ConsentHost.NewNhsNumber(), ConsentHost.NewNhsNumber());
        await Client.AddRestrictionAsync(Calls.Add(kept, Calls.ReleaseSensitive()), ConsentHost.IgOfficer());
        Assert.True((await Client.EvaluateAccessAsync(Calls.Evaluate(kept))).SensitiveEntriesReleased);
        Assert.False((await Client.EvaluateAccessAsync(Merged(kept, away))).SensitiveEntriesReleased); // no record under `away`

        await Client.AddRestrictionAsync(Calls.Add(away, Calls.ReleaseSensitive()), ConsentHost.IgOfficer());
        Assert.True((await Client.EvaluateAccessAsync(Merged(kept, away))).SensitiveEntriesReleased);
    }

    [Fact]
    public async Task A_change_under_the_merged_away_number_is_seen_by_the_next_read_with_warm_caches()
    {
        using var counters = new CacheCounters(host.Services);
        var (kept, away) = (ConsentHost.NewNhsNumber(), ConsentHost.NewNhsNumber());
        await Client.AddRestrictionAsync(Calls.Add(kept, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());
        await Client.AddRestrictionAsync(Calls.Add(away, Calls.WithholdOrganisation("RWA")), ConsentHost.IgOfficer());
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(["RGD", "RWA"], (await Client.EvaluateAccessAsync(Merged(kept, away))).WithheldOrganisationOdsCodes);
        }

        Assert.True(counters.Hits >= 4, $"hits {counters.Hits}");

        await Client.RecordOptOutAsync(Calls.OptOut(away), ConsentHost.IgOfficer());
        Assert.Equal(AccessDecisionReason.PatientOptedOut, (await Client.EvaluateAccessAsync(Merged(kept, away))).Reason);
    }

    [Fact]
    public async Task GetConsent_returns_each_merged_numbers_consent_in_request_order()
    {
        var (kept, first, second) = (ConsentHost.NewNhsNumber(), ConsentHost.NewNhsNumber(), ConsentHost.NewNhsNumber());
        await Client.RecordOptOutAsync(Calls.OptOut(second), ConsentHost.IgOfficer());
        await Client.AddRestrictionAsync(Calls.Add(first, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());

        var reply = await Client.GetConsentAsync(new GetConsentRequest { NhsNumber = kept, MergedNhsNumbers = { second, first } });
        Assert.Equal(kept, reply.Consent.NhsNumber);
        Assert.Equal(0, reply.Consent.Version);
        Assert.Equal([second, first], reply.MergedConsents.Select(c => c.NhsNumber));
        Assert.True(reply.MergedConsents[0].OptedOut);
        Assert.Equal("RGD", Assert.Single(reply.MergedConsents[1].Restrictions).WithheldOrganisation.OdsCode);
        Assert.Empty((await Client.GetConsentAsync(new GetConsentRequest { NhsNumber = kept })).MergedConsents);
    }

    [Fact]
    public async Task Bad_merged_numbers_are_refused_naming_each_one()
    {
        var kept = ConsentHost.NewNhsNumber();
        var other = ConsentHost.NewNhsNumber();
        string[] bad = ["9990000000", kept, other, other, ""];
        await RpcAssert.InvalidFields(async () => await Client.EvaluateAccessAsync(Merged(kept, bad)),
            "merged_nhs_numbers[0]", "merged_nhs_numbers[1]", "merged_nhs_numbers[3]", "merged_nhs_numbers[4]");
        await RpcAssert.InvalidFields(async () => await Client.GetConsentAsync(new GetConsentRequest { NhsNumber = kept, MergedNhsNumbers = { bad } }),
            "merged_nhs_numbers[0]", "merged_nhs_numbers[1]", "merged_nhs_numbers[3]", "merged_nhs_numbers[4]");
        var tooMany = Enumerable.Range(0, 51).Select(_ => ConsentHost.NewNhsNumber()).ToArray();
        await RpcAssert.InvalidFields(async () => await Client.EvaluateAccessAsync(Merged(kept, tooMany)), "merged_nhs_numbers");
    }
}
