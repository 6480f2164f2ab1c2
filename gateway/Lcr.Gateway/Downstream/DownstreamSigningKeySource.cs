using Grpc.Net.ClientFactory;
using Lcr.Identity.V1;
using Lcr.Security;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// The identity service's public signing keys, fetched over the gateway's own identity client
/// with its internal credential (identity accepts only the gateway), for the local token verifier.
/// </summary>
public sealed class DownstreamSigningKeySource(GrpcClientFactory clients) : ISigningKeySource
{
    public Task<SigningKeySet> FetchAsync(CancellationToken cancellationToken) =>
        new GrpcSigningKeySource(clients.CreateClient<IdentityService.IdentityServiceClient>(DownstreamClients.IdentityKeys)).FetchAsync(cancellationToken);
}
