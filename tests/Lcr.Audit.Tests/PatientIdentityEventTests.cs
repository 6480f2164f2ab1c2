using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Testing;
using Npgsql;

namespace Lcr.Audit.Tests;

/// <summary>
/// Issue 21 on the real database: merged NHS numbers, supersession, alert details withheld and the
/// date of death stored, hash-chained and returned; the new actions and denial reasons accepted;
/// a patient's events listed with those of the numbers merged into theirs.
/// </summary>
public class PatientIdentityEventTests(AuditHost host) : IClassFixture<AuditHost>
{
    private AuditService.AuditServiceClient Client => host.Client;

    private static AuditEvent Supersession(string nhs, string superseded, string current, AuditAction action = AuditAction.NhsNumberSuperseded) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        OccurrenceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Action = action,
        Outcome = AuditOutcome.Permitted,
        Actor = new Actor { Kind = ActorKind.System, Id = "lcr01-pds-feed", Organisation = new OrganisationReference { OdsCode = "LCR01" } },
        NhsNumber = nhs,
        Supersession = new SupersessionDetail { SupersededNhsNumber = superseded, CurrentNhsNumber = current, NoticeId = "notice-1" },
    };

    private async Task<ListEventsByPatientResponse> ListAsync(string nhs, string[] merged, int size = 0, string token = "") =>
        await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = nhs, MergedNhsNumbers = { merged }, PageSize = size, PageToken = token,
        }, AuditHost.IgOfficer());

    [Fact]
    public async Task New_fields_are_stored_returned_and_chained_with_older_format_events_and_verify_chain_passes()
    {
        var (kept, away) = (AuditHost.NewNhsNumber(), AuditHost.NewNhsNumber());
        var old = AuditHost.View(kept); // no new field: the first format
        var view = AuditHost.View(kept);
        view.MergedNhsNumbers.Add(away);
        view.AlertDetailsWithheld = true;
        view.PatientDeathDate = new Date { Year = 2026, Month = 11, Day = 7 };
        var superseded = Supersession(kept, away, kept);
        var recorded = (await host.RecordAsync(old, view, superseded)).Events;

        Assert.Empty(recorded[0].MergedNhsNumbers);
        Assert.False(recorded[0].AlertDetailsWithheld);
        Assert.Null(recorded[0].PatientDeathDate);
        Assert.Equal([away], recorded[1].MergedNhsNumbers);
        Assert.True(recorded[1].AlertDetailsWithheld);
        Assert.Equal(new Date { Year = 2026, Month = 11, Day = 7 }, recorded[1].PatientDeathDate);
        Assert.Equal(new SupersessionDetail { SupersededNhsNumber = away, CurrentNhsNumber = kept, NoticeId = "notice-1" }, recorded[2].Supersession);

        // Read back from PostgreSQL exactly as recorded (chain fields included).
        var listed = (await ListAsync(kept, [])).Events.Where(e => e.Action != AuditAction.AuditQuery).Reverse().ToList();
        Assert.Equal(recorded, listed);

        var verified = await Client.VerifyChainAsync(new VerifyChainRequest { ChainPartitions = { recorded[0].ChainPartition } });
        Assert.True(verified.Intact);
        Assert.True(verified.EventsVerified >= 3);
    }

    [Theory]
    [InlineData("merged_nhs_numbers = '{}'")]
    [InlineData("alert_details_withheld = false")]
    [InlineData("patient_death_date = date '2026-11-08'")]
    [InlineData("current_nhs_number = '9990000018'")]
    public async Task Altering_a_new_field_in_postgres_is_found_by_verify_chain(string change)
    {
        var (kept, away) = (AuditHost.NewNhsNumber(), AuditHost.NewNhsNumber());
        var view = AuditHost.View(kept);
        view.MergedNhsNumbers.Add(away);
        view.AlertDetailsWithheld = true;
        view.PatientDeathDate = new Date { Year = 2026, Month = 11, Day = 7 };
        view.Supersession = new SupersessionDetail { SupersededNhsNumber = away, CurrentNhsNumber = kept };
        var target = Assert.Single((await host.RecordAsync(view)).Events);

        await using (var conn = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"set session_replication_role = replica; update audit_events set {change} where event_id = @id", conn);
            cmd.Parameters.AddWithValue("id", Guid.Parse(target.EventId));
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        var verified = await Client.VerifyChainAsync(new VerifyChainRequest
        {
            ChainPartitions = { target.ChainPartition }, StartSequence = target.ChainSequence, EndSequence = target.ChainSequence,
        });
        Assert.False(verified.Intact);
        Assert.Equal(ChainBreakKind.HashMismatch, verified.FirstBreak.Kind);
        Assert.Equal(target.EventId, verified.FirstBreak.EventId);
    }

    [Fact]
    public async Task Supersession_actions_and_the_new_denial_reasons_are_accepted()
    {
        var (kept, away) = (AuditHost.NewNhsNumber(), AuditHost.NewNhsNumber());
        var pointer = AuditHost.Denial(away, "prof-9", AuditDenialReason.NhsNumberSuperseded);
        pointer.Supersession = new SupersessionDetail { SupersededNhsNumber = away, CurrentNhsNumber = kept };
        var recorded = (await host.RecordAsync(
            Supersession(kept, away, kept), Supersession(away, away, kept),
            Supersession(kept, away, kept, AuditAction.NhsNumberSupersessionWithdrawn),
            pointer, AuditHost.Denial(kept, "prof-9", AuditDenialReason.PatientDeceased))).Events;
        Assert.Equal(
            [AuditAction.NhsNumberSuperseded, AuditAction.NhsNumberSuperseded, AuditAction.NhsNumberSupersessionWithdrawn, AuditAction.ViewSummary, AuditAction.ViewSummary],
            recorded.Select(e => e.Action));
        Assert.Equal(AuditDenialReason.NhsNumberSuperseded, recorded[3].DenialReason);
        Assert.Equal(kept, recorded[3].Supersession.CurrentNhsNumber);
        Assert.Equal(AuditDenialReason.PatientDeceased, recorded[4].DenialReason);
    }

    [Fact]
    public async Task Bad_new_fields_are_refused_naming_each_and_nothing_is_written()
    {
        var (kept, other) = (AuditHost.NewNhsNumber(), AuditHost.NewNhsNumber());
        var bad = AuditHost.View(kept);
        bad.MergedNhsNumbers.Add(["9990000000", kept, other, other]);
        bad.Supersession = new SupersessionDetail { SupersededNhsNumber = "123", CurrentNhsNumber = "", NoticeId = new string('n', 101) };
        bad.PatientDeathDate = new Date { Year = 2026, Month = 2, Day = 30 };
        var same = Supersession(kept, kept, kept);
        var missing = Supersession(kept, other, kept, AuditAction.NhsNumberSupersessionWithdrawn);
        missing.Supersession = null;
        var tooMany = AuditHost.View(kept);
        tooMany.MergedNhsNumbers.Add(Enumerable.Range(0, 51).Select(_ => AuditHost.NewNhsNumber()));

        var before = await host.Database.ScalarAsync("select count(*) from audit_events");
        await RpcAssert.InvalidFields(async () => await host.RecordAsync(bad, same, missing, tooMany),
            "events[0].merged_nhs_numbers[0]", "events[0].merged_nhs_numbers[1]", "events[0].merged_nhs_numbers[3]",
            "events[0].supersession.superseded_nhs_number", "events[0].supersession.current_nhs_number", "events[0].supersession.notice_id",
            "events[0].patient_death_date", "events[1].supersession.current_nhs_number", "events[2].supersession",
            "events[3].merged_nhs_numbers");
        Assert.Equal(before, await host.Database.ScalarAsync("select count(*) from audit_events"));
    }

    [Fact]
    public async Task Merged_listing_gives_every_numbers_events_in_one_time_order_each_with_its_own_number()
    {
        var (kept, away, unrelated) = (AuditHost.NewNhsNumber(), AuditHost.NewNhsNumber(), AuditHost.NewNhsNumber());
        var expected = new List<(string Nhs, string Id)>();
        foreach (var nhs in new[] { away, kept, away, unrelated, kept, away })
        {
            var e = Assert.Single((await host.RecordAsync(AuditHost.View(nhs))).Events); // one call each: distinct record times
            if (nhs != unrelated)
            {
                expected.Insert(0, (nhs, e.EventId));
            }
        }

        var views = new[] { AuditAction.ViewSummary };
        async Task<List<AuditEvent>> AllAsync(string[] merged)
        {
            var all = new List<AuditEvent>();
            var token = string.Empty;
            do
            {
                var page = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
                {
                    NhsNumber = kept, MergedNhsNumbers = { merged }, Actions = { views }, PageSize = 2, PageToken = token,
                }, AuditHost.IgOfficer());
                all.AddRange(page.Events);
                token = page.NextPageToken;
            }
            while (token.Length > 0);
            return all;
        }

        var merged = await AllAsync([away]);
        Assert.Equal(expected, merged.Select(e => (e.NhsNumber, e.EventId)));
        Assert.Equal(merged.OrderByDescending(e => e.RecordTime.ToDateTimeOffset()).Select(e => e.EventId), merged.Select(e => e.EventId));
        Assert.Equal(expected.Where(x => x.Nhs == kept), (await AllAsync([])).Select(e => (e.NhsNumber, e.EventId)));

        // A page token is bound to the set of numbers it was given for.
        var first = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = kept, MergedNhsNumbers = { away }, Actions = { views }, PageSize = 2,
        }, AuditHost.IgOfficer());
        Assert.NotEmpty(first.NextPageToken);
        await RpcAssert.InvalidFields(async () => await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = kept, Actions = { views }, PageSize = 2, PageToken = first.NextPageToken,
        }, AuditHost.IgOfficer()), "page_token");
        await RpcAssert.InvalidFields(async () => await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = kept, MergedNhsNumbers = { away, unrelated }, Actions = { views }, PageSize = 2, PageToken = first.NextPageToken,
        }, AuditHost.IgOfficer()), "page_token");

        // The read of the merged log is itself audited, naming the merged numbers.
        var query = (await ListAsync(kept, [], 50)).Events.First(e => e.Action == AuditAction.AuditQuery);
        Assert.Equal([away], query.MergedNhsNumbers);
    }

    [Fact]
    public async Task Bad_merged_numbers_on_the_listing_are_refused_naming_each()
    {
        var kept = AuditHost.NewNhsNumber();
        var other = AuditHost.NewNhsNumber();
        await RpcAssert.InvalidFields(async () => await ListAsync(kept, ["9990000000", kept, other, other]),
            "merged_nhs_numbers[0]", "merged_nhs_numbers[1]", "merged_nhs_numbers[3]");
        await RpcAssert.InvalidFields(async () => await ListAsync(kept, [.. Enumerable.Range(0, 51).Select(_ => AuditHost.NewNhsNumber())]),
            "merged_nhs_numbers");
    }
}
