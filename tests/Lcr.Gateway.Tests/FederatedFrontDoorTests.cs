using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using static Lcr.Gateway.Tests.Callers;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>Issue 18 at the front door: a clinical system reads a record with only the professional's OIDC sign-in.</summary>
[Collection(PlatformCollection.Name)]
public class FederatedFrontDoorTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    [Fact]
    public async Task A_gp_system_reads_a_record_with_the_gps_id_token_from_the_provider_and_no_platform_password()
    {
        // The GP signs in to their practice system at the (development) provider; the system holds the ID token.
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", "b86001-gp-system");

        var session = await IdentityClient(Gateway).ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = idToken,
            SubjectTokenType = "urn:ietf:params:oauth:token-type:id_token",
            RoleProfileId = "953712240002",
        });
        var nhs = Nhs(Scenario.WithholdsMentalHealth);
        var access = await IdentityClient(Gateway).IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare }, Bearer(session.SessionToken));
        var record = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(access.AccessToken));
        Assert.Equal(nhs, record.Patient.NhsNumber);

        // The session token is not a record credential at the front door.
        await Lcr.Testing.RpcAssert.Fails(StatusCode.Unauthenticated, async () =>
            await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(session.SessionToken)));
    }
}
