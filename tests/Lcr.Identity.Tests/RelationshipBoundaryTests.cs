using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.V1;

namespace Lcr.Identity.Tests;

/// <summary>
/// Issue 17: a feed records care relationships only within its own organisation, and lists
/// only those that concern its organisation (the platform operator's systems excepted).
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class RelationshipBoundaryTests(IdentityHost host)
{
    private IdentityService.IdentityServiceClient Client => host.Client;

    private async Task<long> StoredAsync(string sourceEntryId) =>
        (long)(await host.Database.ScalarAsync("select count(*) from care_relationships where source_entry_id = @s", ("s", sourceEntryId)))!;

    private async Task RefusedAsync(Metadata feed, string nhs, Action<CareRelationship> subject, string sourceId, params string[] notEchoed)
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.RecordAsync(feed, nhs, CareRelationshipKind.Referral, subject, sourceId));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Equal(RelationshipBoundary.Reason, e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason);
        Assert.Contains("own organisation", e.Status.Detail, StringComparison.Ordinal);
        foreach (var s in notEchoed.Append(nhs))
        {
            Assert.DoesNotContain(s, e.Status.Detail, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Social_care_feed_naming_a_hospital_doctor_is_refused_writes_nothing_and_the_doctor_gets_no_token()
    {
        var social = await host.SystemAsync("00da-social-care-feed");
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");
        var nhs = IdentityHost.NewNhsNumber();
        var source = "case-" + Guid.NewGuid().ToString("N")[..10];

        await RefusedAsync(social, nhs, c => c.ProfessionalId = doctor.Id, source, doctor.Id);
        Assert.Equal(0, await StoredAsync(source));
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP", async () => await Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare }, await host.SessionAsync(doctor.UserName)));
    }

    [Fact]
    public async Task A_professional_whose_role_at_the_feeds_organisation_has_ended_is_outside_it()
    {
        var social = await host.SystemAsync("00da-social-care-feed");
        var worker = await host.NewProfessionalAsync(RoleCatalogue.SocialCarePractitioner, "00DA");
        var nhs = IdentityHost.NewNhsNumber();
        var caseId = "case-" + Guid.NewGuid().ToString("N")[..10];
        var request = new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = nhs, Kind = CareRelationshipKind.SocialCareCase, ProfessionalId = worker.Id,
                StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
                Source = new Provenance { SourceEntryId = caseId },
            },
        };
        var before = await Client.RecordCareRelationshipAsync(request, social);
        Assert.Equal(worker.Id, before.CareRelationship.ProfessionalId);

        await Client.EndRoleAssignmentAsync(new EndRoleAssignmentRequest { RoleAssignmentId = worker.RoleAssignmentId }, await host.AdminAsync());
        var source = "case-" + Guid.NewGuid().ToString("N")[..10];
        await RefusedAsync(social, nhs, c => c.ProfessionalId = worker.Id, source, worker.Id);
        Assert.Equal(0, await StoredAsync(source));

        // The relationship recorded while they worked there can still be re-sent and closed by its feed.
        Assert.False((await Client.RecordCareRelationshipAsync(request, social)).Changed);
        request.CareRelationship.EndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        Assert.True((await Client.RecordCareRelationshipAsync(request, social)).Changed);
    }

    [Fact]
    public async Task Another_organisations_team_or_organisation_is_refused()
    {
        var social = await host.SystemAsync("00da-social-care-feed");
        var nhs = IdentityHost.NewNhsNumber();
        var team = "team-" + Guid.NewGuid().ToString("N")[..10];
        await RefusedAsync(social, nhs, c => c.TeamId = "RR8:WARD-12", team, "RR8:WARD-12", "WARD-12");
        await RefusedAsync(social, nhs, c => c.TeamId = "rgd:cmht-north", team, "CMHT-NORTH");
        var org = "org-" + Guid.NewGuid().ToString("N")[..10];
        await RefusedAsync(social, nhs, c => c.OrganisationOdsCode = "RR8", org, "RR8");
        Assert.Equal(0, await StoredAsync(team));
        Assert.Equal(0, await StoredAsync(org));
    }

    [Fact]
    public async Task Changing_a_relationship_to_another_organisations_subject_is_refused_and_leaves_it_as_it_was()
    {
        var rr8 = await host.SystemAsync("rr8-ppm-feed");
        var nhs = IdentityHost.NewNhsNumber();
        var source = "adm-" + Guid.NewGuid().ToString("N")[..10];
        var stored = await host.RecordAsync(rr8, nhs, CareRelationshipKind.InpatientEpisode, c => c.TeamId = "RR8:WARD-9", source);
        var other = await host.NewProfessionalAsync(RoleCatalogue.NurseAccess, "RGD");

        var start = stored.StartTime;
        await RefusedAsync(rr8, nhs, c => { c.TeamId = "RGD:CMHT-NORTH"; c.StartTime = start; }, source, "CMHT-NORTH");
        await RefusedAsync(rr8, nhs, c => { c.OrganisationOdsCode = "RGD"; c.StartTime = start; }, source, "RGD");
        await RefusedAsync(rr8, nhs, c => { c.ProfessionalId = other.Id; c.StartTime = start; }, source, other.Id);

        var now = (await Client.ListCareRelationshipsAsync(new ListCareRelationshipsRequest { NhsNumber = nhs }, rr8)).CareRelationships.Single();
        Assert.Equal(stored.Id, now.Id);
        Assert.Equal("RR8:WARD-9", now.TeamId);
    }

    [Fact]
    public async Task A_feed_records_its_own_organisation_teams_and_professionals_and_says_whether_anything_changed()
    {
        var rr8 = await host.SystemAsync("rr8-ppm-feed");
        var nhs = IdentityHost.NewNhsNumber();
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8");

        foreach (var subject in new Action<CareRelationship>[] { c => c.OrganisationOdsCode = "rr8", c => c.TeamId = "RR8:ED", c => c.ProfessionalId = doctor.Id })
        {
            var source = "ok-" + Guid.NewGuid().ToString("N")[..10];
            var request = new RecordCareRelationshipRequest
            {
                CareRelationship = new CareRelationship
                {
                    NhsNumber = nhs, Kind = CareRelationshipKind.OutpatientEpisode,
                    StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
                    Source = new Provenance { SourceEntryId = source },
                },
            };
            subject(request.CareRelationship);
            var created = await Client.RecordCareRelationshipAsync(request, rr8);
            Assert.True(created.Created);
            Assert.True(created.Changed);

            var again = await Client.RecordCareRelationshipAsync(request, rr8);
            Assert.False(again.Created);
            Assert.False(again.Changed);

            request.CareRelationship.EndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(2));
            var changed = await Client.RecordCareRelationshipAsync(request, rr8);
            Assert.False(changed.Created);
            Assert.True(changed.Changed);

            var ended = await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { SourceEntryId = source }, rr8);
            Assert.True(ended.Changed);
            Assert.False(ended.CareRelationship.Active);
            var endedAgain = await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { SourceEntryId = source }, rr8);
            Assert.False(endedAgain.Changed);
        }

        // A professional with roles at two organisations belongs to both: either feed may name them.
        var shared = await host.NewProfessionalAsync(RoleCatalogue.NurseAccess, "RR8");
        await Client.CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment { ProfessionalId = shared.Id, Organisation = new OrganisationReference { OdsCode = "RGD" }, RoleCode = RoleCatalogue.NurseAccess },
        }, await host.AdminAsync());
        await host.RecordAsync(rr8, nhs, CareRelationshipKind.OutpatientEpisode, c => c.ProfessionalId = shared.Id);
        await host.RecordAsync(await host.SystemAsync("rgd-care-feed"), nhs, CareRelationshipKind.MentalHealthCareTeam, c => c.ProfessionalId = shared.Id);
    }

    [Fact]
    public async Task A_relationship_naming_a_professional_gives_access_only_in_the_role_at_the_recording_organisation()
    {
        // A nurse at the mental health trust who also holds a clinical role at the hospital.
        var nurse = await host.NewProfessionalAsync(RoleCatalogue.NurseAccess, "RGD");
        var hospitalRole = (await Client.CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment { ProfessionalId = nurse.Id, Organisation = new OrganisationReference { OdsCode = "RR8" }, RoleCode = RoleCatalogue.ClinicalPractitioner },
        }, await host.AdminAsync())).RoleAssignment;
        var nhs = IdentityHost.NewNhsNumber();
        var rel = await host.RecordAsync(await host.SystemAsync("rgd-care-feed"), nhs, CareRelationshipKind.MentalHealthCareTeam, c => c.ProfessionalId = nurse.Id);
        var session = await host.SessionAsync(nurse.UserName);

        var asNurse = await Client.IssueAccessTokenAsync(new IssueAccessTokenRequest
        {
            NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare, RoleAssignmentId = nurse.RoleAssignmentId,
        }, session);
        Assert.Equal(rel.Id, asNurse.CareRelationshipId);
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP", async () => await Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare, RoleAssignmentId = hospitalRole.Id }, session));
    }

    [Fact]
    public async Task Reseeding_moves_the_platform_admin_client_to_the_platform_teams_organisation()
    {
        // Seeded before issue 17, platform-admin acted for the teaching hospital.
        await host.Database.ScalarAsync("update system_clients set organisation_ods = 'RR8' where client_id = 'platform-admin'");
        foreach (var seeder in Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetServices<Lcr.ServiceDefaults.IDevelopmentSeeder>(host.Services))
        {
            await seeder.SeedAsync(CancellationToken.None);
        }

        Assert.Equal("LCR01", await host.Database.ScalarAsync("select organisation_ods from system_clients where client_id = 'platform-admin'"));
    }

    [Fact]
    public async Task A_feed_lists_only_relationships_that_concern_its_organisation_and_the_platform_team_lists_all()
    {
        var nhs = IdentityHost.NewNhsNumber();
        var rr8 = await host.SystemAsync("rr8-ppm-feed");
        var rgd = await host.SystemAsync("rgd-care-feed");
        var gp = await host.SystemAsync("b86001-gp-feed");
        var ward = await host.RecordAsync(rr8, nhs, CareRelationshipKind.InpatientEpisode, c => c.TeamId = "RR8:WARD-12");
        var cmht = await host.RecordAsync(rgd, nhs, CareRelationshipKind.MentalHealthCareTeam, c => c.TeamId = "RGD:CMHT-NORTH");
        var registration = await host.RecordAsync(gp, nhs, CareRelationshipKind.RegisteredGp, c => c.OrganisationOdsCode = "B86001");

        // A nurse working at both trusts, named by the mental health feed: the hospital sees it too (its professional).
        var shared = await host.NewProfessionalAsync(RoleCatalogue.NurseAccess, "RGD");
        await Client.CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment { ProfessionalId = shared.Id, Organisation = new OrganisationReference { OdsCode = "RR8" }, RoleCode = RoleCatalogue.NurseAccess },
        }, await host.AdminAsync());
        var nurse = await host.RecordAsync(rgd, nhs, CareRelationshipKind.MentalHealthCareTeam, c => c.ProfessionalId = shared.Id);

        async Task<string[]> Ids(Metadata caller) =>
            [.. (await Client.ListCareRelationshipsAsync(new ListCareRelationshipsRequest { NhsNumber = nhs, IncludeEnded = true }, caller))
                .CareRelationships.Select(r => r.Id).Order()];

        Assert.Equal(new[] { ward.Id, nurse.Id }.Order(), await Ids(rr8));
        Assert.Equal(new[] { cmht.Id, nurse.Id }.Order(), await Ids(rgd));
        Assert.Equal([registration.Id], await Ids(gp));
        Assert.Empty(await Ids(await host.SystemAsync("00da-social-care-feed")));
        Assert.Equal(new[] { ward.Id, cmht.Id, registration.Id, nurse.Id }.Order(), await Ids(await host.AdminAsync()));
    }
}
