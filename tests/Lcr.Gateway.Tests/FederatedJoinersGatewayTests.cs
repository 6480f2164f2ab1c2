using Grpc.Core;
using Lcr.Identity.V1;
using Lcr.Testing;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests;

/// <summary>Issue 18's joiners at the front door: a person the provider vouches for but the platform does not know, listed and linked.</summary>
[Collection(PlatformCollection.Name)]
public class FederatedJoinersGatewayTests(PlatformFixture platform)
{
    private const string IgAtB86001 = "582351388882";

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    [Fact]
    public async Task A_person_the_platform_does_not_know_is_listed_as_a_joiner_and_once_linked_signs_in_through_the_front_door()
    {
        var identity = IdentityClient(Gateway);
        var admin = Bearer(await SystemAsync(Gateway, "platform-admin"));
        var ig = (await identity.ListProfessionalsAsync(new ListProfessionalsRequest { OrganisationOdsCode = "B86001", PageSize = 200 }, admin))
            .Professionals.Single(p => p.UserName == "ig.b86001");
        var subject = ig.FederatedSubject;

        // The platform does not (yet) know this person at the provider.
        await identity.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = ig.Id, Etag = ig.Etag, FederatedSubject = "" },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "federated_subject" } },
        }, admin);
        var exchange = new ExchangeFederatedTokenRequest
        {
            SubjectToken = await DevOidcProvider.IdTokenAsync("ig.b86001", "b86001-gp-system"),
            SubjectTokenType = "urn:ietf:params:oauth:token-type:id_token",
            RoleProfileId = IgAtB86001,
        };
        await RpcAssert.Fails(StatusCode.Unauthenticated, "UNKNOWN_FEDERATED_SUBJECT", () => identity.ExchangeFederatedTokenAsync(exchange).ResponseAsync);

        // Joiners are an administration call: no system token, no list.
        await RpcAssert.Fails(StatusCode.Unauthenticated, () => identity.ListFederatedJoinersAsync(new ListFederatedJoinersRequest()).ResponseAsync);

        var joiner = (await identity.ListFederatedJoinersAsync(new ListFederatedJoinersRequest
        {
            Status = FederatedJoinerStatus.Open, OrganisationOdsCode = "B86001", Provider = "dev-oidc",
        }, admin)).Joiners.Single(j => j.Subject == subject);
        Assert.Contains(joiner.RoleProfiles, p => p.RoleProfileId == IgAtB86001 && p.OrgCode == "B86001");

        var linked = (await identity.LinkFederatedJoinerAsync(new LinkFederatedJoinerRequest { JoinerId = joiner.Id, ProfessionalId = ig.Id }, admin)).Joiner;
        Assert.Equal(FederatedJoinerStatus.Linked, linked.Status);
        var session = await identity.ExchangeFederatedTokenAsync(exchange);
        Assert.Equal(ig.Id, session.Professional.Id);
    }
}
