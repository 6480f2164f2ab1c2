using System.Net;
using System.Net.Sockets;
using Grpc.Core;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// An HTTP request of the FHIR API seen as the call context the read path takes: its
/// cancellation (the client going away), no deadline of its own (each downstream call still
/// gets the gateway's default timeout), the peer address in gRPC's form, and the bearer token
/// (the only header passed on), so the rate limiter and the authenticator see the caller as
/// for a gRPC call and verify its token once. This is what gRPC JSON transcoding does for its
/// HTTP requests too. One per request (<see cref="For"/>).
/// </summary>
public sealed class FhirCallContext : ServerCallContext
{
    private readonly HttpContext _http;
    private readonly Dictionary<object, object> _userState;

    private FhirCallContext(HttpContext http)
    {
        _http = http;
        _userState = new() { ["__HttpContext"] = http };
        if (http.Request.Headers.Authorization is { Count: 1 } authorization && authorization[0] is { } value)
        {
            RequestHeadersCore.Add("authorization", value);
        }
    }

    /// <summary>The request's context, created once and kept with the request.</summary>
    public static FhirCallContext For(HttpContext http)
    {
        if (http.Items.TryGetValue(typeof(FhirCallContext), out var known) && known is FhirCallContext context)
        {
            return context;
        }

        context = new FhirCallContext(http);
        http.Items[typeof(FhirCallContext)] = context;
        return context;
    }

    protected override string MethodCore => "FHIR " + _http.Request.Method + " " + _http.Request.Path.Value;

    protected override string HostCore => _http.Request.Host.Value ?? string.Empty;

    protected override string PeerCore => PeerOf(_http.Connection.RemoteIpAddress, _http.Connection.RemotePort);

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore { get; } = [];

    protected override CancellationToken CancellationTokenCore => _http.RequestAborted;

    protected override Metadata ResponseTrailersCore { get; } = [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore { get; } = new(null, []);

    protected override IDictionary<object, object> UserStateCore => _userState;

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("The FHIR API's calls are not propagated as gRPC contexts.");

    /// <summary>The peer as Grpc.AspNetCore writes it: <c>ipv4:10.0.0.1:5000</c>, <c>ipv6:[::1]:5000</c>, or <c>unknown</c> (in-memory test server).</summary>
    public static string PeerOf(IPAddress? address, int port) => address switch
    {
        null => "unknown",
        { AddressFamily: AddressFamily.InterNetworkV6 } when address.IsIPv4MappedToIPv6 => $"ipv4:{address.MapToIPv4()}:{port}",
        { AddressFamily: AddressFamily.InterNetworkV6 } => $"ipv6:[{address}]:{port}",
        _ => $"ipv4:{address}:{port}",
    };
}
