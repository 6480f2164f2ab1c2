using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Lcr.ServiceDefaults;

/// <summary>
/// RESOURCE_EXHAUSTED with a <c>google.rpc.RetryInfo</c> saying how long to wait: the caller
/// is held back without any server thread waiting. The delay is rounded up to whole seconds.
/// </summary>
public sealed class ResourceExhaustedException(string reason, string message, TimeSpan retryAfter)
    : LcrException(StatusCode.ResourceExhausted, reason, message)
{
    /// <summary>How long the caller should wait before trying again.</summary>
    public TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)));

    public override Google.Rpc.Status ToStatus()
    {
        var status = base.ToStatus();
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(RetryAfter) }));
        return status;
    }
}
