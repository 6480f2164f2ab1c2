using System.Diagnostics;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Gateway.Downstream;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Records;

/// <summary>
/// Coalesces the audit events of concurrent calls into shared <c>RecordEvents</c> calls, each
/// caller still waiting for its own events' commit (issue 22). A caller queues its group of
/// events; if a sender slot is free (<see cref="AuditBatchOptions.MaxConcurrentBatches"/>) the
/// caller starts a sender itself, which sends at once whatever is queued, so a lone read is
/// sent immediately, in its own trace, with no timer; while calls are in flight, the next
/// callers' events gather in the queue and go together in the next call a sender makes.
/// <list type="bullet">
/// <item>A batch is sent with the gateway's own platform credential, under a deadline of
/// <c>Gateway:DefaultCallTimeout</c> and the gateway's own shutdown token (not one caller's:
/// it carries others' events), through the audit client's circuit breaker (<see cref="DownstreamInterceptor"/>);
/// the channel retries it on UNAVAILABLE, which is safe as RecordEvents is idempotent by event id.</item>
/// <item>A failed batch fails every member (each caller is refused AUDIT_UNAVAILABLE by
/// <see cref="AuditTrail"/>, and counted). One exception: a batch of several callers refused
/// for its content (INVALID_ARGUMENT, ALREADY_EXISTS) is sent again caller by caller, so that
/// one caller's bad event never refuses the reads of the others.</item>
/// <item>Each caller waits at most until its own deadline (less the downstream reserve) and no
/// longer than <c>Gateway:DefaultCallTimeout</c>, and honours its own cancellation; past that
/// it is refused AUDIT_UNAVAILABLE and returns no data, even if its batch commits later (a
/// group not yet sent is then left out).</item>
/// <item>On shutdown queued callers are refused UNAVAILABLE and calls in flight are cancelled:
/// nobody hangs.</item>
/// </list>
/// </summary>
public sealed partial class AuditBatcher(
    Lcr.Audit.V1.AuditService.AuditServiceClient auditService,
    IOptions<AuditBatchOptions> options,
    IOptions<DownstreamOptions> downstreamOptions,
    TimeProvider clock,
    ILogger<AuditBatcher> logger) : IDisposable
{
    private readonly AuditBatchQueue _queue = new(options.Value);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Callers' groups of events waiting for a sender (not yet in a call).</summary>
    public int Waiting => _queue.Queued;

    /// <summary>
    /// Commits <paramref name="events"/> (all or nothing) in a shared call and returns once they
    /// are committed. Throws <see cref="DependencyUnavailableException"/> (AUDIT_UNAVAILABLE) or
    /// the batch's own failure when they are not, and <see cref="OperationCanceledException"/>
    /// when the caller cancels.
    /// </summary>
    public async Task CommitAsync(IReadOnlyCollection<AuditEvent> events, ServerCallContext context)
    {
        var pending = PendingAuditCommit.Of(events);
        bool lead;
        try
        {
            lead = _queue.Enqueue(pending);
        }
        catch (ObjectDisposedException)
        {
            throw Unavailable("the gateway is stopping");
        }

        if (lead)
        {
            // Runs on this caller's thread up to the call's first await: a lone read's event is
            // on the wire at once, and its RecordEvents span is in the read's own trace.
            _ = RunSenderAsync();
        }

        var wait = WaitLimit(context);
        try
        {
            await pending.Completion.WaitAsync(wait, context.CancellationToken);
        }
        catch (TimeoutException)
        {
            pending.Abandon();
            throw Unavailable("the audit service did not commit in time");
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            pending.Abandon();
            throw;
        }
    }

    /// <summary>Takes and sends batches until nothing is queued (then its sender slot is free).</summary>
    private async Task RunSenderAsync()
    {
        List<PendingAuditCommit> batch = [];
        try
        {
            for (batch = _queue.TakeBatch(); batch.Count > 0; batch = _queue.TakeBatch())
            {
                // Each call under the span of its first caller that is still open (the one that
                // started this sender for the first call); none if every one has closed.
                var parent = batch[0].Activity;
                Activity.Current = parent is { IsStopped: false } ? parent : null;
                await SendAsync(batch);
            }
        }
        catch (Exception ex)
        {
            // SendAsync completes every member itself; this is a fault of the loop. Nobody is left
            // waiting (the batch in hand and everything queued are refused) and the slot is freed.
            LogSenderFault(logger, ex.GetType().Name);
            var refusal = Unavailable("the audit batch could not be sent");
            Fail(batch, refusal);
            while (_queue.TakeBatch() is { Count: > 0 } left)
            {
                Fail(left, refusal);
            }
        }
    }

    private async Task SendAsync(List<PendingAuditCommit> batch)
    {
        var request = new RecordEventsRequest();
        foreach (var p in batch)
        {
            request.Events.AddRange(p.Events);
        }

        try
        {
            var context = new PlatformCallContext(clock.GetUtcNow().UtcDateTime + downstreamOptions.Value.DefaultCallTimeout, _stopping.Token);
            await auditService.RecordEventsAsync(request, DownstreamCalls.As(PlatformActor.Gateway, context));
        }
        catch (RpcException ex) when (batch.Count > 1 && ex.StatusCode is StatusCode.InvalidArgument or StatusCode.AlreadyExists)
        {
            // Refused for what one member sent: each caller's events alone, so only its own read fails.
            await Task.WhenAll(batch.Select(p => SendAsync([p])));
            return;
        }
        catch (OperationCanceledException)
        {
            Fail(batch, Unavailable("the gateway is stopping"));
            return;
        }
        catch (Exception ex)
        {
            Fail(batch, ex);
            return;
        }

        foreach (var p in batch)
        {
            p.Committed();
        }
    }

    /// <summary>How long a caller waits: to its deadline less the downstream reserve, at most the default call timeout.</summary>
    private TimeSpan WaitLimit(ServerCallContext context)
    {
        var limit = downstreamOptions.Value.DefaultCallTimeout;
        if (context.Deadline != DateTime.MaxValue)
        {
            var remaining = context.Deadline - DateTime.UtcNow;
            var reserve = TimeSpan.FromTicks(Math.Min(downstreamOptions.Value.DeadlineReserve.Ticks, Math.Max(0, remaining.Ticks / 5)));
            var untilDeadline = remaining - reserve;
            if (untilDeadline < limit)
            {
                limit = untilDeadline < TimeSpan.Zero ? TimeSpan.Zero : untilDeadline;
            }
        }

        return limit;
    }

    private static void Fail(List<PendingAuditCommit> batch, Exception error)
    {
        foreach (var p in batch)
        {
            p.Failed(error);
        }
    }

    private static DependencyUnavailableException Unavailable(string why) =>
        new("AUDIT_UNAVAILABLE", $"The access could not be recorded in the audit log ({why}), so no record data is returned; retry shortly.");

    /// <summary>Refuses queued callers (UNAVAILABLE) and cancels the calls in flight.</summary>
    public void Dispose()
    {
        Fail(_queue.Close(), Unavailable("the gateway is stopping"));
        // Not disposed: a sender may still read its token while it winds down.
        _stopping.Cancel();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The audit batch sender failed ({Failure}); its queued events were refused")]
    private static partial void LogSenderFault(ILogger logger, string failure);
}
