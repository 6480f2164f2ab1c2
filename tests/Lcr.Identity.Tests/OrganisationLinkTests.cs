using Grpc.Core;
using Lcr.Identity.V1;
using Lcr.Testing;

namespace Lcr.Identity.Tests;

/// <summary>CheckOrganisationLink (internal): which care relationships link an organisation to a patient, on the real database.</summary>
[Collection(IdentityCollection.Name)]
public sealed class OrganisationLinkTests(IdentityHost host)
{
    private async Task<bool> LinkedAsync(string nhs, string ods) =>
        (await host.Client.CheckOrganisationLinkAsync(new CheckOrganisationLinkRequest { NhsNumber = nhs, OrganisationOdsCode = ods })).Linked;

    [Fact]
    public async Task A_patient_with_no_relationship_is_linked_to_nobody()
    {
        var nhs = IdentityHost.NewNhsNumber();
        Assert.False(await LinkedAsync(nhs, "RR8"));
        Assert.False(await LinkedAsync(nhs, "LCR01"));
    }

    [Fact]
    public async Task The_recording_feed_the_named_teams_organisation_and_a_named_professionals_organisation_are_linked_and_no_other()
    {
        var nhs = IdentityHost.NewNhsNumber();
        var rr8 = await host.SystemAsync("rr8-ppm-feed");
        await host.RecordAsync(rr8, nhs, CareRelationshipKind.InpatientEpisode, c => c.TeamId = "RR8:WARD-7");
        Assert.True(await LinkedAsync(nhs, "rr8"));
        Assert.False(await LinkedAsync(nhs, "B86001"));

        // A nurse of the mental health trust who also holds a role at a GP practice: the trust's
        // relationship links the trust (even once ended), never the nurse's other employer.
        var professional = await host.NewProfessionalAsync("R8000", "RGD");
        await host.AddRoleAsync(professional.Id, "R8000", "B86002");
        var ended = await host.RecordAsync(await host.SystemAsync("rgd-care-feed"), nhs, CareRelationshipKind.Referral, c => c.ProfessionalId = professional.Id);
        await host.Client.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = ended.Id }, await host.SystemAsync("rgd-care-feed"));
        Assert.True(await LinkedAsync(nhs, "RGD"), "the recording organisation, relationship ended");
        Assert.False(await LinkedAsync(nhs, "B86002"), "the named professional's other organisation");
        Assert.False(await LinkedAsync(nhs, "B86003"));
    }

    [Fact]
    public async Task Bad_input_names_the_field()
    {
        var e = await RpcAssert.Fails(StatusCode.InvalidArgument, async () => await host.Client.CheckOrganisationLinkAsync(
            new CheckOrganisationLinkRequest { NhsNumber = "123", OrganisationOdsCode = "R" }));
        var fields = e.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(f => f.Field).ToList();
        Assert.Contains("nhs_number", fields);
        Assert.Contains("organisation_ods_code", fields);
    }
}
