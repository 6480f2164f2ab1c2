using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Gateway.Tests;

/// <summary>What an NHS clinical system does at the front door: sign in, get tokens, call.</summary>
internal static class Callers
{
    public static string Nhs(int scenarioIndex) => SyntheticCohort.Patients[scenarioIndex].NhsNumber;

    public static IdentityService.IdentityServiceClient IdentityClient(GrpcChannel gateway) => new(gateway);

    public static GatewayService.GatewayServiceClient RecordsClient(GrpcChannel gateway) => new(gateway);

    public static async Task<string> SessionAsync(GrpcChannel gateway, string userName) =>
        (await IdentityClient(gateway).SignInAsync(new SignInRequest { UserName = userName, Password = PlatformFixture.Password })).SessionToken;

    public static async Task<IssueAccessTokenResponse> AccessAsync(GrpcChannel gateway, string userName, string nhsNumber,
        PurposeOfUse purpose = PurposeOfUse.DirectCare)
    {
        var session = await SessionAsync(gateway, userName);
        return await IdentityClient(gateway).IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = nhsNumber, Purpose = purpose },
            BearerToken.Metadata(session));
    }

    public static async Task<string> SystemAsync(GrpcChannel gateway, string clientId, params string[] scopes) =>
        (await IdentityClient(gateway).IssueSystemTokenAsync(new IssueSystemTokenRequest
        {
            ClientId = clientId, ClientSecret = PlatformFixture.ClientSecret, Scopes = { scopes },
        })).SystemToken;

    public static Metadata Bearer(string token) => BearerToken.Metadata(token);

    public static string? Reason(RpcException e) => e.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason;
}
