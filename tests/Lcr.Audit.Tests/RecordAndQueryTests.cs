using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Audit.Tests;

public class RecordAndQueryTests(AuditHost host) : IClassFixture<AuditHost>
{
    private AuditService.AuditServiceClient Client => host.Client;

    [Fact]
    public async Task Recorded_event_is_returned_with_its_chain_position_and_reads_back_unchanged()
    {
        var nhs = AuditHost.NewNhsNumber();
        var sent = AuditHost.View(nhs);
        var recorded = Assert.Single((await host.RecordAsync(sent)).Events);

        Assert.Equal(sent.EventId, recorded.EventId);
        Assert.NotNull(recorded.RecordTime);
        Assert.True(recorded.ChainSequence >= 1);
        Assert.Equal(32, recorded.ChainHash.Length);
        Assert.Equal(32, recorded.PreviousChainHash.Length);

        var listed = (await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs }, AuditHost.IgOfficer())).Events;
        var back = Assert.Single(listed);
        Assert.Equal(recorded, back);
        Assert.Equal(AuditAction.ViewSummary, back.Action);
        Assert.Equal("prof-1", back.Actor.Id);
        Assert.Equal("Dr Priya Shah", back.Actor.DisplayName);
        Assert.Equal("B86001", back.Actor.Organisation.OdsCode);
        Assert.Equal("emis-web-b86001", back.CallingSystem.Id);
        Assert.Equal("rel-prof-1", back.CareRelationshipId);
        Assert.Equal([RecordCategory.Problems, RecordCategory.Medications], back.ReturnedCategories);
        Assert.Equal(["entry-1", "entry-2"], back.ReturnedEntryIds);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", back.TraceId);
        Assert.Equal(3, back.ConsentVersion);
        Assert.Equal(sent.OccurrenceTime.Seconds, back.OccurrenceTime.Seconds);
    }

    [Fact]
    public async Task Retried_call_records_each_event_once_and_answers_as_stored()
    {
        var nhs = AuditHost.NewNhsNumber();
        var request = new RecordEventsRequest { Events = { AuditHost.View(nhs), AuditHost.View(nhs, "prof-2") } };
        var first = await Client.RecordEventsAsync(request);
        Assert.Empty(first.DuplicateEventIds);

        var retry = await Client.RecordEventsAsync(request);
        Assert.Equal(request.Events.Select(e => e.EventId).Order(), retry.DuplicateEventIds.Order());
        Assert.Equal(first.Events, retry.Events);

        // A retry mixing a recorded event with a new one records only the new one.
        var mixed = await host.RecordAsync(request.Events[0], AuditHost.View(nhs, "prof-3"));
        Assert.Equal([request.Events[0].EventId], mixed.DuplicateEventIds);
        Assert.Equal(3L, await host.Database.ScalarAsync("select count(*) from audit_events where nhs_number = @n", ("n", nhs)));
    }

    [Fact]
    public async Task Same_event_sent_by_concurrent_calls_is_recorded_once()
    {
        var e = AuditHost.View(AuditHost.NewNhsNumber());
        var calls = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.RecordAsync(e)));
        Assert.Single(calls.Select(c => c.Events[0].ChainHash).Distinct());
        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from audit_events where event_id = @id", ("id", Guid.Parse(e.EventId))));
    }

    [Fact]
    public async Task Same_event_id_with_different_content_is_already_exists_and_nothing_of_the_call_is_written()
    {
        var nhs = AuditHost.NewNhsNumber();
        var e = AuditHost.View(nhs);
        await host.RecordAsync(e);
        var changed = e.Clone();
        changed.ReturnedEntryIds.Add("entry-3");
        var fresh = AuditHost.View(nhs, "prof-9");

        await RpcAssert.Fails(StatusCode.AlreadyExists, () => host.RecordAsync(fresh, changed));
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from audit_events where event_id = @id", ("id", Guid.Parse(fresh.EventId))));
    }

    [Fact]
    public async Task Bad_events_name_every_bad_field_and_nothing_is_written()
    {
        var nhs = AuditHost.NewNhsNumber();
        var good = AuditHost.View(nhs);
        var bad = AuditHost.View(nhs);
        bad.EventId = "not-a-uuid";
        bad.Action = AuditAction.Unspecified;
        bad.NhsNumber = "9990000000";
        bad.TraceId = "XYZ";
        bad.Actor.Id = "";
        var denied = AuditHost.Denial(nhs, "prof-1", AuditDenialReason.Unspecified);
        denied.ReturnedCategories.Add(RecordCategory.Problems);
        denied.OccurrenceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1));

        await RpcAssert.InvalidFields(() => host.RecordAsync(good, bad, denied),
            "events[1].event_id", "events[1].action", "events[1].nhs_number", "events[1].trace_id", "events[1].actor.id",
            "events[2].denial_reason", "events[2].returned_categories", "events[2].occurrence_time");
        await RpcAssert.InvalidFields(() => Client.RecordEventsAsync(new RecordEventsRequest()).ResponseAsync, "events");
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from audit_events where nhs_number = @n", ("n", nhs)));
    }

    [Fact]
    public async Task Emergency_access_needs_its_reason_and_keeps_it()
    {
        var nhs = AuditHost.NewNhsNumber();
        var e = AuditHost.View(nhs);
        e.Action = AuditAction.EmergencyAccess;
        e.PurposeOfUse = PurposeOfUse.EmergencyCare;
        e.EmergencyAccess = new EmergencyAccessDetail { ReasonCode = EmergencyAccessReason.ClinicalEmergency };
        await RpcAssert.InvalidFields(() => host.RecordAsync(e), "events[0].emergency_access.reason_text");

        e.EmergencyAccess.ReasonText = "Unconscious in ED";
        var recorded = Assert.Single((await host.RecordAsync(e)).Events);
        Assert.Equal(AuditEvent.AccessBasisOneofCase.EmergencyAccess, recorded.AccessBasisCase);
        Assert.Equal(EmergencyAccessReason.ClinicalEmergency, recorded.EmergencyAccess.ReasonCode);
    }

    [Fact]
    public async Task Viewer_patient_context_is_compared_on_record_and_only_the_result_is_kept()
    {
        var nhs = AuditHost.NewNhsNumber();
        var e = AuditHost.View(nhs);
        e.ViewerPatientContext = new ViewerPatientContext
        {
            ViewerFamilyName = "O'Brien",
            PatientFamilyName = "OBRIEN",
            ViewerAddress = new MatchableAddress { Lines = { "12 Beckett Street" }, Postcode = "LS9 7TF" },
            PatientAddress = new MatchableAddress { Lines = { "14 Beckett Street" }, Postcode = "ls97tf" },
        };
        var recorded = Assert.Single((await host.RecordAsync(e)).Events);
        Assert.Equal(new ViewerPatientMatch { SameFamilyName = true, SameAddress = false, SamePerson = false }, recorded.ViewerPatientMatch);
        Assert.Null(recorded.ViewerPatientContext);
        Assert.Equal(0L, await host.Database.ScalarAsync(
            "select count(*) from audit_events where row_to_json(audit_events)::text ilike '%brien%' or row_to_json(audit_events)::text ilike '%beckett%'"));
    }

    [Fact]
    public async Task Reading_a_patients_log_is_itself_audited_and_needs_a_named_caller()
    {
        var nhs = AuditHost.NewNhsNumber();
        await host.RecordAsync(AuditHost.View(nhs));
        await RpcAssert.Fails(StatusCode.Unauthenticated,
            async () => await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs }));

        await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs }, AuditHost.IgOfficer("ig-77"));
        var log = (await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = nhs,
            Actions = { AuditAction.AuditQuery },
        }, AuditHost.IgOfficer())).Events;
        var query = log.First(e => e.Actor.Id == "ig-77");
        Assert.Equal(AuditOutcome.Permitted, query.Outcome);
        Assert.Equal(nhs, query.NhsNumber);
    }

    [Fact]
    public async Task Patient_and_actor_listings_page_newest_first_and_filter_by_action_and_outcome()
    {
        var nhs = AuditHost.NewNhsNumber();
        var actor = "prof-paging-" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var e = i % 3 == 2 ? AuditHost.Denial(nhs, actor) : AuditHost.View(nhs, actor, i % 2 == 0 ? AuditAction.ViewSummary : AuditAction.ViewDocument);
            await host.RecordAsync(e); // one call each: distinct record times
            ids.Add(e.EventId);
        }

        var seen = new List<AuditEvent>();
        var token = string.Empty;
        do
        {
            var page = await Client.ListEventsByActorAsync(new ListEventsByActorRequest { ActorId = actor, PageSize = 3, PageToken = token },
                AuditHost.IgOfficer());
            Assert.True(page.Events.Count <= 3);
            seen.AddRange(page.Events);
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal(Enumerable.Reverse(ids), seen.Select(e => e.EventId));
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.RecordTime.ToDateTimeOffset() >= p.Second.RecordTime.ToDateTimeOffset()));

        var denied = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs, Outcomes = { AuditOutcome.Denied } },
            AuditHost.IgOfficer());
        Assert.Equal([ids[5], ids[2]], denied.Events.Select(e => e.EventId));

        var documents = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = nhs,
            Actions = { AuditAction.ViewDocument },
            Outcomes = { AuditOutcome.Permitted },
        }, AuditHost.IgOfficer());
        Assert.Equal([ids[3], ids[1]], documents.Events.Select(e => e.EventId));

        var future = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = nhs,
            Period = new Period { StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)) },
        }, AuditHost.IgOfficer());
        Assert.Empty(future.Events);
    }

    [Fact]
    public async Task Bad_queries_name_their_fields()
    {
        await RpcAssert.InvalidFields(async () => await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = "123",
            PageSize = -1,
            PageToken = "garbage",
            Actions = { AuditAction.Unspecified },
            Period = new Period
            {
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
            },
        }, AuditHost.IgOfficer()), "nhs_number", "page_size", "page_token", "actions[0]", "period.end_time");

        await RpcAssert.InvalidFields(async () => await Client.ListEventsByActorAsync(new ListEventsByActorRequest(), AuditHost.IgOfficer()),
            "actor_id");

        var nhs = AuditHost.NewNhsNumber();
        await host.RecordAsync(AuditHost.View(nhs), AuditHost.View(nhs));
        var page = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs, PageSize = 1 }, AuditHost.IgOfficer());
        await RpcAssert.InvalidFields(async () => await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = nhs,
            PageSize = 1,
            PageToken = page.NextPageToken,
            Outcomes = { AuditOutcome.Denied },
        }, AuditHost.IgOfficer()), "page_token");
    }

    [Fact]
    public async Task Nhs_numbers_and_names_stay_out_of_logs_and_spans()
    {
        var nhs = AuditHost.NewNhsNumber();
        var e = AuditHost.View(nhs);
        e.ViewerPatientContext = new ViewerPatientContext { ViewerFamilyName = "Zzyzxquist", PatientFamilyName = "Zzyzxquist" };
        await host.RecordAsync(e);
        await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs }, AuditHost.IgOfficer());
        await RpcAssert.Fails(StatusCode.InvalidArgument, async () => await Client.ListEventsByPatientAsync(
            new ListEventsByPatientRequest { NhsNumber = nhs[..9] + "x" }, AuditHost.IgOfficer()));

        var text = host.Logs.Lines.Concat(Lcr.Testing.SpanText.Of(host.Spans.ToArray())).ToList();
        Assert.DoesNotContain(text, l => l.Contains(nhs, StringComparison.Ordinal));
        Assert.DoesNotContain(text, l => l.Contains("Zzyzxquist", StringComparison.OrdinalIgnoreCase));
    }
}

