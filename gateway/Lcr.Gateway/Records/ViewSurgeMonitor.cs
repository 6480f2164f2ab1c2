using System.Threading.Channels;
using Lcr.Gateway.Telemetry;
using Lcr.Security;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Records;

/// <summary>
/// Takes each counted record view (<see cref="ViewSurgeRule.Counts"/>) off the response path: the
/// read only writes it to a bounded in-memory queue, which <see cref="ViewSurgeService"/> drains.
/// A full queue drops the view and counts it (<c>lcr.gateway.view_surge.skipped</c>, cause
/// <c>queue_full</c>); a read is never slowed or failed by the surge rule.
/// </summary>
public sealed class ViewSurgeMonitor(IOptions<ViewSurgeOptions> options, GatewayMetrics metrics, TimeProvider clock)
{
    /// <summary>One counted view: whose record, by whom, when. Held in memory only.</summary>
    public sealed record View(string NhsNumber, string ProfessionalId, DateTimeOffset At);

    private readonly Channel<View> _views = Channel.CreateBounded<View>(new BoundedChannelOptions(Math.Max(1, options.Value.QueueCapacity))
    {
        // Wait (not DropWrite): TryWrite then answers false when full, so the drop is counted.
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
        SingleWriter = false,
    });

    /// <summary>The views waiting to be counted.</summary>
    public ChannelReader<View> Views => _views.Reader;

    /// <summary>Queues the view of a permitted read if it counts; never waits.</summary>
    public void Observe(VerifiedAccessToken token, string nhsNumber, SealedRecordAccessKind seal)
    {
        if (!ViewSurgeRule.Counts(token, seal))
        {
            return;
        }

        if (!_views.Writer.TryWrite(new View(nhsNumber, token.ProfessionalId, clock.GetUtcNow())))
        {
            metrics.ViewSurgeSkipped.Add(1, new KeyValuePair<string, object?>("cause", "queue_full"));
        }
    }
}
