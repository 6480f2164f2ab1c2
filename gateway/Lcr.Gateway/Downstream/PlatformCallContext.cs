using Grpc.Core;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// The call context of work the gateway does on its own behalf, off any caller's request (the
/// view-surge monitor's seal and audit event): a deadline and the host's stopping token, no peer,
/// no headers. <see cref="DownstreamCalls.As(Lcr.Common.V1.Actor, ServerCallContext, Metadata?)"/> and <see cref="Records.AuditTrail"/> take it as
/// they take a caller's.
/// </summary>
public sealed class PlatformCallContext(DateTime deadline, CancellationToken cancellationToken) : ServerCallContext
{
    private readonly Dictionary<object, object> _userState = [];

    protected override string MethodCore => "platform";

    protected override string HostCore => string.Empty;

    protected override string PeerCore => "unknown";

    protected override DateTime DeadlineCore => deadline;

    protected override Metadata RequestHeadersCore { get; } = [];

    protected override CancellationToken CancellationTokenCore => cancellationToken;

    protected override Metadata ResponseTrailersCore { get; } = [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore { get; } = new(null, []);

    protected override IDictionary<object, object> UserStateCore => _userState;

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Platform work is not propagated as a gRPC context.");
}
