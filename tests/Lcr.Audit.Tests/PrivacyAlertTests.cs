using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Identity.V1;

namespace Lcr.Audit.Tests;

/// <summary>Privacy alerts raised as events are recorded, and an officer's decisions on them.</summary>
public class PrivacyAlertTests(AuditHost host) : IClassFixture<AuditHost>
{
    private AuditService.AuditServiceClient Client => host.Client;

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private static AuditEvent Emergency(string nhs, string actor, string token, string ods = "RR8")
    {
        var e = AuditHost.View(nhs, actor);
        e.Action = AuditAction.EmergencyAccess;
        e.PurposeOfUse = PurposeOfUse.EmergencyCare;
        e.Actor.Organisation.OdsCode = ods;
        e.AccessTokenId = token;
        e.ReturnedCategories.Clear();
        e.ReturnedEntryIds.Clear();
        e.EmergencyAccess = new EmergencyAccessDetail { ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Unconscious in ED" };
        return e;
    }

    private static AuditEvent EmergencyView(string nhs, string actor, string token, string ods = "RR8")
    {
        var e = AuditHost.View(nhs, actor);
        e.PurposeOfUse = PurposeOfUse.EmergencyCare;
        e.Actor.Organisation.OdsCode = ods;
        e.AccessTokenId = token;
        e.EmergencyAccess = new EmergencyAccessDetail { ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Unconscious in ED" };
        return e;
    }

    private static AuditEvent SelfClaim(string nhs, string actor, string relationshipId)
    {
        var e = AuditHost.View(nhs, actor);
        e.Action = AuditAction.SelfClaimedRelationship;
        e.ReturnedCategories.Clear();
        e.ReturnedEntryIds.Clear();
        e.SelfClaim = new SelfClaimDetail
        {
            CareRelationshipId = relationshipId,
            ReasonCode = SelfClaimReason.ReferralReceived,
            ReasonText = "Referral letter received from the GP",
        };
        e.CareRelationshipKind = CareRelationshipKind.SelfClaimed;
        return e;
    }

    private async Task<List<PrivacyReviewCase>> CasesOfAsync(string actor, string? ods = null)
    {
        var request = new ListPrivacyReviewCasesRequest { ActorId = actor, PageSize = 200 };
        if (ods is not null)
        {
            request.OrganisationOdsCode = ods;
        }

        return (await Client.ListPrivacyReviewCasesAsync(request, AuditHost.IgOfficer())).Cases.ToList();
    }

    [Fact]
    public async Task Emergency_access_raises_one_high_alert_per_token_to_the_viewing_organisation()
    {
        var nhs = AuditHost.NewNhsNumber();
        var actor = NewId("ed");
        var token = NewId("jti");
        var issued = Emergency(nhs, actor, token);
        var read = EmergencyView(nhs, actor, token);
        await host.RecordAsync(issued);
        await host.RecordAsync(read);

        var alert = Assert.Single(await CasesOfAsync(actor));
        Assert.Equal(PrivacyRule.EmergencyAccess, alert.Rule);
        Assert.Equal(PrivacySeverity.High, alert.Severity);
        Assert.Equal(PrivacyAlertOrigin.RaisedAtAccess, alert.Origin);
        Assert.Equal("RR8", alert.Organisation.OdsCode);
        Assert.Equal(nhs, alert.NhsNumber);
        Assert.Equal(PrivacyReviewCaseStatus.Open, alert.Status);
        Assert.Equal(2, alert.EventCount);
        Assert.Equal([issued.EventId, read.EventId], alert.Events.Select(e => e.EventId));
        Assert.DoesNotContain("Unconscious", alert.Explanation, StringComparison.Ordinal);

        // A second break-glass (a new token) is a second alert.
        await host.RecordAsync(Emergency(nhs, actor, NewId("jti")));
        Assert.Equal(2, (await CasesOfAsync(actor)).Count);
    }

    [Fact]
    public async Task A_retried_event_raises_no_second_alert_and_adds_nothing()
    {
        var actor = NewId("ed");
        var issued = Emergency(AuditHost.NewNhsNumber(), actor, NewId("jti"));
        await host.RecordAsync(issued);
        var retry = await host.RecordAsync(issued);
        Assert.Equal([issued.EventId], retry.DuplicateEventIds);

        var alert = Assert.Single(await CasesOfAsync(actor));
        Assert.Equal(1, alert.EventCount);
        Assert.Equal("v1", alert.Etag);
    }

    [Fact]
    public async Task Self_claim_raises_a_medium_alert_per_relationship()
    {
        var nhs = AuditHost.NewNhsNumber();
        var actor = NewId("gp");
        var relationship = NewId("rel");
        var claim = SelfClaim(nhs, actor, relationship);
        await host.RecordAsync(claim);

        var alert = Assert.Single(await CasesOfAsync(actor));
        Assert.Equal(PrivacyRule.SelfClaimedRelationship, alert.Rule);
        Assert.Equal(PrivacySeverity.Medium, alert.Severity);
        Assert.Equal("B86001", alert.Organisation.OdsCode);
        Assert.Contains("ReferralReceived", alert.Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain("Referral letter", alert.Explanation, StringComparison.Ordinal);

        // The claim event keeps its detail in the log.
        var recorded = Assert.Single(alert.Events);
        Assert.Equal(AuditEvent.AccessBasisOneofCase.SelfClaim, recorded.AccessBasisCase);
        Assert.Equal(relationship, recorded.SelfClaim.CareRelationshipId);
        Assert.Equal(CareRelationshipKind.SelfClaimed, recorded.CareRelationshipKind);

        // Reads resting on the claim raise nothing more, and the review run does not call them "no relationship".
        var view = AuditHost.View(nhs, actor);
        view.SelfClaim = claim.SelfClaim.Clone();
        view.CareRelationshipKind = CareRelationshipKind.SelfClaimed;
        await host.RecordAsync(view);
        await Client.RunPrivacyReviewAsync(new RunPrivacyReviewRequest
        {
            Period = new Period
            {
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
                EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)),
            },
            Rules = { PrivacyRule.NoCareRelationship },
        }, AuditHost.IgOfficer());
        Assert.Single(await CasesOfAsync(actor));
    }

    [Fact]
    public async Task Break_glass_into_a_sealed_record_raises_the_sealed_emergency_alert_at_once()
    {
        var nhs = AuditHost.NewNhsNumber();
        var actor = NewId("ed");
        var token = NewId("jti");
        var issued = Emergency(nhs, actor, token);
        issued.SealedRecord = new SealedRecordAccess { BreakGlassJustification = "Patient collapsed in the emergency department" };
        var read = EmergencyView(nhs, actor, token);
        read.SealedRecord = issued.SealedRecord.Clone();
        await host.RecordAsync(issued, read);

        var alert = Assert.Single(await CasesOfAsync(actor));
        Assert.Equal(PrivacyRule.SealedRecordEmergencyAccess, alert.Rule);
        Assert.Equal(PrivacySeverity.High, alert.Severity);
        Assert.Equal(2, alert.EventCount);
        Assert.Equal("Patient collapsed in the emergency department", alert.Events[0].SealedRecord.BreakGlassJustification);
    }

    [Fact]
    public async Task A_named_viewer_of_a_sealed_record_raises_a_low_alert_per_token_and_refusals_raise_none()
    {
        var nhs = AuditHost.NewNhsNumber();
        var actor = NewId("gp");
        var view = AuditHost.View(nhs, actor);
        view.SealedRecord = new SealedRecordAccess { ViewerNamed = true };
        var again = AuditHost.View(nhs, actor, AuditAction.ViewCategory);
        again.AccessTokenId = view.AccessTokenId;
        again.SealedRecord = new SealedRecordAccess { ViewerNamed = true };
        var refused = AuditHost.Denial(nhs, actor, AuditDenialReason.RecordSealed);
        refused.SealedRecord = new SealedRecordAccess();
        await host.RecordAsync(view, again, refused);

        var alert = Assert.Single(await CasesOfAsync(actor));
        Assert.Equal(PrivacyRule.SealedRecordAccess, alert.Rule);
        Assert.Equal(PrivacySeverity.Low, alert.Severity);
        Assert.Equal(2, alert.EventCount);
    }

    [Fact]
    public async Task An_automatic_seal_raises_a_view_surge_alert_to_the_platform_and_a_manual_seal_none()
    {
        var nhs = AuditHost.NewNhsNumber();
        var platform = NewId("lcr-platform");
        AuditEvent Seal(bool automatic) => new()
        {
            EventId = Guid.NewGuid().ToString("D"),
            OccurrenceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            Action = AuditAction.RecordSealed,
            Outcome = AuditOutcome.Permitted,
            Actor = new Actor { Kind = ActorKind.System, Id = platform, Organisation = new OrganisationReference { OdsCode = "LCR01" } },
            NhsNumber = nhs,
            Seal = new SealDetail
            {
                Reason = automatic ? SealReason.ViewSurge : SealReason.HighProfile,
                Automatic = automatic,
                DistinctViewers = automatic ? 31 : 0,
            },
        };
        await host.RecordAsync(Seal(automatic: false));
        Assert.Empty(await CasesOfAsync(platform));

        var surge = Seal(automatic: true);
        await host.RecordAsync(surge);
        var alert = Assert.Single(await CasesOfAsync(platform, ods: "LCR01"));
        Assert.Equal(PrivacyRule.ViewSurge, alert.Rule);
        Assert.Equal(PrivacySeverity.High, alert.Severity);
        Assert.Equal("LCR01", alert.Organisation.OdsCode);
        Assert.Contains("31", alert.Explanation, StringComparison.Ordinal);
        Assert.Equal(31, alert.Events.Single().Seal.DistinctViewers);
    }

    [Fact]
    public async Task Ordinary_views_and_denied_emergencies_raise_no_alert()
    {
        var nhs = AuditHost.NewNhsNumber();
        var actor = NewId("gp");
        var denied = Emergency(nhs, actor, NewId("jti"));
        denied.Outcome = AuditOutcome.Denied;
        denied.DenialReason = AuditDenialReason.ProfessionalBlocked;
        await host.RecordAsync(AuditHost.View(nhs, actor), AuditHost.View(nhs, actor, AuditAction.ViewDocument), denied);
        Assert.Empty(await CasesOfAsync(actor));
    }

    [Fact]
    public async Task A_review_run_does_not_raise_an_emergency_already_alerted()
    {
        var actor = NewId("ed");
        var token = NewId("jti");
        var nhs = AuditHost.NewNhsNumber();
        await host.RecordAsync(Emergency(nhs, actor, token), EmergencyView(nhs, actor, token));
        var run = await Client.RunPrivacyReviewAsync(new RunPrivacyReviewRequest
        {
            Period = new Period
            {
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
                EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)),
            },
            Rules = { PrivacyRule.EmergencyAccess },
            PageSize = 200,
        }, AuditHost.IgOfficer());
        var mine = run.Cases.Where(c => c.Actor.Id == actor).ToList();
        var alert = Assert.Single(mine);
        Assert.Equal(PrivacyAlertOrigin.RaisedAtAccess, alert.Origin);
        Assert.Single(await CasesOfAsync(actor));
    }

    [Fact]
    public async Task Decisions_follow_the_transitions_and_each_is_kept_in_the_history()
    {
        var actor = NewId("ed");
        await host.RecordAsync(Emergency(AuditHost.NewNhsNumber(), actor, NewId("jti")));
        var alert = Assert.Single(await CasesOfAsync(actor));

        async Task<PrivacyReviewCase> DecideAsync(PrivacyReviewCase c, PrivacyReviewCaseStatus status, string note, string officer) =>
            (await Client.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
            {
                ReviewCase = new PrivacyReviewCase { Id = c.Id, Etag = c.Etag, Status = status, ResolutionNote = note },
                UpdateMask = new FieldMask { Paths = { "status", "resolution_note" } },
            }, AuditHost.IgOfficer(officer))).ReviewCase;

        // A status change without a note is refused, naming the field.
        await RpcAssert.InvalidFields(async () => await Client.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase { Id = alert.Id, Etag = alert.Etag, Status = PrivacyReviewCaseStatus.FlaggedForInvestigation },
            UpdateMask = new FieldMask { Paths = { "status" } },
        }, AuditHost.IgOfficer()), "review_case.resolution_note");

        var flagged = await DecideAsync(alert, PrivacyReviewCaseStatus.FlaggedForInvestigation, "Asked the ED consultant.", "po-1");
        Assert.Equal(PrivacyReviewCaseStatus.FlaggedForInvestigation, flagged.Status);
        Assert.Null(flagged.CloseTime);

        // A flagged case cannot go back to open.
        await RpcAssert.Fails(StatusCode.FailedPrecondition, async () =>
            await DecideAsync(flagged, PrivacyReviewCaseStatus.Open, "Back to the queue.", "po-1"));

        var escalated = await DecideAsync(flagged, PrivacyReviewCaseStatus.Escalated, "To the Caldicott Guardian.", "po-2");
        await RpcAssert.Fails(StatusCode.FailedPrecondition, async () =>
            await DecideAsync(escalated, PrivacyReviewCaseStatus.FlaggedForInvestigation, "Again.", "po-1"));

        var closed = await DecideAsync(escalated, PrivacyReviewCaseStatus.Justified, "Clinically justified.", "cg-1");
        Assert.Equal(PrivacyReviewCaseStatus.Justified, closed.Status);
        Assert.Equal("cg-1", closed.ClosedBy.Id);
        Assert.Equal(
            [
                (PrivacyReviewCaseStatus.FlaggedForInvestigation, "Asked the ED consultant.", "po-1"),
                (PrivacyReviewCaseStatus.Escalated, "To the Caldicott Guardian.", "po-2"),
                (PrivacyReviewCaseStatus.Justified, "Clinically justified.", "cg-1"),
            ],
            closed.History.Select(h => (h.Status, h.Note, h.ChangedBy.Id)));
        Assert.All(closed.History, h => Assert.NotNull(h.ChangeTime));

        await RpcAssert.Fails(StatusCode.FailedPrecondition, async () =>
            await DecideAsync(closed, PrivacyReviewCaseStatus.Breach, "Changed my mind.", "po-1"));

        var got = (await Client.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = alert.Id }, AuditHost.IgOfficer())).ReviewCase;
        Assert.Equal(closed.History, got.History);

        // A later read with the same token leaves the concluded case as it is.
        var token = alert.Events[0].AccessTokenId;
        await host.RecordAsync(EmergencyView(alert.NhsNumber, actor, token));
        Assert.Equal(closed.Etag, Assert.Single(await CasesOfAsync(actor)).Etag);
    }

    [Fact]
    public async Task A_case_outside_the_callers_organisations_is_not_found_as_an_unknown_one_after_bad_input_is_named()
    {
        var actor = NewId("ed");
        await host.RecordAsync(Emergency(AuditHost.NewNhsNumber(), actor, NewId("jti"), "RR8"));
        var alert = Assert.Single(await CasesOfAsync(actor));

        Metadata Scoped(string organisations)
        {
            var m = AuditHost.IgOfficer();
            m.Add(Lcr.ServiceDefaults.CallerHeaders.OrganisationScope, organisations);
            return m;
        }

        Assert.Equal(alert.Id, (await Client.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = alert.Id }, Scoped("B86001,RR8"))).ReviewCase.Id);
        var foreign = await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Client.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = alert.Id }, Scoped("B86001")));
        var unknown = await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Client.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = Guid.NewGuid().ToString("D") }, Scoped("B86001")));
        Assert.Equal(unknown.Status.Detail, foreign.Status.Detail);
        await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Client.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = alert.Id }, Scoped("-")));

        var decide = new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase { Id = alert.Id, Etag = "v99", Status = PrivacyReviewCaseStatus.Breach, ResolutionNote = "No reason." },
            UpdateMask = new FieldMask { Paths = { "status", "resolution_note" } },
        };
        await RpcAssert.Fails(StatusCode.NotFound, async () => await Client.UpdatePrivacyReviewCaseAsync(decide, Scoped("B86001")));
        decide.UpdateMask.Paths.Add("actor");
        await RpcAssert.InvalidFields(async () => await Client.UpdatePrivacyReviewCaseAsync(decide, Scoped("B86001")), "update_mask.paths[2]");
        Assert.Equal(PrivacyReviewCaseStatus.Open, Assert.Single(await CasesOfAsync(actor)).Status);
    }

    [Fact]
    public async Task Cases_filter_by_organisation_origin_and_creation_period()
    {
        var actor = NewId("ed");
        var ods = "X" + Guid.NewGuid().ToString("N")[..5].ToUpperInvariant();
        var other = "Y" + Guid.NewGuid().ToString("N")[..5].ToUpperInvariant();
        await host.RecordAsync(Emergency(AuditHost.NewNhsNumber(), actor, NewId("jti"), ods));
        await host.RecordAsync(Emergency(AuditHost.NewNhsNumber(), actor, NewId("jti"), other));

        async Task<List<PrivacyReviewCase>> ListAsync(Action<ListPrivacyReviewCasesRequest> filter)
        {
            var request = new ListPrivacyReviewCasesRequest { ActorId = actor };
            filter(request);
            return (await Client.ListPrivacyReviewCasesAsync(request, AuditHost.IgOfficer())).Cases.ToList();
        }

        Assert.Equal([ods], (await ListAsync(r => r.OrganisationOdsCode = ods.ToLowerInvariant())).Select(c => c.Organisation.OdsCode));
        Assert.Equal([other, ods], (await ListAsync(r => r.OrganisationOdsCodes.Add([ods, other]))).Select(c => c.Organisation.OdsCode));
        Assert.Empty(await ListAsync(r =>
        {
            r.OrganisationOdsCode = ods;
            r.OrganisationOdsCodes.Add(other);
        }));
        Assert.Equal(2, (await ListAsync(r => r.Origin = PrivacyAlertOrigin.RaisedAtAccess)).Count);
        Assert.Empty(await ListAsync(r => r.Origin = PrivacyAlertOrigin.ReviewRun));
        Assert.Empty(await ListAsync(r => r.CreatePeriod = new Period
        {
            StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-3)),
            EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-2)),
        }));

        await RpcAssert.InvalidFields(async () => await Client.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest
        {
            Origin = (PrivacyAlertOrigin)99,
            OrganisationOdsCodes = { "" },
        }, AuditHost.IgOfficer()), "origin", "organisation_ods_codes[0]");
    }

    [Fact]
    public async Task Events_with_the_new_access_details_round_trip_and_the_chain_verifies()
    {
        var nhs = AuditHost.NewNhsNumber();
        var claim = SelfClaim(nhs, NewId("gp"), NewId("rel"));
        var recorded = (await host.RecordAsync(claim)).Events.Single();
        Assert.Equal(claim.SelfClaim, recorded.SelfClaim);
        Assert.Equal(CareRelationshipKind.SelfClaimed, recorded.CareRelationshipKind);
        var listed = await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs }, AuditHost.IgOfficer());
        Assert.Equal(claim.SelfClaim, listed.Events.Single(e => e.EventId == claim.EventId).SelfClaim);
        Assert.True((await Client.VerifyChainAsync(new VerifyChainRequest())).Intact);

        var bad = SelfClaim(nhs, "gp", "");
        bad.Seal = new SealDetail { DistinctViewers = -1 };
        await RpcAssert.InvalidFields(async () => await host.RecordAsync(bad),
            "events[0].self_claim.care_relationship_id", "events[0].seal.reason", "events[0].seal.distinct_viewers");
    }
}
