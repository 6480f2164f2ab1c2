using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Consent.V1;

namespace Lcr.Consent.Tests;

public class ConsentLifecycleTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private ConsentService.ConsentServiceClient Client => host.Client;

    [Fact]
    public async Task Patient_without_consent_record_has_the_default_state_and_no_history()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var state = (await Client.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs })).Consent;
        Assert.Equal(nhs, state.NhsNumber);
        Assert.False(state.OptedOut);
        Assert.Empty(state.Restrictions);
        Assert.Equal(0, state.Version);
        Assert.Null(state.UpdateTime);
        Assert.Empty((await Client.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs })).Changes);

        var decision = await Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(AccessDecision.Permit, decision.Decision);
        Assert.Equal(AccessDecisionReason.NoRestrictions, decision.Reason);
        Assert.False(decision.SensitiveEntriesReleased);
        Assert.Equal(0, decision.ConsentVersion);
    }

    [Fact]
    public async Task Opt_out_denies_everyone_even_in_an_emergency_and_records_who_how_and_when()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var reply = await Client.RecordOptOutAsync(Calls.OptOut(nhs, ConsentChannel.Email), ConsentHost.IgOfficer("ig-7"));
        Assert.True(reply.Changed);
        Assert.True(reply.Consent.OptedOut);
        Assert.Equal(ConsentChannel.Email, reply.Consent.OptOut.Channel);
        Assert.Equal("ig-7", reply.Consent.OptOut.RecordedBy.Id);
        Assert.Equal(ActorKind.Professional, reply.Consent.OptOut.RecordedBy.Kind);
        Assert.Equal("B86001", reply.Consent.OptOut.RecordedBy.Organisation.OdsCode);
        Assert.NotNull(reply.Consent.OptOut.RecordTime);
        Assert.Equal(1, reply.Consent.Version);

        foreach (var emergency in new[] { false, true })
        {
            var d = await Client.EvaluateAccessAsync(Calls.Evaluate(nhs, emergency: emergency));
            Assert.Equal(AccessDecision.Deny, d.Decision);
            Assert.Equal(AccessDecisionReason.PatientOptedOut, d.Reason);
            Assert.Equal(1, d.ConsentVersion);
        }
    }

    [Fact]
    public async Task Recording_the_same_opt_out_twice_is_idempotent()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
        var again = await Client.RecordOptOutAsync(Calls.OptOut(nhs, ConsentChannel.Letter), ConsentHost.IgOfficer());
        Assert.False(again.Changed);
        Assert.Equal(1, again.Consent.Version);
        Assert.Equal(ConsentChannel.Telephone, again.Consent.OptOut.Channel); // the opt-out in force is the first one
        Assert.Single((await Client.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs })).Changes);

        var notOptedOut = ConsentHost.NewNhsNumber();
        var withdraw = await Client.WithdrawOptOutAsync(Calls.OptIn(notOptedOut), ConsentHost.IgOfficer());
        Assert.False(withdraw.Changed);
        Assert.Equal(0, withdraw.Consent.Version);
        Assert.Equal(0L, await host.CountAsync($"select count(*) from consent_patients where nhs_number = '{notOptedOut}'"));
    }

    [Fact]
    public async Task History_is_kept_across_opt_out_and_opt_in_newest_first()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer("ig-1"));
        var optIn = await Client.WithdrawOptOutAsync(Calls.OptIn(nhs), ConsentHost.IgOfficer("ig-2"));
        Assert.True(optIn.Changed);
        Assert.False(optIn.Consent.OptedOut);
        Assert.Null(optIn.Consent.OptOut);
        await Client.RecordOptOutAsync(Calls.OptOut(nhs, ConsentChannel.InPerson), ConsentHost.IgOfficer("ig-3"));

        var history = (await Client.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs })).Changes;
        Assert.Equal([3L, 2L, 1L], history.Select(c => c.Version));
        Assert.Equal(
            [ConsentChangeKind.OptOutRecorded, ConsentChangeKind.OptOutWithdrawn, ConsentChangeKind.OptOutRecorded],
            history.Select(c => c.Kind));
        Assert.Equal(["ig-3", "ig-2", "ig-1"], history.Select(c => c.Actor.Id));
        Assert.Equal([ConsentChannel.InPerson, ConsentChannel.Letter, ConsentChannel.Telephone], history.Select(c => c.Channel));
        Assert.Equal("Letter dated 3 March, ref IG/2291", history[1].Reason);
        Assert.All(history, c => Assert.NotNull(c.ChangeTime));

        var d = await Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(AccessDecisionReason.PatientOptedOut, d.Reason);
        Assert.Equal(3, d.ConsentVersion);
    }

    [Fact]
    public async Task The_history_table_cannot_be_edited_in_place()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            host.Database.ScalarAsync($"update consent_events set reason = 'changed' where nhs_number = '{nhs}'"));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            host.Database.ScalarAsync($"delete from consent_events where nhs_number = '{nhs}'"));
        Assert.Equal(1L, await host.CountAsync($"select count(*) from consent_events where nhs_number = '{nhs}'"));
    }

    [Fact]
    public async Task Restrictions_are_listed_applied_and_removed_with_their_history()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var entry = Guid.NewGuid().ToString();
        var end = DateTimeOffset.UtcNow.AddDays(30);
        var withhold = await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("rgd")), ConsentHost.IgOfficer());
        var r2 = Calls.WithholdCategory(RecordCategory.Documents);
        r2.EndTime = Timestamp.FromDateTimeOffset(end);
        await Client.AddRestrictionAsync(Calls.Add(nhs, r2), ConsentHost.IgOfficer());
        var added = await Client.AddRestrictionAsync(Calls.Add(nhs, new Restriction { WithheldEntryId = entry.ToUpperInvariant() }), ConsentHost.IgOfficer());

        Assert.Equal("RGD", withhold.Restriction.WithheldOrganisation.OdsCode);
        Assert.Equal(RestrictionState.Active, withhold.Restriction.State);
        Assert.Equal(entry, added.Restriction.WithheldEntryId);
        Assert.Equal(3, added.Consent.Version);
        Assert.Equal(3, added.Consent.Restrictions.Count);

        var d = await Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(AccessDecision.Permit, d.Decision);
        Assert.Equal(AccessDecisionReason.RestrictionsApplied, d.Reason);
        Assert.Equal(["RGD"], d.WithheldOrganisationOdsCodes);
        Assert.Equal([RecordCategory.Documents], d.WithheldCategories);
        Assert.Equal([entry], d.WithheldEntryIds);

        // Asking only for problems: documents are not "withheld from the answer".
        Assert.Empty((await Client.EvaluateAccessAsync(Calls.Evaluate(nhs, categories: RecordCategory.Problems))).WithheldCategories);

        var removed = await Client.RemoveRestrictionAsync(Calls.Remove(nhs, withhold.Restriction.Id), ConsentHost.IgOfficer("ig-9"));
        Assert.Equal(RestrictionState.Removed, removed.Restriction.State);
        Assert.Equal("ig-9", removed.Restriction.RemovedBy.Id);
        Assert.Equal("Patient changed their mind, ref IG/78", removed.Restriction.RemovalReason);
        Assert.DoesNotContain(removed.Consent.Restrictions, r => r.Id == withhold.Restriction.Id);
        Assert.Empty((await Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).WithheldOrganisationOdsCodes);

        // Removing again changes nothing.
        var again = await Client.RemoveRestrictionAsync(Calls.Remove(nhs, withhold.Restriction.Id), ConsentHost.IgOfficer());
        Assert.Equal(RestrictionState.Removed, again.Restriction.State);
        Assert.Equal(4, again.Consent.Version);

        var history = (await Client.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs })).Changes;
        Assert.Equal(4, history.Count);
        Assert.Equal(ConsentChangeKind.RestrictionRemoved, history[0].Kind);
        Assert.Equal("RGD", history[0].Restriction.WithheldOrganisation.OdsCode);
        Assert.Equal(RestrictionState.Removed, history[0].Restriction.State);
        Assert.Equal(ConsentChangeKind.RestrictionAdded, history[3].Kind);
        Assert.Equal(RestrictionState.Active, history[3].Restriction.State);
        Assert.Equal(end.ToUnixTimeSeconds(), history[2].Restriction.EndTime.ToDateTimeOffset().ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Removing_an_unknown_restriction_is_not_found_and_writes_nothing()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.ReleaseSensitive()), ConsentHost.IgOfficer());
        await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Client.RemoveRestrictionAsync(Calls.Remove(nhs, Guid.NewGuid().ToString()), ConsentHost.IgOfficer()));
        Assert.Equal(1, (await Client.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs })).Consent.Version);
    }

    [Fact]
    public async Task Retrying_add_restriction_with_the_same_request_id_adds_nothing()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var requestId = Guid.NewGuid().ToString();
        var first = await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.BlockOrganisation("RR8"), requestId), ConsentHost.IgOfficer());
        var retry = await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.BlockOrganisation("rr8"), requestId), ConsentHost.IgOfficer());
        Assert.Equal(first.Restriction.Id, retry.Restriction.Id);
        Assert.Equal(1, retry.Consent.Version);

        await RpcAssert.InvalidFields(async () =>
            await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.BlockOrganisation("RGD"), requestId), ConsentHost.IgOfficer()), "request_id");
        Assert.Equal(1L, await host.CountAsync($"select count(*) from consent_events where nhs_number = '{nhs}'"));
    }

    [Fact]
    public async Task Blocks_deny_the_named_professional_or_organisation_only()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.BlockProfessional(Calls.Viewer.ToUpperInvariant())), ConsentHost.IgOfficer());
        await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.BlockOrganisation("RGD")), ConsentHost.IgOfficer());

        var blocked = await Client.EvaluateAccessAsync(Calls.Evaluate(nhs, Calls.Viewer, "B86001", emergency: true));
        Assert.Equal(AccessDecision.Deny, blocked.Decision);
        Assert.Equal(AccessDecisionReason.ProfessionalBlocked, blocked.Reason);

        var orgBlocked = await Client.EvaluateAccessAsync(Calls.Evaluate(nhs, Calls.OtherViewer, "rgd"));
        Assert.Equal(AccessDecisionReason.OrganisationBlocked, orgBlocked.Reason);

        var other = await Client.EvaluateAccessAsync(Calls.Evaluate(nhs, Calls.OtherViewer, "B86001"));
        Assert.Equal(AccessDecision.Permit, other.Decision);
        Assert.Equal(AccessDecisionReason.NoRestrictions, other.Reason);
    }

    [Fact]
    public async Task Sensitive_entries_are_released_only_while_the_patient_consents()
    {
        var nhs = ConsentHost.NewNhsNumber();
        Assert.False((await Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).SensitiveEntriesReleased);
        var release = await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.ReleaseSensitive()), ConsentHost.IgOfficer());
        Assert.True((await Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).SensitiveEntriesReleased);
        await Client.RemoveRestrictionAsync(Calls.Remove(nhs, release.Restriction.Id), ConsentHost.IgOfficer());
        Assert.False((await Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).SensitiveEntriesReleased);
    }

    [Fact]
    public async Task Restrictions_still_apply_after_opting_back_in()
    {
        var nhs = ConsentHost.NewNhsNumber();
        await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());
        await Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
        await Client.WithdrawOptOutAsync(Calls.OptIn(nhs), ConsentHost.IgOfficer());
        var d = await Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(AccessDecision.Permit, d.Decision);
        Assert.Equal(["RGD"], d.WithheldOrganisationOdsCodes);
    }

    [Fact]
    public async Task History_pages_newest_first_and_removals_show_restrictions_added_on_earlier_pages()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var added = await Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("RY6")), ConsentHost.IgOfficer());
        for (var i = 0; i < 2; i++)
        {
            await Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
            await Client.WithdrawOptOutAsync(Calls.OptIn(nhs), ConsentHost.IgOfficer());
        }

        await Client.RemoveRestrictionAsync(Calls.Remove(nhs, added.Restriction.Id), ConsentHost.IgOfficer());

        var versions = new List<long>();
        var token = string.Empty;
        ConsentChange? removal = null;
        do
        {
            var page = await Client.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs, PageSize = 2, PageToken = token });
            Assert.True(page.Changes.Count <= 2);
            removal ??= page.Changes.FirstOrDefault(c => c.Kind == ConsentChangeKind.RestrictionRemoved);
            versions.AddRange(page.Changes.Select(c => c.Version));
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal([6L, 5L, 4L, 3L, 2L, 1L], versions);
        Assert.Equal("RY6", removal!.Restriction.WithheldOrganisation.OdsCode);

        var otherPatient = ConsentHost.NewNhsNumber();
        var first = await Client.ListConsentHistoryAsync(new ListConsentHistoryRequest { NhsNumber = nhs, PageSize = 2 });
        await RpcAssert.InvalidFields(async () => await Client.ListConsentHistoryAsync(
            new ListConsentHistoryRequest { NhsNumber = otherPatient, PageToken = first.NextPageToken }), "page_token");
    }

    [Fact]
    public async Task Concurrent_changes_to_one_patient_lose_nothing()
    {
        var nhs = ConsentHost.NewNhsNumber();
        var adds = Enumerable.Range(0, 8).Select(i =>
            Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("RX" + i)), ConsentHost.IgOfficer()).ResponseAsync);
        await Task.WhenAll(adds);
        var state = (await Client.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs })).Consent;
        Assert.Equal(8, state.Version);
        Assert.Equal(8, state.Restrictions.Count);
        Assert.Equal(8, (await Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).WithheldOrganisationOdsCodes.Count);
    }
}
