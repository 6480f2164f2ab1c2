using Grpc.Core;
using Grpc.Core.Interceptors;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// The identity service's public signing keys, fetched over the gateway's own channel with
/// its internal credential (identity accepts only the gateway), for the local token verifier.
/// </summary>
public sealed class DownstreamSigningKeySource(DownstreamChannels channels, InternalCredentialsHolder credentials) : ISigningKeySource
{
    public Task<SigningKeySet> FetchAsync(CancellationToken cancellationToken)
    {
        var invoker = channels[ServiceNames.Identity].Intercept(headers =>
        {
            foreach (var h in credentials.Value?.For(PlatformActor.Gateway) ?? CallerHeaders.For(PlatformActor.Gateway))
            {
                headers.Add(h);
            }

            return headers;
        });
        return new GrpcSigningKeySource(new IdentityService.IdentityServiceClient(invoker)).FetchAsync(cancellationToken);
    }
}
