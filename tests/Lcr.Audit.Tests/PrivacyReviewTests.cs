using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;

namespace Lcr.Audit.Tests;

public class PrivacyReviewTests(AuditHost host) : IClassFixture<AuditHost>
{
    private AuditService.AuditServiceClient Client => host.Client;

    private static Period AroundNow() => new()
    {
        StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-2)),
        EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(2)),
    };

    private async Task<RunPrivacyReviewResponse> ReviewAsync(params PrivacyRule[] rules) =>
        await Client.RunPrivacyReviewAsync(new RunPrivacyReviewRequest { Period = AroundNow(), Rules = { rules }, PageSize = 200 },
            AuditHost.IgOfficer());

    [Fact]
    public async Task Review_stores_each_finding_once_as_an_open_case_with_its_events()
    {
        var nhs = AuditHost.NewNhsNumber();
        var actor = "ed-" + Guid.NewGuid().ToString("N")[..8];
        var emergency = AuditHost.View(nhs, actor);
        emergency.Action = AuditAction.EmergencyAccess;
        emergency.PurposeOfUse = PurposeOfUse.EmergencyCare;
        emergency.EmergencyAccess = new EmergencyAccessDetail { ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Unconscious in ED" };
        var denied = Enumerable.Range(0, 3).Select(_ => AuditHost.Denial(AuditHost.NewNhsNumber(), actor)).ToArray();
        var own = AuditHost.View(AuditHost.NewNhsNumber(), actor);
        own.ViewerPatientContext = new ViewerPatientContext { ViewerNhsNumber = own.NhsNumber };
        await host.RecordAsync([emergency, own, .. denied]);

        var first = await ReviewAsync(PrivacyRule.EmergencyAccess, PrivacyRule.RepeatedDenials, PrivacyRule.OwnRecord);
        var mine = first.Cases.Where(c => c.Actor.Id == actor).ToList();
        Assert.Equal(3, mine.Count);
        Assert.True(first.NewCaseCount >= 2);

        // The emergency access was alerted as it was recorded; the run lists that case and does not raise it again.
        var emergencyCase = mine.Single(c => c.Rule == PrivacyRule.EmergencyAccess);
        Assert.Equal(PrivacyAlertOrigin.RaisedAtAccess, emergencyCase.Origin);
        Assert.All(mine.Where(c => c.Rule != PrivacyRule.EmergencyAccess), c => Assert.Equal(PrivacyAlertOrigin.ReviewRun, c.Origin));
        Assert.All(mine, c => Assert.Equal("B86001", c.Organisation.OdsCode));
        Assert.Equal(PrivacySeverity.High, emergencyCase.Severity);
        Assert.Equal(PrivacyReviewCaseStatus.Open, emergencyCase.Status);
        Assert.Equal(nhs, emergencyCase.NhsNumber);
        Assert.Equal([emergency.EventId], emergencyCase.Events.Select(e => e.EventId));
        Assert.Equal("v1", emergencyCase.Etag);

        var denialCase = mine.Single(c => c.Rule == PrivacyRule.RepeatedDenials);
        Assert.Equal(3, denialCase.EventCount);
        Assert.Equal(denied.Select(d => d.EventId).Order(), denialCase.Events.Select(e => e.EventId).Order());
        Assert.Equal(own.NhsNumber, mine.Single(c => c.Rule == PrivacyRule.OwnRecord).NhsNumber);

        // Highest severity first.
        Assert.True(first.Cases.Zip(first.Cases.Skip(1)).All(p => p.First.Severity >= p.Second.Severity));

        var again = await ReviewAsync(PrivacyRule.EmergencyAccess, PrivacyRule.RepeatedDenials, PrivacyRule.OwnRecord);
        Assert.Equal(0, again.NewCaseCount);
        Assert.Equal(mine.Select(c => c.Id).Order(), again.Cases.Where(c => c.Actor.Id == actor).Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_normal_view_under_a_care_relationship_raises_no_case()
    {
        var actor = "gp-" + Guid.NewGuid().ToString("N")[..8];
        var normal = AuditHost.View(AuditHost.NewNhsNumber(), actor);
        normal.ViewerPatientContext = new ViewerPatientContext
        {
            ViewerNhsNumber = AuditHost.NewNhsNumber(),
            ViewerFamilyName = "Shah",
            PatientFamilyName = "Hart",
        };
        await host.RecordAsync(normal);
        var review = await ReviewAsync(PrivacyRule.EmergencyAccess, PrivacyRule.NoCareRelationship, PrivacyRule.OwnRecord,
            PrivacyRule.SharedFamilyName, PrivacyRule.SharedAddress, PrivacyRule.UnusualPatientVolume, PrivacyRule.RepeatedDenials);
        Assert.DoesNotContain(review.Cases, c => c.Actor.Id == actor);
    }

    [Fact]
    public async Task Closing_a_case_records_who_closed_it_and_a_closed_case_cannot_change()
    {
        var actor = "nurse-" + Guid.NewGuid().ToString("N")[..8];
        var e = AuditHost.View(AuditHost.NewNhsNumber(), actor);
        e.ClearAccessBasis(); // no care relationship
        await host.RecordAsync(e);
        var found = (await ReviewAsync(PrivacyRule.NoCareRelationship)).Cases.Single(c => c.Actor.Id == actor);

        var close = new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase { Id = found.Id, Etag = found.Etag, Status = PrivacyReviewCaseStatus.Justified },
            UpdateMask = new FieldMask { Paths = { "status" } },
        };
        await RpcAssert.InvalidFields(async () => await Client.UpdatePrivacyReviewCaseAsync(close, AuditHost.IgOfficer()),
            "review_case.resolution_note");
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () => await Client.UpdatePrivacyReviewCaseAsync(close));

        var noted = (await Client.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase { Id = found.Id, Etag = found.Etag, ResolutionNote = "Asked the ward manager." },
            UpdateMask = new FieldMask { Paths = { "resolution_note" } },
        }, AuditHost.IgOfficer())).ReviewCase;
        Assert.Equal(PrivacyReviewCaseStatus.Open, noted.Status);
        Assert.Equal("v2", noted.Etag);

        await RpcAssert.Fails(StatusCode.Aborted, async () => await Client.UpdatePrivacyReviewCaseAsync(close, AuditHost.IgOfficer()));

        // A status change needs its own note.
        close.ReviewCase.Etag = noted.Etag;
        await RpcAssert.InvalidFields(async () => await Client.UpdatePrivacyReviewCaseAsync(close, AuditHost.IgOfficer()),
            "review_case.resolution_note");
        close.ReviewCase.ResolutionNote = "Asked the ward manager.";
        close.UpdateMask.Paths.Add("resolution_note");
        var closed = (await Client.UpdatePrivacyReviewCaseAsync(close, AuditHost.IgOfficer("ig-closer"))).ReviewCase;
        Assert.Equal(PrivacyReviewCaseStatus.Justified, closed.Status);
        Assert.Equal("ig-closer", closed.ClosedBy.Id);
        Assert.NotNull(closed.CloseTime);
        Assert.Equal("Asked the ward manager.", closed.ResolutionNote);

        var reopen = new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase { Id = found.Id, Etag = closed.Etag, Status = PrivacyReviewCaseStatus.Breach, ResolutionNote = "x" },
            UpdateMask = new FieldMask { Paths = { "status", "resolution_note" } },
        };
        await RpcAssert.Fails(StatusCode.FailedPrecondition, async () => await Client.UpdatePrivacyReviewCaseAsync(reopen, AuditHost.IgOfficer()));

        // The re-run keeps the conclusion.
        var rerun = (await ReviewAsync(PrivacyRule.NoCareRelationship)).Cases.Single(c => c.Actor.Id == actor);
        Assert.Equal(PrivacyReviewCaseStatus.Justified, rerun.Status);

        var got = (await Client.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = found.Id }, AuditHost.IgOfficer())).ReviewCase;
        Assert.Equal(closed, got);
        var listed = await Client.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest
        {
            Statuses = { PrivacyReviewCaseStatus.Justified },
            ActorId = actor,
        }, AuditHost.IgOfficer());
        Assert.Equal([found.Id], listed.Cases.Select(c => c.Id));
    }

    [Fact]
    public async Task Cases_list_newest_first_in_pages()
    {
        var actor = "pager-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 5; i++)
        {
            var e = AuditHost.View(AuditHost.NewNhsNumber(), actor);
            e.ClearAccessBasis();
            await host.RecordAsync(e);
        }

        await ReviewAsync(PrivacyRule.NoCareRelationship);
        var all = new List<PrivacyReviewCase>();
        var token = string.Empty;
        do
        {
            var page = await Client.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest { ActorId = actor, PageSize = 2, PageToken = token },
                AuditHost.IgOfficer());
            all.AddRange(page.Cases);
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal(5, all.Select(c => c.Id).Distinct().Count());
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.CreateTime.ToDateTimeOffset() >= p.Second.CreateTime.ToDateTimeOffset()));
    }

    [Fact]
    public async Task Bad_review_requests_name_their_fields()
    {
        await RpcAssert.InvalidFields(async () => await Client.RunPrivacyReviewAsync(new RunPrivacyReviewRequest
        {
            Rules = { PrivacyRule.Unspecified },
            PageSize = -5,
        }, AuditHost.IgOfficer()), "period", "rules[0]", "page_size");

        await RpcAssert.InvalidFields(async () => await Client.RunPrivacyReviewAsync(new RunPrivacyReviewRequest
        {
            Period = new Period
            {
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-40)),
                EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            },
        }, AuditHost.IgOfficer()), "period");

        await RpcAssert.InvalidFields(async () => await Client.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase { Id = "nope" },
            UpdateMask = new FieldMask { Paths = { "severity" } },
        }, AuditHost.IgOfficer()), "review_case.id", "review_case.etag", "update_mask.paths[0]");

        await RpcAssert.Fails(StatusCode.NotFound, async () => await Client.GetPrivacyReviewCaseAsync(
            new GetPrivacyReviewCaseRequest { CaseId = Guid.NewGuid().ToString("D") }, AuditHost.IgOfficer()));
    }
}
