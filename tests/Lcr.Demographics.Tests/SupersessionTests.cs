using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Demographics.V1;

namespace Lcr.Demographics.Tests;

/// <summary>ReportSupersession, WithdrawSupersession, ResolveNhsNumber and ListSupersessions against real PostgreSQL.</summary>
public class SupersessionTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    private DemographicsService.DemographicsServiceClient Client => host.Client;

    private Task<string> NewPatientAsync(DateOnly? death = null) => SupersessionCalls.NewPatientAsync(host, death);

    private Task<ReportSupersessionResponse> ReportAsync(string superseded, string by, string? notice = null) =>
        SupersessionCalls.ReportAsync(host, superseded, by, notice);

    private Task<WithdrawSupersessionResponse> WithdrawAsync(string superseded, string by, string? notice = null) =>
        SupersessionCalls.WithdrawAsync(host, superseded, by, notice);

    private Task<ResolveNhsNumberResponse> ResolveAsync(string nhs) => SupersessionCalls.ResolveAsync(host, nhs);

    private static string Notice(string prefix = "pds") => SupersessionCalls.Notice(prefix);

    [Fact]
    public async Task Reported_supersession_points_the_superseded_number_at_the_kept_one()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var reply = await ReportAsync(a, b);

        Assert.True(reply.Created);
        var s = reply.Supersession;
        Assert.True(Guid.TryParse(s.Id, out _));
        Assert.Equal((a, b), (s.SupersededNhsNumber, s.NhsNumber));
        Assert.Equal(SupersessionState.Active, s.State);
        Assert.Equal(s.RecordTime, s.EffectiveTime); // defaults to the record time
        Assert.Equal(ActorKind.System, s.ReportedBy.Kind);
        Assert.Equal("pds-feed", s.ReportedBy.Id);
        Assert.Equal("LCR", s.ReportedBy.Organisation.OdsCode);
        Assert.Empty(s.WithdrawalNoticeId);
        Assert.Null(s.WithdrawTime);

        var old = await ResolveAsync(a);
        Assert.Equal(a, old.NhsNumber);
        Assert.Equal(b, old.CurrentNhsNumber);
        Assert.True(old.Superseded);
        Assert.Equal([a], old.MergedNhsNumbers);
        Assert.True(old.Found);
        Assert.Null(old.DeathDate);

        var kept = await ResolveAsync(b);
        Assert.Equal(b, kept.CurrentNhsNumber);
        Assert.False(kept.Superseded);
        Assert.Equal([a], kept.MergedNhsNumbers);

        var oldPatient = (await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = a })).Patient;
        Assert.Equal(b, oldPatient.SupersededByNhsNumber);
        Assert.Empty(oldPatient.MergedNhsNumbers);
        var keptPatient = (await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = b })).Patient;
        Assert.Empty(keptPatient.SupersededByNhsNumber);
        Assert.Equal([a], keptPatient.MergedNhsNumbers);
    }

    [Fact]
    public async Task Reported_effective_time_is_kept()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var effective = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 30, 9, 15, 0, TimeSpan.Zero));
        var reply = await Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = Notice(), SupersededNhsNumber = a, NhsNumber = b, EffectiveTime = effective,
        }, SupersessionCalls.Pds());
        Assert.Equal(effective, reply.Supersession.EffectiveTime);
        Assert.NotEqual(effective, reply.Supersession.RecordTime);
    }

    [Fact]
    public async Task Re_sent_notice_returns_the_same_supersession_and_writes_nothing()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var notice = Notice();
        var first = await ReportAsync(a, b, notice);
        var again = await ReportAsync(a, b, notice);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Supersession, again.Supersession);
        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from supersessions where superseded_nhs_number = @n", ("n", a)));
    }

    [Fact]
    public async Task Notice_id_reused_for_another_pair_is_refused()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var c = await NewPatientAsync();
        var notice = Notice();
        await ReportAsync(a, b, notice);

        await RpcAssert.Fails(StatusCode.FailedPrecondition, "NOTICE_ID_REUSED", () => ReportAsync(c, b, notice));
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "NOTICE_ID_REUSED", () => ReportAsync(b, a, notice));
        Assert.False((await ResolveAsync(c)).Superseded);
    }

    [Fact]
    public async Task A_number_superseded_by_another_cannot_be_superseded_by_a_third_but_the_same_link_is_returned()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var c = await NewPatientAsync();
        var first = await ReportAsync(a, b);

        await RpcAssert.Fails(StatusCode.FailedPrecondition, "SUPERSESSION_CONFLICT", () => ReportAsync(a, c));
        var same = await ReportAsync(a, b); // another notice for the same merge (e.g. from a second feed)
        Assert.False(same.Created);
        Assert.Equal(first.Supersession.Id, same.Supersession.Id);
        Assert.Equal(b, (await ResolveAsync(a)).CurrentNhsNumber);
    }

    [Fact]
    public async Task A_cycle_is_refused_directly_and_through_a_chain()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var c = await NewPatientAsync();
        await ReportAsync(a, b);
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "SUPERSESSION_CYCLE", () => ReportAsync(b, a));

        await ReportAsync(b, c);
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "SUPERSESSION_CYCLE", () => ReportAsync(c, a));
        Assert.Equal(c, (await ResolveAsync(a)).CurrentNhsNumber);
        Assert.False((await ResolveAsync(c)).Superseded);
    }

    [Fact]
    public async Task A_chain_resolves_to_its_last_number_and_merges_every_number_into_it()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var c = await NewPatientAsync();
        var d = await NewPatientAsync();
        await ReportAsync(a, b);
        await ReportAsync(b, c);
        await ReportAsync(d, c);

        var expected = new[] { a, b, d }.Order(StringComparer.Ordinal).ToArray();
        foreach (var n in new[] { a, b, d })
        {
            var r = await ResolveAsync(n);
            Assert.Equal(c, r.CurrentNhsNumber);
            Assert.True(r.Superseded);
            Assert.Equal(expected, r.MergedNhsNumbers);
        }

        Assert.Equal(expected, (await ResolveAsync(c)).MergedNhsNumbers);
        Assert.Equal(c, (await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = a })).Patient.SupersededByNhsNumber);
    }

    [Fact]
    public async Task Withdrawal_separates_the_numbers_again_and_is_idempotent()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var reported = await ReportAsync(a, b);
        var notice = Notice("withdraw");
        var withdrawn = await WithdrawAsync(a, b, notice);

        Assert.True(withdrawn.Withdrawn);
        var s = withdrawn.Supersession;
        Assert.Equal(reported.Supersession.Id, s.Id);
        Assert.Equal(SupersessionState.Withdrawn, s.State);
        Assert.Equal(notice, s.WithdrawalNoticeId);
        Assert.NotNull(s.WithdrawTime);
        Assert.Equal("pds-feed", s.WithdrawnBy.Id);

        var old = await ResolveAsync(a);
        Assert.Equal(a, old.CurrentNhsNumber);
        Assert.False(old.Superseded);
        Assert.Empty(old.MergedNhsNumbers);
        Assert.Empty((await ResolveAsync(b)).MergedNhsNumbers);
        Assert.Empty((await Client.GetPatientAsync(new GetPatientRequest { NhsNumber = a })).Patient.SupersededByNhsNumber);

        var resent = await WithdrawAsync(a, b, notice);
        Assert.False(resent.Withdrawn);
        Assert.Equal(s, resent.Supersession);
        var another = await WithdrawAsync(a, b); // a second withdrawal notice for the same merge
        Assert.False(another.Withdrawn);
        Assert.Equal(notice, another.Supersession.WithdrawalNoticeId);
    }

    [Fact]
    public async Task Withdrawing_what_was_never_reported_is_not_found_and_notice_reuse_is_refused()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var c = await NewPatientAsync();
        await RpcAssert.Fails(StatusCode.NotFound, "SUPERSESSION_NOT_FOUND", () => WithdrawAsync(a, b));

        var report = Notice();
        await ReportAsync(a, b, report);
        await RpcAssert.Fails(StatusCode.NotFound, "SUPERSESSION_NOT_FOUND", () => WithdrawAsync(a, c)); // names both sides
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "NOTICE_ID_REUSED", () => WithdrawAsync(a, b, report));

        var withdrawal = Notice("withdraw");
        await WithdrawAsync(a, b, withdrawal);
        await ReportAsync(c, b);
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "NOTICE_ID_REUSED", () => WithdrawAsync(c, b, withdrawal));
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "NOTICE_ID_REUSED", () => ReportAsync(a, c, withdrawal));
    }

    [Fact]
    public async Task A_merge_can_be_reported_again_after_withdrawal_but_not_by_re_sending_the_withdrawn_notice()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var c = await NewPatientAsync();
        var first = Notice();
        await ReportAsync(a, b, first);
        await WithdrawAsync(a, b);

        var resent = await ReportAsync(a, b, first);
        Assert.False(resent.Created);
        Assert.Equal(SupersessionState.Withdrawn, resent.Supersession.State);
        Assert.False((await ResolveAsync(a)).Superseded);

        var again = await ReportAsync(a, c); // once withdrawn, the number is free for another merge
        Assert.True(again.Created);
        Assert.Equal(c, (await ResolveAsync(a)).CurrentNhsNumber);
        await WithdrawAsync(a, c);
        var rereported = await ReportAsync(a, b);
        Assert.True(rereported.Created);
        Assert.Equal(b, (await ResolveAsync(a)).CurrentNhsNumber);

        // Withdrawing again now withdraws the standing supersession, not the first one.
        var withdrawn = await WithdrawAsync(a, b);
        Assert.True(withdrawn.Withdrawn);
        Assert.Equal(rereported.Supersession.Id, withdrawn.Supersession.Id);
    }

    [Fact]
    public async Task Resolving_an_unknown_number_answers_itself_not_found()
    {
        var unknown = DemographicsHost.NewNhsNumber();
        var r = await ResolveAsync(unknown);
        Assert.Equal(unknown, r.CurrentNhsNumber);
        Assert.False(r.Superseded);
        Assert.False(r.Found);
        Assert.Empty(r.MergedNhsNumbers);
        Assert.Null(r.DeathDate);
    }

    [Fact]
    public async Task Resolution_carries_the_current_patients_date_of_death()
    {
        var died = new DateOnly(2026, 10, 2);
        var deceased = await NewPatientAsync(died);
        var r = await ResolveAsync(deceased);
        Assert.True(r.Found);
        Assert.Equal(new Date { Year = 2026, Month = 10, Day = 2 }, r.DeathDate);

        var temporary = await NewPatientAsync();
        await ReportAsync(temporary, deceased);
        Assert.Equal(new Date { Year = 2026, Month = 10, Day = 2 }, (await ResolveAsync(temporary)).DeathDate);
    }

    [Fact]
    public async Task Search_lists_a_superseded_match_as_a_pointer_to_the_current_number()
    {
        var family = "Supersedia" + (char)('a' + Random.Shared.Next(26)) + (char)('a' + Random.Shared.Next(26));
        var a = (await host.CreateAsync(DemographicsHost.NewPatient(family: family, given: "Amelia"))).NhsNumber;
        var b = (await host.CreateAsync(DemographicsHost.NewPatient(family: family, given: "Amelie"))).NhsNumber;
        var other = await NewPatientAsync(); // kept number outside the search
        var c = (await host.CreateAsync(DemographicsHost.NewPatient(family: family, given: "Amy"))).NhsNumber;
        await ReportAsync(a, b);
        await ReportAsync(c, other);

        var search = new SearchPatientsRequest { Family = family, BirthDate = new Date { Year = 1984, Month = 3, Day = 14 } };
        var reply = await Client.SearchPatientsAsync(search);
        var kept = Assert.Single(reply.Patients);
        Assert.Equal(b, kept.NhsNumber);
        Assert.Equal([a], kept.MergedNhsNumbers);
        Assert.Equal(
            new[] { new SupersededNumber { NhsNumber = a, CurrentNhsNumber = b }, new SupersededNumber { NhsNumber = c, CurrentNhsNumber = other } },
            reply.Superseded);

        // Paging counts matches, so each page of one holds a patient or a pointer.
        search.PageSize = 1;
        var seen = new List<string>();
        do
        {
            var page = await Client.SearchPatientsAsync(search);
            Assert.Equal(1, page.Patients.Count + page.Superseded.Count);
            seen.AddRange(page.Patients.Select(p => p.NhsNumber).Concat(page.Superseded.Select(s => s.NhsNumber)));
            search.PageToken = page.NextPageToken;
        }
        while (search.PageToken.Length > 0);

        Assert.Equal([a, b, c], seen);
    }

    [Fact]
    public async Task Search_resolves_a_page_with_more_superseded_matches_than_one_batch()
    {
        var family = "Batchmerge" + (char)('a' + Random.Shared.Next(26)) + (char)('a' + Random.Shared.Next(26));
        var kept = await NewPatientAsync();
        var count = Application.NhsNumberResolver.BatchSize + 5;
        var away = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var n = (await host.CreateAsync(DemographicsHost.NewPatient(family: family))).NhsNumber;
            await ReportAsync(n, kept);
            away.Add(n);
        }

        var reply = await Client.SearchPatientsAsync(new SearchPatientsRequest
        {
            Family = family, BirthDate = new Date { Year = 1984, Month = 3, Day = 14 }, PageSize = 200,
        });
        Assert.Empty(reply.Patients);
        Assert.Equal(away.Order(StringComparer.Ordinal), reply.Superseded.Select(s => s.NhsNumber));
        Assert.All(reply.Superseded, s => Assert.Equal(kept, s.CurrentNhsNumber));
        Assert.Equal(away.Order(StringComparer.Ordinal), (await ResolveAsync(kept)).MergedNhsNumbers);
    }

    [Fact]
    public async Task List_shows_every_supersession_of_either_side_newest_first_paged()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var c = await NewPatientAsync();
        var first = await ReportAsync(a, b);
        await WithdrawAsync(a, b);
        var second = await ReportAsync(a, c);
        var third = await ReportAsync(b, c);

        var all = await Client.ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = a });
        Assert.Equal([second.Supersession.Id, first.Supersession.Id], all.Supersessions.Select(s => s.Id));
        Assert.Equal(SupersessionState.Withdrawn, all.Supersessions[1].State);
        Assert.Empty(all.NextPageToken);

        var ofC = await Client.ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = c, PageSize = 1 });
        Assert.Equal(third.Supersession.Id, Assert.Single(ofC.Supersessions).Id);
        var next = await Client.ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = c, PageSize = 1, PageToken = ofC.NextPageToken });
        Assert.Equal(second.Supersession.Id, Assert.Single(next.Supersessions).Id);
        Assert.Empty(next.NextPageToken);

        await RpcAssert.InvalidFields(async () => await Client.ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = a, PageToken = ofC.NextPageToken }), "page_token");
        await RpcAssert.InvalidFields(async () => await Client.ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = "123", PageSize = -1 }), "nhs_number", "page_size");
        Assert.Empty((await Client.ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = DemographicsHost.NewNhsNumber() })).Supersessions);
    }
}
