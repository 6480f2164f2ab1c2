using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.Security;

namespace Lcr.Platform.Tests;

/// <summary>A caller of the real gateway: signs in, gets access tokens, reads records.</summary>
public sealed class PlatformClient : IDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public PlatformClient(string address)
    {
        Channel = GrpcChannel.ForAddress(address);
        Identity = new IdentityService.IdentityServiceClient(Channel);
        Gateway = new GatewayService.GatewayServiceClient(Channel);
    }

    public GrpcChannel Channel { get; }

    public IdentityService.IdentityServiceClient Identity { get; }

    public GatewayService.GatewayServiceClient Gateway { get; }

    public async Task<string> SignInAsync(string user, string password) =>
        (await WarmAsync(() => Identity.SignInAsync(new SignInRequest { UserName = user, Password = password }, deadline: DateTime.UtcNow + Deadline).ResponseAsync)).SessionToken;

    public async Task<Metadata> AccessAsync(string session, string nhsNumber, PurposeOfUse purpose = PurposeOfUse.DirectCare) =>
        BearerToken.Metadata((await WarmAsync(() => Identity.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = nhsNumber, Purpose = purpose }, BearerToken.Metadata(session), DateTime.UtcNow + Deadline).ResponseAsync)).AccessToken);

    /// <summary>
    /// Set-up calls only (never a call under test): a freshly started platform's first calls pay
    /// JIT and connection set-up and, on a busy machine, can exceed the gateway's own downstream
    /// deadline; retried a few times, as the load generator's probe does.
    /// </summary>
    public static async Task<T> WarmAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException e) when (attempt < 6 && e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
    }

    public Task<GetPatientRecordResponse> ReadAsync(string nhsNumber, Metadata token, TimeSpan? deadline = null) =>
        Gateway.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhsNumber }, token, DateTime.UtcNow + (deadline ?? Deadline)).ResponseAsync;

    public void Dispose() => Channel.Dispose();
}
