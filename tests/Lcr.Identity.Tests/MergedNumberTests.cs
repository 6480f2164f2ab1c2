using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.Seed;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults.DevData;
using Lcr.Testing;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Identity.Tests;

/// <summary>
/// Issue 21: care relationships across a merge. While NHS number A stands superseded by B, the
/// gateway passes A in <c>merged_nhs_numbers</c> with B: a relationship recorded under A counts for B.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class MergedNumberTests(IdentityHost host)
{
    private IdentityService.IdentityServiceClient Client => host.Client;

    private static IssueAccessTokenRequest DirectCare(string nhs, params string[] merged) =>
        new() { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare, MergedNhsNumbers = { merged } };

    private async Task<bool> LinkedAsync(string nhs, string ods, params string[] merged) =>
        (await Client.CheckOrganisationLinkAsync(new CheckOrganisationLinkRequest
        {
            NhsNumber = nhs, OrganisationOdsCode = ods, MergedNhsNumbers = { merged },
        })).Linked;

    [Fact]
    public async Task A_relationship_under_the_merged_away_number_gives_a_token_for_the_kept_number_only_with_the_set()
    {
        var (kept, away) = (IdentityHost.NewNhsNumber(), IdentityHost.NewNhsNumber());
        var relationship = await host.RecordAsync(await host.SystemAsync("rr8-ppm-feed"), away, CareRelationshipKind.InpatientEpisode,
            c => c.OrganisationOdsCode = "RR8");
        var session = await host.SessionAsync("ed.rr8");

        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP", async () => await Client.IssueAccessTokenAsync(DirectCare(kept), session));

        var issued = await Client.IssueAccessTokenAsync(DirectCare(kept, away), session);
        Assert.Equal(relationship.Id, issued.CareRelationshipId);
        Assert.Equal(CareRelationshipKind.InpatientEpisode, issued.CareRelationshipKind);
        var token = await host.GatewayVerifier().Verifier.VerifyAsync(issued.AccessToken);
        Assert.Equal(kept, token.NhsNumber); // the token names the number asked for, never the merged one
        Assert.Equal(relationship.Id, token.CareRelationshipId);
    }

    [Fact]
    public async Task Team_professional_and_self_claimed_relationships_under_a_merged_number_count_as_they_do_under_one()
    {
        var rr8 = await host.SystemAsync("rr8-ppm-feed");
        var doctor = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "RR8", IdentityHost.SeedPassword, "RR8:WARD-3");
        var session = await host.SessionAsync(doctor.UserName);

        var (kept, teamAway) = (IdentityHost.NewNhsNumber(), IdentityHost.NewNhsNumber());
        var team = await host.RecordAsync(rr8, teamAway, CareRelationshipKind.InpatientEpisode, c => c.TeamId = "RR8:WARD-3");
        Assert.Equal(team.Id, (await Client.IssueAccessTokenAsync(DirectCare(kept, teamAway), session)).CareRelationshipId);

        var (kept2, professionalAway) = (IdentityHost.NewNhsNumber(), IdentityHost.NewNhsNumber());
        var named = await host.RecordAsync(rr8, professionalAway, CareRelationshipKind.Referral, c => c.ProfessionalId = doctor.Id);
        Assert.Equal(named.Id, (await Client.IssueAccessTokenAsync(DirectCare(kept2, professionalAway), session)).CareRelationshipId);

        var (kept3, claimedAway) = (IdentityHost.NewNhsNumber(), IdentityHost.NewNhsNumber());
        var claim = (await Client.ClaimCareRelationshipAsync(new ClaimCareRelationshipRequest
        {
            NhsNumber = claimedAway, ReasonCode = SelfClaimReason.PatientPresented,
        }, session)).CareRelationship;
        var onClaim = await Client.IssueAccessTokenAsync(DirectCare(kept3, claimedAway), session);
        Assert.Equal(claim.Id, onClaim.CareRelationshipId);
        Assert.Equal(CareRelationshipKind.SelfClaimed, onClaim.CareRelationshipKind);
    }

    [Fact]
    public async Task A_relationship_under_the_own_number_is_preferred_to_one_under_a_merged_number()
    {
        var rr8 = await host.SystemAsync("rr8-ppm-feed");
        var (kept, away) = (IdentityHost.NewNhsNumber(), IdentityHost.NewNhsNumber());
        await host.RecordAsync(rr8, away, CareRelationshipKind.InpatientEpisode, c => c.OrganisationOdsCode = "RR8");
        var own = await host.RecordAsync(rr8, kept, CareRelationshipKind.OutpatientEpisode, c => c.OrganisationOdsCode = "RR8");
        Assert.Equal(own.Id, (await Client.IssueAccessTokenAsync(DirectCare(kept, away), await host.SessionAsync("ed.rr8"))).CareRelationshipId);
    }

    [Fact]
    public async Task The_organisation_link_check_counts_relationships_under_merged_numbers()
    {
        var (kept, away) = (IdentityHost.NewNhsNumber(), IdentityHost.NewNhsNumber());
        await host.RecordAsync(await host.SystemAsync("rgd-care-feed"), away, CareRelationshipKind.MentalHealthCareTeam, c => c.TeamId = "RGD:CMHT-NORTH");
        Assert.False(await LinkedAsync(kept, "RGD"));
        Assert.True(await LinkedAsync(kept, "RGD", away));
        Assert.False(await LinkedAsync(kept, "RR8", away));
    }

    [Fact]
    public async Task Bad_merged_numbers_are_refused_naming_each_one()
    {
        var kept = IdentityHost.NewNhsNumber();
        var other = IdentityHost.NewNhsNumber();
        string[] bad = ["9990000000", kept, other, other];
        string[] fields = ["merged_nhs_numbers[0]", "merged_nhs_numbers[1]", "merged_nhs_numbers[3]"];
        var session = await host.SessionAsync("ed.rr8");
        await RpcAssert.InvalidFields(async () => await Client.IssueAccessTokenAsync(DirectCare(kept, bad), session), fields);
        await RpcAssert.InvalidFields(async () => await LinkedAsync(kept, "RR8", bad), fields);
        var tooMany = Enumerable.Range(0, Lcr.ServiceDefaults.MergedNhsNumbers.Max + 1).Select(_ => IdentityHost.NewNhsNumber()).ToArray();
        await RpcAssert.InvalidFields(async () => await LinkedAsync(kept, "RR8", tooMany), "merged_nhs_numbers");
    }

    [Fact]
    public async Task Seed_records_the_hospital_relationship_under_the_merged_away_number_and_the_kept_numbers_registration()
    {
        var (kept, away) = (IdentityHost.Patient(Scenario.MergedInto), IdentityHost.Patient(Scenario.MergedAway));
        var session = await host.SessionAsync("ed.rr8");
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_CARE_RELATIONSHIP", async () => await Client.IssueAccessTokenAsync(DirectCare(kept), session));
        Assert.NotEmpty((await Client.IssueAccessTokenAsync(DirectCare(kept, away), session)).CareRelationshipId);

        Assert.Equal(SyntheticOrganisations.KirkstallHealthCentre, SyntheticCohort.Patients[Scenario.MergedInto].PracticeOds);
        var registrations = (await Client.ListCareRelationshipsAsync(new ListCareRelationshipsRequest { NhsNumber = kept }, await host.AdminAsync())).CareRelationships;
        Assert.Contains(registrations, r => r.Kind == CareRelationshipKind.RegisteredGp && r.OrganisationOdsCode == SyntheticOrganisations.KirkstallHealthCentre);
    }

    [Fact]
    public async Task Seed_has_the_pds_feed_client_with_the_merge_scope()
    {
        var feed = IdentitySeeder.Clients.Single(c => c.ClientId == IdentitySeeder.PdsFeedClient);
        Assert.Equal(SyntheticOrganisations.PlatformOperator, feed.Ods);
        var issued = await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest
        {
            ClientId = IdentitySeeder.PdsFeedClient, ClientSecret = IdentityHost.SeedSecret, Scopes = { Scopes.DemographicsMerge },
        });
        Assert.Equal([Scopes.DemographicsMerge], issued.Scopes);
        Assert.Contains(Scopes.DemographicsMerge, Scopes.Known);
    }
}
