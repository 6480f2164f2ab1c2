using System.Net;
using System.Net.Sockets;
using Grpc.Core;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// An HTTP request of the FHIR API seen as the call context the read path takes: its
/// cancellation (the client going away), no deadline of its own (each downstream call still
/// gets the gateway's default timeout), and the peer address in gRPC's form. This is what
/// gRPC JSON transcoding does for its HTTP requests too; no headers are passed on: the caller
/// is already authenticated (<see cref="FhirAuthentication"/>).
/// </summary>
public sealed class FhirCallContext(HttpContext http) : ServerCallContext
{
    private readonly Dictionary<object, object> _userState = new() { ["__HttpContext"] = http };

    protected override string MethodCore => "FHIR " + http.Request.Method + " " + http.Request.Path.Value;

    protected override string HostCore => http.Request.Host.Value ?? string.Empty;

    protected override string PeerCore => PeerOf(http.Connection.RemoteIpAddress, http.Connection.RemotePort);

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore { get; } = [];

    protected override CancellationToken CancellationTokenCore => http.RequestAborted;

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
