using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using static Lcr.Gateway.Tests.Callers;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Issue 17: a feed's care relationships stop at its organisation's boundary, and every one it
/// records, changes or ends (or is refused for crossing the boundary) is in the patient's trail.
/// </summary>
[Collection(PlatformCollection.Name)]
public class CareRelationshipAuditTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private sealed record Event(string Actor, int Outcome, int DenialReason, int Purpose, string? RelationshipId);

    private async Task<List<Event>> RelationshipEventsAsync(string nhs)
    {
        var rows = new List<Event>();
        await using var conn = new Npgsql.NpgsqlConnection(platform.Audit.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            "select actor_id, outcome, denial_reason, purpose_of_use, care_relationship_id from audit_events " +
            "where nhs_number = @n and action = @a order by ingest_id", conn);
        cmd.Parameters.AddWithValue("n", nhs);
        cmd.Parameters.AddWithValue("a", (int)AuditAction.CareRelationshipChange);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Event(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return rows;
    }

    private static CareRelationship Relationship(string nhs, CareRelationshipKind kind, Action<CareRelationship> subject, string sourceId)
    {
        var c = new CareRelationship
        {
            NhsNumber = nhs,
            Kind = kind,
            StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-2)),
            Source = new Provenance { SourceEntryId = sourceId, SourceSystem = "test-feed" },
        };
        subject(c);
        return c;
    }

    [Fact]
    public async Task Social_care_feed_naming_a_hospital_emergency_doctor_is_refused_and_audited_and_the_doctor_gets_no_direct_care_token()
    {
        var nhs = Nhs(181);
        var doctor = (await IdentityClient(Gateway).SignInAsync(new SignInRequest { UserName = "ed.rr8", Password = PlatformFixture.Password })).Professional;
        var social = Bearer(await SystemAsync(Gateway, "00da-social-care-feed", "relationships.write"));

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await IdentityClient(Gateway).RecordCareRelationshipAsync(
            new RecordCareRelationshipRequest
            {
                CareRelationship = Relationship(nhs, CareRelationshipKind.SocialCareCase, c => c.ProfessionalId = doctor.Id, "case-" + Guid.NewGuid().ToString("N")),
            }, social));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal("RELATIONSHIP_OUTSIDE_ORGANISATION", Reason(refused));
        Assert.DoesNotContain(doctor.Id, refused.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(nhs, refused.Status.Detail, StringComparison.Ordinal);

        var e = Assert.Single(await RelationshipEventsAsync(nhs));
        Assert.Equal(new Event("00da-social-care-feed", (int)AuditOutcome.Denied, (int)AuditDenialReason.OutsideOrganisation,
            (int)PurposeOfUse.RecordContribution, null), e);

        var denied = await Assert.ThrowsAsync<RpcException>(async () => await AccessAsync(Gateway, "ed.rr8", nhs));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal("NO_CARE_RELATIONSHIP", Reason(denied));
    }

    [Fact]
    public async Task A_recorded_changed_or_ended_relationship_leaves_exactly_one_event_each_and_an_unchanged_resend_none()
    {
        var nhs = Nhs(183);
        var feed = Bearer(await SystemAsync(Gateway, "rr8-ppm-feed", "relationships.write"));
        var identity = IdentityClient(Gateway);
        var request = new RecordCareRelationshipRequest
        {
            CareRelationship = Relationship(nhs, CareRelationshipKind.InpatientEpisode, c => c.TeamId = "RR8:WARD-12", "adm-" + Guid.NewGuid().ToString("N")),
        };

        var recorded = await identity.RecordCareRelationshipAsync(request, feed);
        Assert.True(recorded.Changed);
        var id = recorded.CareRelationship.Id;
        var one = Assert.Single(await RelationshipEventsAsync(nhs));
        Assert.Equal(new Event("rr8-ppm-feed", (int)AuditOutcome.Permitted, 0, (int)PurposeOfUse.RecordContribution, id), one);

        var resent = await identity.RecordCareRelationshipAsync(request, feed);
        Assert.False(resent.Changed);
        Assert.Single(await RelationshipEventsAsync(nhs));

        request.CareRelationship.EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(3));
        Assert.True((await identity.RecordCareRelationshipAsync(request, feed)).Changed);
        Assert.Equal(2, (await RelationshipEventsAsync(nhs)).Count);

        Assert.True((await identity.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = id }, feed)).Changed);
        Assert.False((await identity.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = id }, feed)).Changed);
        var all = await RelationshipEventsAsync(nhs);
        Assert.Equal(3, all.Count);
        Assert.All(all, x => Assert.Equal(new Event("rr8-ppm-feed", (int)AuditOutcome.Permitted, 0, (int)PurposeOfUse.RecordContribution, id), x));
    }

    [Fact]
    public async Task A_relationship_change_that_cannot_be_audited_is_answered_unavailable()
    {
        var nhs = Nhs(185);
        await using var blind = platform.CreateGateway(wrap: (service, handler) =>
            service == Lcr.Gateway.Downstream.ServiceNames.Audit ? new UnreachableHandler() : handler);
        var feed = Bearer(await SystemAsync(Gateway, "rr8-ppm-feed", "relationships.write"));
        var e = await Assert.ThrowsAsync<RpcException>(async () => await IdentityClient(blind.Channel).RecordCareRelationshipAsync(
            new RecordCareRelationshipRequest
            {
                CareRelationship = Relationship(nhs, CareRelationshipKind.OutpatientEpisode, c => c.OrganisationOdsCode = "RR8", "opa-" + Guid.NewGuid().ToString("N")),
            }, feed));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal("AUDIT_UNAVAILABLE", Reason(e));
    }

    [Fact]
    public async Task A_feed_listing_care_relationships_sees_none_of_another_organisations_teams()
    {
        // Patient 2 is under the mental health trust's community team (RGD:CMHT-NORTH) and registered at a practice.
        var nhs = Nhs(Scenario.WithholdsMentalHealth);
        var request = new ListCareRelationshipsRequest { NhsNumber = nhs, IncludeEnded = true };
        var hospital = await IdentityClient(Gateway).ListCareRelationshipsAsync(request,
            Bearer(await SystemAsync(Gateway, "rr8-ppm-feed", "relationships.read")));
        Assert.DoesNotContain(hospital.CareRelationships, r => r.TeamId.StartsWith("RGD:", StringComparison.Ordinal));
        Assert.All(hospital.CareRelationships, r => Assert.True(r.Source.SourceOrganisation.OdsCode == "RR8" || r.OrganisationOdsCode == "RR8" ||
                                                                r.TeamId.StartsWith("RR8:", StringComparison.Ordinal)));

        var trust = await IdentityClient(Gateway).ListCareRelationshipsAsync(request,
            Bearer(await SystemAsync(Gateway, "rgd-care-feed", "relationships.read")));
        Assert.Contains(trust.CareRelationships, r => r.TeamId == "RGD:CMHT-NORTH");
        Assert.DoesNotContain(trust.CareRelationships, r => r.Kind == CareRelationshipKind.RegisteredGp);
    }
}
