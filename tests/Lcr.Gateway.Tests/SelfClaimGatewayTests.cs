using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using static Lcr.Gateway.Tests.Callers;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Issue 20: a self-claimed care relationship through the front door. The claim, its refusals
/// and every use of a token resting on it are in the patient's audit trail, named as a
/// self-claim (not a feed relationship, not break-glass).
/// </summary>
[Collection(PlatformCollection.Name)]
public class SelfClaimGatewayTests(PlatformFixture platform)
{
    // Patients no other test uses; none has a relationship with the hospital's emergency doctor.
    private const int ClaimedPatient = 187;
    private const int RefusedPatient = 189;
    private const int UnauditedPatient = 191;

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private static ClaimCareRelationshipRequest Claim(string nhs) => new()
    {
        NhsNumber = nhs,
        ReasonCode = SelfClaimReason.ReferralReceived,
        ReasonText = "Urgent referral received by fax this morning",
        Duration = Duration.FromTimeSpan(TimeSpan.FromHours(4)),
    };

    private async Task<long> CountAsync(string where, params (string, object)[] parameters) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where " + where, parameters))!;

    private sealed record Stored(int Outcome, int DenialReason, string ActorOds, string ActorRole, int Purpose);

    private async Task<List<Stored>> SelfClaimEventsAsync(string nhs)
    {
        var rows = new List<Stored>();
        await using var conn = new Npgsql.NpgsqlConnection(platform.Audit.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            "select outcome, denial_reason, coalesce(actor_ods, ''), coalesce(actor_role_code, ''), purpose_of_use from audit_events " +
            "where nhs_number = @n and action = @a order by ingest_id", conn);
        cmd.Parameters.AddWithValue("n", nhs);
        cmd.Parameters.AddWithValue("a", (int)AuditAction.SelfClaimedRelationship);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Stored(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4)));
        }

        return rows;
    }

    [Fact]
    public async Task A_claim_is_audited_once_and_the_token_and_the_reads_resting_on_it_name_the_self_claim()
    {
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        var identity = IdentityClient(gateway.Channel);
        var nhs = Nhs(ClaimedPatient);
        var session = Bearer(await SessionAsync(gateway.Channel, "ed.rr8"));

        var claimed = await identity.ClaimCareRelationshipAsync(Claim(nhs), session);
        Assert.True(claimed.Created);
        var claim = claimed.CareRelationship;
        Assert.Equal(CareRelationshipKind.SelfClaimed, claim.Kind);
        var e = Assert.Single(sent, x => x.Action == AuditAction.SelfClaimedRelationship);
        Assert.Equal(AuditOutcome.Permitted, e.Outcome);
        Assert.Equal(PurposeOfUse.DirectCare, e.PurposeOfUse);
        Assert.Equal(claim.ProfessionalId, e.Actor.Id);
        Assert.Equal("RR8", e.Actor.Organisation.OdsCode);
        Assert.Equal("R8000", e.Actor.RoleCode);
        Assert.Equal(CareRelationshipKind.SelfClaimed, e.CareRelationshipKind);
        Assert.Equal(new SelfClaimDetail
        {
            CareRelationshipId = claim.Id, ReasonCode = SelfClaimReason.ReferralReceived, ReasonText = "Urgent referral received by fax this morning",
        }, e.SelfClaim);
        Assert.Equal(new Stored((int)AuditOutcome.Permitted, 0, "RR8", "R8000", (int)PurposeOfUse.DirectCare), Assert.Single(await SelfClaimEventsAsync(nhs)));

        // A retry gets the same claim back and sends the same event: still one in the trail.
        var again = await identity.ClaimCareRelationshipAsync(Claim(nhs), session);
        Assert.False(again.Created);
        Assert.Equal(claim.Id, again.CareRelationship.Id);
        Assert.Equal(2, sent.Count(x => x.EventId == e.EventId));
        Assert.Single(await SelfClaimEventsAsync(nhs));

        // The token rests on the claim, and so do the reads made with it.
        var token = await identity.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare }, session);
        Assert.Equal(claim.Id, token.CareRelationshipId);
        Assert.Equal(CareRelationshipKind.SelfClaimed, token.CareRelationshipKind);
        var record = await RecordsClient(gateway.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken));
        Assert.Equal(nhs, record.Patient.NhsNumber);
        Assert.False(record.EmergencyAccess);

        var issued = Assert.Single(sent, x => x.Action == AuditAction.TokenIssued);
        var view = Assert.Single(sent, x => x.EventId == record.AuditEventId);
        Assert.All(new[] { issued, view }, x =>
        {
            Assert.Equal(AuditEvent.AccessBasisOneofCase.SelfClaim, x.AccessBasisCase);
            Assert.Equal(claim.Id, x.SelfClaim.CareRelationshipId);
            Assert.Equal(SelfClaimReason.ReferralReceived, x.SelfClaim.ReasonCode);
            Assert.Equal(CareRelationshipKind.SelfClaimed, x.CareRelationshipKind);
            Assert.Equal(token.TokenId, x.AccessTokenId);
        });
        Assert.Equal(1L, await CountAsync("event_id = @id and outcome = @o", ("id", Guid.Parse(record.AuditEventId)), ("o", (int)AuditOutcome.Permitted)));

        // A token on a relationship a feed recorded names that relationship and its kind, no self-claim.
        var ward = await IdentityClient(gateway.Channel).IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = Nhs(Scenario.ExamplePatient), Purpose = PurposeOfUse.DirectCare },
            Bearer(await SessionAsync(gateway.Channel, "clinician.rr8")));
        var fed = Assert.Single(sent, x => x.AccessTokenId == ward.TokenId);
        Assert.Equal(ward.CareRelationshipId, fed.CareRelationshipId);
        Assert.Equal(CareRelationshipKind.InpatientEpisode, fed.CareRelationshipKind);
        Assert.Equal(ward.CareRelationshipKind, fed.CareRelationshipKind);
    }

    [Fact]
    public async Task Refused_claims_are_audited_as_denied_with_the_reason_organisation_and_role()
    {
        var nhs = Nhs(RefusedPatient);
        var identity = IdentityClient(Gateway);
        var clerk = await Assert.ThrowsAsync<RpcException>(async () =>
            await identity.ClaimCareRelationshipAsync(Claim(nhs), Bearer(await SessionAsync(Gateway, "clerk.rr8"))));
        Assert.Equal(StatusCode.PermissionDenied, clerk.StatusCode);
        Assert.Equal("SELF_CLAIM_NOT_PERMITTED", Reason(clerk));

        // The seeded mental health trust has switched self-claims off.
        var nurse = await Assert.ThrowsAsync<RpcException>(async () =>
            await identity.ClaimCareRelationshipAsync(Claim(nhs), Bearer(await SessionAsync(Gateway, "mhnurse.rgd"))));
        Assert.Equal(StatusCode.PermissionDenied, nurse.StatusCode);
        Assert.Equal("SELF_CLAIMS_DISABLED", Reason(nurse));
        Assert.DoesNotContain(nhs, nurse.Status.Detail, StringComparison.Ordinal);

        Assert.Equal(
        [
            new Stored((int)AuditOutcome.Denied, (int)AuditDenialReason.SelfClaimNotPermitted, "RR8", "R8008", (int)PurposeOfUse.DirectCare),
            new Stored((int)AuditOutcome.Denied, (int)AuditDenialReason.SelfClaimsDisabled, "RGD", "R8001", (int)PurposeOfUse.DirectCare),
        ], await SelfClaimEventsAsync(nhs));

        // Nobody can use either refusal: no token without a relationship.
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await AccessAsync(Gateway, "clerk.rr8", nhs));
        Assert.Equal("NO_CARE_RELATIONSHIP", Reason(denied));

        // A system has no session to claim with.
        var system = await Assert.ThrowsAsync<RpcException>(async () =>
            await identity.ClaimCareRelationshipAsync(Claim(nhs), Bearer(await SystemAsync(Gateway, "rr8-ppm-feed", "relationships.write"))));
        Assert.Equal(StatusCode.Unauthenticated, system.StatusCode);
    }

    [Fact]
    public async Task A_claim_that_cannot_be_audited_is_answered_unavailable_and_a_retry_records_it_once()
    {
        var nhs = Nhs(UnauditedPatient);
        await using var blind = platform.CreateGateway(wrap: (service, handler) => service == ServiceNames.Audit ? new UnreachableHandler() : handler);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await IdentityClient(blind.Channel).ClaimCareRelationshipAsync(Claim(nhs), Bearer(await SessionAsync(blind.Channel, "ed.rr8"))));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal("AUDIT_UNAVAILABLE", Reason(e));
        Assert.Empty(await SelfClaimEventsAsync(nhs));

        var session = Bearer(await SessionAsync(Gateway, "ed.rr8"));
        var retry = await IdentityClient(Gateway).ClaimCareRelationshipAsync(Claim(nhs), session);
        Assert.False(retry.Created);
        await IdentityClient(Gateway).ClaimCareRelationshipAsync(Claim(nhs), session);
        Assert.Single(await SelfClaimEventsAsync(nhs));
    }

    [Fact]
    public async Task An_organisation_switches_self_claims_off_through_the_gateway_and_only_for_itself()
    {
        var admin = Bearer(await SystemAsync(Gateway, "platform-admin", "identity.admin"));
        var read = await IdentityClient(Gateway).GetOrganisationAsync(new GetOrganisationRequest { OdsCode = "RGD" }, admin);
        Assert.True(read.Organisation.SelfClaimsDisabled);
        var feed = Bearer(await SystemAsync(Gateway, "rr8-ppm-feed", "relationships.write"));
        var e = await Assert.ThrowsAsync<RpcException>(async () => await IdentityClient(Gateway).UpdateOrganisationAsync(new UpdateOrganisationRequest
        {
            Organisation = new Organisation { OdsCode = "RGD", SelfClaimsDisabled = false },
            UpdateMask = new FieldMask { Paths = { "self_claims_disabled" } },
        }, feed));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Equal("SCOPE_NOT_PERMITTED", Reason(e));
        var same = await IdentityClient(Gateway).UpdateOrganisationAsync(new UpdateOrganisationRequest
        {
            Organisation = new Organisation { OdsCode = "RGD", SelfClaimsDisabled = true },
            UpdateMask = new FieldMask { Paths = { "self_claims_disabled" } },
        }, admin);
        Assert.True(same.Organisation.SelfClaimsDisabled);
    }
}
