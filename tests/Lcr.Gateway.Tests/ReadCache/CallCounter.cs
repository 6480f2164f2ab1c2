using System.Collections.Concurrent;

namespace Lcr.Gateway.Tests.ReadCache;

/// <summary>Counts a gateway's calls to its internal services by gRPC method (e.g. "EvaluateAccess"): what the read cache saved or did not.</summary>
public sealed class CallCounter
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public int this[string method] => _calls.GetValueOrDefault(method);

    public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Handler(inner, this);

    private sealed class Handler(HttpMessageHandler inner, CallCounter counter) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var method = request.RequestUri?.AbsolutePath.Split('/').LastOrDefault() ?? string.Empty;
            counter._calls.AddOrUpdate(method, 1, (_, n) => n + 1);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
