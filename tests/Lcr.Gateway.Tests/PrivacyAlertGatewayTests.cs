using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Privacy alerts end to end: raised by the audit service when the gateway records an emergency
/// access, worked by the privacy officer of the viewing organisation only, decisions audited.
/// </summary>
[Collection(PlatformCollection.Name)]
public class PrivacyAlertGatewayTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private AuditService.AuditServiceClient Audit => new(Gateway);

    /// <summary>ed.rr8 breaks the glass for the patient and reads the record; returns the alert's access token id.</summary>
    private async Task<string> BreakGlassAsync(string nhs)
    {
        var session = await SessionAsync(Gateway, "ed.rr8");
        var token = await IdentityClient(Gateway).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhs, ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Unconscious in ED, no GP record available",
        }, Bearer(session));
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken));
        return new JsonWebToken(token.AccessToken).Id;
    }

    private static PrivacyReviewCase? Find(ListPrivacyReviewCasesResponse page, string tokenId) =>
        page.Cases.SingleOrDefault(c => c.Events.Any(e => e.AccessTokenId == tokenId));

    private async Task<ListPrivacyReviewCasesResponse> ListAsync(Metadata caller, string nhs, Action<ListPrivacyReviewCasesRequest>? filter = null)
    {
        var request = new ListPrivacyReviewCasesRequest { NhsNumber = nhs, Rules = { PrivacyRule.EmergencyAccess }, PageSize = 200 };
        filter?.Invoke(request);
        return await Audit.ListPrivacyReviewCasesAsync(request, caller);
    }

    [Fact]
    public async Task Emergency_access_alerts_the_viewing_organisations_privacy_officer_who_decides_with_history_and_nobody_else_sees_it()
    {
        var nhs = Nhs(AuthorizationMatrixTests.Patient);
        var tokenId = await BreakGlassAsync(nhs);
        var officer = Bearer(await SessionAsync(Gateway, "privacy.rr8"));

        // Raised at access, to RR8 (the viewer's organisation), with the emergency access and the read.
        var alert = Find(await ListAsync(officer, nhs), tokenId);
        Assert.NotNull(alert);
        Assert.Equal("RR8", alert.Organisation.OdsCode);
        Assert.Equal(PrivacyAlertOrigin.RaisedAtAccess, alert.Origin);
        Assert.Equal(PrivacySeverity.High, alert.Severity);
        Assert.Equal(PrivacyReviewCaseStatus.Open, alert.Status);
        Assert.Contains(alert.Events, e => e.Action == AuditAction.EmergencyAccess);
        Assert.Contains(alert.Events, e => e.Action == AuditAction.ViewSummary);

        // The privacy officer flags it, then closes it as justified: both kept with who and when.
        var flagged = (await Audit.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase
            {
                Id = alert.Id, Etag = alert.Etag, Status = PrivacyReviewCaseStatus.FlaggedForInvestigation, ResolutionNote = "Asked the ED lead.",
            },
            UpdateMask = new FieldMask { Paths = { "status", "resolution_note" } },
        }, officer)).ReviewCase;
        var closed = (await Audit.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase
            {
                Id = alert.Id, Etag = flagged.Etag, Status = PrivacyReviewCaseStatus.Justified, ResolutionNote = "Patient unconscious in ED: justified.",
            },
            UpdateMask = new FieldMask { Paths = { "status", "resolution_note" } },
        }, officer)).ReviewCase;
        Assert.Equal(PrivacyReviewCaseStatus.Justified, closed.Status);
        Assert.Equal(
            [PrivacyReviewCaseStatus.FlaggedForInvestigation, PrivacyReviewCaseStatus.Justified],
            closed.History.Select(h => h.Status));
        Assert.All(closed.History, h =>
        {
            Assert.Equal(ActorKind.Professional, h.ChangedBy.Kind);
            Assert.Equal("RR8", h.ChangedBy.Organisation.OdsCode);
            Assert.Equal("R0001", h.ChangedBy.RoleCode);
            Assert.NotNull(h.ChangeTime);
        });
        var got = (await Audit.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = alert.Id }, officer)).ReviewCase;
        Assert.Equal(closed.History, got.History);

        // The privacy officer of another organisation never sees it: not listed, even when asked for RR8; NOT_FOUND as an unknown id.
        var other = Bearer(await SessionAsync(Gateway, "privacy.b86001"));
        Assert.Null(Find(await ListAsync(other, nhs), tokenId));
        Assert.Empty((await ListAsync(other, nhs, r => r.OrganisationOdsCode = "RR8")).Cases);
        Assert.Empty((await ListAsync(other, nhs, r => r.OrganisationOdsCodes.Add("RR8"))).Cases);
        var unknown = await RpcAssert.Fails(StatusCode.NotFound, async () => await Audit.GetPrivacyReviewCaseAsync(
            new GetPrivacyReviewCaseRequest { CaseId = Guid.NewGuid().ToString("D") }, other));
        var foreign = await RpcAssert.Fails(StatusCode.NotFound, async () => await Audit.GetPrivacyReviewCaseAsync(
            new GetPrivacyReviewCaseRequest { CaseId = alert.Id }, other));
        Assert.Equal(unknown.Status.Detail, foreign.Status.Detail);
        Assert.Equal(Reason(unknown), Reason(foreign));
        await RpcAssert.Fails(StatusCode.NotFound, async () => await Audit.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase { Id = alert.Id, Etag = closed.Etag, ResolutionNote = "Seen it." },
            UpdateMask = new FieldMask { Paths = { "resolution_note" } },
        }, other));

        // Each decision is in the patient's audit trail, by the privacy officer acting at RR8.
        var trail = await Audit.ListEventsByPatientAsync(new ListEventsByPatientRequest
        {
            NhsNumber = nhs, Actions = { AuditAction.PrivacyReviewDecision }, PageSize = 500,
        }, Bearer(await SystemAsync(Gateway, "platform-admin", "audit.read")));
        var decisions = trail.Events.Where(e => e.Actor.Id == closed.History[0].ChangedBy.Id && e.OccurrenceTime >= alert.CreateTime).ToList();
        Assert.True(decisions.Count >= 2, $"{decisions.Count} decision events");
        Assert.All(decisions, e => Assert.Equal("RR8", e.Actor.Organisation.OdsCode));
    }

    [Fact]
    public async Task A_session_without_a_privacy_officer_role_is_refused_and_an_access_token_is_the_wrong_kind()
    {
        var gp = Bearer(await SessionAsync(Gateway, "gp.b86001"));
        var e = await RpcAssert.Fails(StatusCode.PermissionDenied, async () =>
            await Audit.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest(), gp));
        Assert.Equal("PRIVACY_OFFICER_REQUIRED", Reason(e));
        e = await RpcAssert.Fails(StatusCode.PermissionDenied, async () =>
            await Audit.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = Guid.NewGuid().ToString("D") }, gp));
        Assert.Equal("PRIVACY_OFFICER_REQUIRED", Reason(e));

        var access = await AccessAsync(Gateway, "gp.b86001", Nhs(AuthorizationMatrixTests.Patient));
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await Audit.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest(), Bearer(access.AccessToken)));

        // A system without audit.review is refused as before.
        var feed = Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "consent.read"));
        e = await RpcAssert.Fails(StatusCode.PermissionDenied, async () =>
            await Audit.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest(), feed));
        Assert.Equal("SCOPE_NOT_PERMITTED", Reason(e));
    }

    [Fact]
    public async Task A_system_with_audit_review_sees_only_its_own_organisations_alerts_and_the_platform_every_one()
    {
        var nhs = Nhs(AuthorizationMatrixTests.Patient);
        var tokenId = await BreakGlassAsync(nhs);

        async Task<Metadata> SystemOfAsync(string ods)
        {
            var created = await IdentityClient(Gateway).CreateSystemClientAsync(new CreateSystemClientRequest
            {
                SystemClient = new SystemClient
                {
                    ClientId = ods.ToLowerInvariant() + "-privacy-" + Guid.NewGuid().ToString("N")[..8], DisplayName = "Privacy case tool",
                    Organisation = new OrganisationReference { OdsCode = ods }, Scopes = { "audit.review", "audit.read" },
                },
            }, Bearer(await SystemAsync(Gateway, "platform-admin", "identity.admin")));
            return Bearer((await IdentityClient(Gateway).IssueSystemTokenAsync(new IssueSystemTokenRequest
            {
                ClientId = created.SystemClient.ClientId, ClientSecret = created.ClientSecret, Scopes = { "audit.review", "audit.read" },
            })).SystemToken);
        }

        var rr8 = await SystemOfAsync("RR8");
        var alert = Find(await ListAsync(rr8, nhs), tokenId);
        Assert.NotNull(alert);
        var rgd = await SystemOfAsync("RGD");
        var mine = await ListAsync(rgd, nhs);
        Assert.Null(Find(mine, tokenId));
        Assert.All(mine.Cases, c => Assert.Equal("RGD", c.Organisation.OdsCode));
        await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Audit.GetPrivacyReviewCaseAsync(new GetPrivacyReviewCaseRequest { CaseId = alert.Id }, rgd));

        // Nor can it reach other organisations' alerts or staff through a review run or the events of an actor.
        var period = new Period
        {
            StartTime = Timestamp.FromDateTime(DateTime.UtcNow.AddDays(-1)), EndTime = Timestamp.FromDateTime(DateTime.UtcNow.AddMinutes(1)),
        };
        var run = await RpcAssert.Fails(StatusCode.PermissionDenied, async () =>
            await Audit.RunPrivacyReviewAsync(new RunPrivacyReviewRequest { Period = period }, rgd));
        Assert.Equal("PLATFORM_GOVERNANCE_ONLY", Reason(run));
        var byActor = await RpcAssert.Fails(StatusCode.PermissionDenied, async () =>
            await Audit.ListEventsByActorAsync(new ListEventsByActorRequest { ActorId = alert.Actor.Id }, rgd));
        Assert.Equal("PLATFORM_GOVERNANCE_ONLY", Reason(byActor));

        var platformTeam = Bearer(await SystemAsync(Gateway, "platform-admin", "audit.review"));
        Assert.NotNull(Find(await ListAsync(platformTeam, nhs), tokenId));
    }
}