public class SeedTests(AuditHost host) : IClassFixture<AuditHost>
{
    [Fact]
    public async Task Seeding_twice_records_the_dev_story_once_with_intact_chains()
    {
        await host.SeedAsync();
        await host.SeedAsync();
        var clerk = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario.BlockedClerkProfessionalId;
        Assert.Equal(10L, await host.Database.ScalarAsync(
            "select count(*) from audit_events where actor_id like 'seed-%' or actor_id in ('systmone-feed', @clerk)", ("clerk", clerk)));
        Assert.Equal(3L, await host.Database.ScalarAsync("select count(*) from audit_events where outcome = 2 and actor_id = @clerk", ("clerk", clerk)));
        Assert.True((await host.Client.VerifyChainAsync(new VerifyChainRequest())).Intact);

        // The merged pair: the kept number's log, listed with the merged-away number, shows both numbers' events.
        var patients = Lcr.ServiceDefaults.DevData.SyntheticCohort.Patients;
        var kept = patients[Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario.MergedInto].NhsNumber;
        var away = patients[Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario.MergedAway].NhsNumber;
        var log = (await host.Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = kept, MergedNhsNumbers = { away }, Actions = { AuditAction.ViewSummary, AuditAction.NhsNumberSuperseded },
        }, AuditHost.IgOfficer())).Events;
        Assert.Equal(2, log.Count(e => e.Action == AuditAction.NhsNumberSuperseded && e.Supersession.NoticeId == "seed-merge-0001"));
        Assert.Contains(log, e => e.Action == AuditAction.ViewSummary && e.NhsNumber == away);
    }
}
