using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.V1;
using Lcr.Security;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Identity.Tests;

[Collection(IdentityCollection.Name)]
public sealed class RelationshipTests(IdentityHost host)
{
    private IdentityService.IdentityServiceClient Client => host.Client;

    [Fact]
    public async Task Recording_is_idempotent_per_source_and_updates_a_changed_relationship()
    {
        var feed = await host.SystemAsync("rr8-ppm-feed");
        var nhs = IdentityHost.NewNhsNumber();
        var request = new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = nhs, Kind = CareRelationshipKind.InpatientEpisode, TeamId = "rr8:ward-7",
                Source = new Provenance { SourceEntryId = "ADM-" + nhs, SourceSystem = "PPM+" },
            },
        };
        var first = await Client.RecordCareRelationshipAsync(request, feed);
        Assert.True(first.Created);
        Assert.Equal("RR8:WARD-7", first.CareRelationship.TeamId);
        Assert.Equal("RR8", first.CareRelationship.Source.SourceOrganisation.OdsCode);
        Assert.True(first.CareRelationship.Active);

        request.CareRelationship.StartTime = first.CareRelationship.StartTime;
        var again = await Client.RecordCareRelationshipAsync(request, feed);
        Assert.False(again.Created);
        Assert.Equal(first.CareRelationship.Id, again.CareRelationship.Id);

        request.CareRelationship.EndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(3));
        var planned = await Client.RecordCareRelationshipAsync(request, feed);
        Assert.False(planned.Created);
        Assert.Equal(first.CareRelationship.Id, planned.CareRelationship.Id);
        Assert.NotNull(planned.CareRelationship.EndTime);
        Assert.True(planned.CareRelationship.Active);
    }

    [Fact]
    public async Task Only_system_callers_with_the_write_scope_record_relationships()
    {
        var request = new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = IdentityHost.NewNhsNumber(), Kind = CareRelationshipKind.Referral, OrganisationOdsCode = "RR8",
                Source = new Provenance { SourceEntryId = "self-granted" },
            },
        };
        // A professional cannot grant themselves access.
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.WrongType,
            async () => await Client.RecordCareRelationshipAsync(request, await host.SessionAsync("ed.rr8")));
        // A feed token without relationships.write is refused.
        await RpcAssert.Fails(StatusCode.PermissionDenied, "SCOPE_NOT_PERMITTED",
            async () => await Client.RecordCareRelationshipAsync(request, await host.SystemAsync("rr8-ppm-feed", "record.contribute")));
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.Missing, async () => await Client.RecordCareRelationshipAsync(request));
    }

    [Fact]
    public async Task Only_the_recording_organisation_ends_a_relationship_and_ending_is_idempotent()
    {
        var rr8 = await host.SystemAsync("rr8-ppm-feed");
        var rel = await host.RecordAsync(rr8, IdentityHost.NewNhsNumber(), CareRelationshipKind.OutpatientEpisode, c => c.OrganisationOdsCode = "RR8", "OPA-77");
        await RpcAssert.Fails(StatusCode.PermissionDenied, "RELATIONSHIP_OF_ANOTHER_ORGANISATION", async () =>
            await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = rel.Id }, await host.SystemAsync("rgd-care-feed")));

        var ended = await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { SourceEntryId = "OPA-77" }, rr8);
        Assert.True(ended.Changed);
        var again = await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = rel.Id }, rr8);
        Assert.Equal(ended.CareRelationship.EndTime, again.CareRelationship.EndTime);
        Assert.False(again.Changed);
    }

    [Fact]
    public async Task Listing_shows_current_then_ended_relationships_in_pages()
    {
        var feed = await host.SystemAsync("rr8-ppm-feed");
        var nhs = IdentityHost.NewNhsNumber();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await host.RecordAsync(feed, nhs, CareRelationshipKind.OutpatientEpisode, c => c.OrganisationOdsCode = "RR8")).Id);
        }

        await Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = ids[4] }, feed);
        var reader = await host.AdminAsync();

        var activeOnly = await Client.ListCareRelationshipsAsync(new ListCareRelationshipsRequest { NhsNumber = nhs }, reader);
        Assert.Equal(4, activeOnly.CareRelationships.Count);

        var seen = new List<CareRelationship>();
        var token = string.Empty;
        do
        {
            var page = await Client.ListCareRelationshipsAsync(new ListCareRelationshipsRequest { NhsNumber = nhs, IncludeEnded = true, PageSize = 2, PageToken = token }, reader);
            seen.AddRange(page.CareRelationships);
            token = page.NextPageToken;
        }
        while (token.Length > 0);

        Assert.Equal(ids.Order(), seen.Select(s => s.Id).Order());
        Assert.Equal(ids[4], seen[^1].Id);
        Assert.All(seen.Take(4), s => Assert.True(s.Active));
    }

    [Fact]
    public async Task Bad_relationship_names_every_bad_field_and_writes_nothing()
    {
        var feed = await host.SystemAsync("rr8-ppm-feed");
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        await RpcAssert.InvalidFields(async () => await Client.RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = "1234567890",
                StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(start),
                EndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(start.AddHours(-2)),
            },
        }, feed), "care_relationship.nhs_number", "care_relationship.kind", "care_relationship.subject",
            "care_relationship.end_time", "care_relationship.source.source_entry_id");

        await RpcAssert.InvalidFields(async () => await Client.RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = IdentityHost.NewNhsNumber(), Kind = CareRelationshipKind.Referral, TeamId = "no team",
                Source = new Provenance { SourceEntryId = "x" },
            },
        }, feed), "care_relationship.team_id");

        await RpcAssert.Fails(StatusCode.NotFound, async () => await host.RecordAsync(feed, IdentityHost.NewNhsNumber(),
            CareRelationshipKind.Referral, c => c.ProfessionalId = Guid.NewGuid().ToString()));
        await RpcAssert.InvalidFields(async () => await Client.ListCareRelationshipsAsync(
            new ListCareRelationshipsRequest { NhsNumber = "123", PageSize = -1, PageToken = "garbage" }, await host.AdminAsync()),
            "nhs_number", "page_size", "page_token");
    }

    [Fact]
    public async Task Seed_tells_the_shared_story()
    {
        var reader = await host.AdminAsync();
        async Task<List<CareRelationship>> Of(int i) =>
            [.. (await Client.ListCareRelationshipsAsync(new ListCareRelationshipsRequest { NhsNumber = IdentityHost.Patient(i) }, reader)).CareRelationships];

        var example = await Of(Scenario.ExamplePatient);
        Assert.Contains(example, r => r.Kind == CareRelationshipKind.RegisteredGp && r.OrganisationOdsCode == "B86001");
        Assert.Contains(example, r => r.Kind == CareRelationshipKind.InpatientEpisode && r.TeamId.StartsWith("RR8:", StringComparison.Ordinal));
        var social = await Of(Scenario.SocialCareCase);
        Assert.Contains(social, r => r.Kind == CareRelationshipKind.SocialCareCase && r.OrganisationOdsCode == "00DA");
        Assert.Contains(social, r => r.Kind == CareRelationshipKind.MentalHealthCareTeam && r.TeamId.StartsWith("RGD:", StringComparison.Ordinal));
        for (var i = 1; i <= 4; i++)
        {
            var gp = await Client.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = IdentityHost.Patient(i), Purpose = PurposeOfUse.DirectCare },
                await host.SessionAsync("gp.b86001"));
            Assert.NotEmpty(gp.CareRelationshipId);
        }

        // The sealed patient's GP has the fixed platform id the consent seed names on the seal, and a relationship.
        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from professionals where id = @id and user_name = 'gp.b86001'",
            ("id", Guid.Parse(Scenario.SealedRecordNamedProfessionalId))));
        Assert.Contains(await Of(Scenario.Sealed), r => r.Kind == CareRelationshipKind.RegisteredGp && r.OrganisationOdsCode == "B86001");

        // The seed is idempotent: running it again changes nothing.
        var before = await host.Database.ScalarAsync("select count(*) from care_relationships");
        foreach (var seeder in Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetServices<Lcr.ServiceDefaults.IDevelopmentSeeder>(host.Services))
        {
            await seeder.SeedAsync(CancellationToken.None);
        }

        Assert.Equal(before, await host.Database.ScalarAsync("select count(*) from care_relationships"));
    }
}
