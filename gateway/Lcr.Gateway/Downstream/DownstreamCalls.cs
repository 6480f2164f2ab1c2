using Google.Protobuf;
using Grpc.Core;
using Lcr.Common.V1;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// Call options of a downstream call: <c>await consent.GetConsentAsync(request, DownstreamCalls.As(actor, context))</c>.
/// <para>
/// How the actor reaches <see cref="DownstreamInterceptor"/>: <see cref="As(Actor, ServerCallContext, Metadata?)"/>
/// puts it, serialized, in one header (<see cref="ActorHeader"/>) next to the caller's deadline and
/// cancellation. The interceptor on every typed client removes that header and puts the signed
/// internal credential for the actor in its place, so the actor header itself never leaves the
/// gateway; a call made without <see cref="As(Actor, ServerCallContext, Metadata?)"/> carries no
/// actor and the interceptor refuses it (InvalidOperationException) instead of sending it
/// unauthenticated. An explicit per-call value was preferred to an ambient (AsyncLocal) scope:
/// the actor is visible at the call line, and work that outlives a request (shared fetches, batches)
/// cannot pick up the wrong one.
/// </para>
/// </summary>
public static class DownstreamCalls
{
    /// <summary>The gateway-internal header carrying the actor to the interceptor (never sent).</summary>
    public const string ActorHeader = "lcr-downstream-actor-bin";

    /// <summary>
    /// Options for a call on behalf of <paramref name="actor"/> within the call <paramref name="context"/>
    /// (a caller's, or a <see cref="PlatformCallContext"/>): its deadline (reduced by the interceptor)
    /// and cancellation.
    /// </summary>
    public static CallOptions As(Actor actor, ServerCallContext context, Metadata? extraHeaders = null) =>
        As(actor, context.Deadline, context.CancellationToken, extraHeaders);

    /// <summary>
    /// Options for a call on behalf of <paramref name="actor"/> bounded by <paramref name="deadline"/>
    /// (<see cref="DateTime.MaxValue"/>: only the default call timeout) and <paramref name="cancellationToken"/>.
    /// </summary>
    public static CallOptions As(Actor actor, DateTime deadline, CancellationToken cancellationToken, Metadata? extraHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var headers = new Metadata { { ActorHeader, actor.ToByteArray() } };
        if (extraHeaders is not null)
        {
            foreach (var h in extraHeaders)
            {
                headers.Add(h);
            }
        }

        return new CallOptions(headers, deadline, cancellationToken);
    }
}
