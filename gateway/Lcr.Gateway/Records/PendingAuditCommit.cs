using System.Diagnostics;
using Lcr.Audit.V1;

namespace Lcr.Gateway.Records;

/// <summary>
/// One caller's events waiting in <see cref="AuditBatchQueue"/>: sent together in one batch
/// (all or nothing, as the caller asked), completed when that batch is committed or has failed.
/// The events are sent as they are when the batch goes, so nobody changes them once queued.
/// </summary>
public sealed class PendingAuditCommit
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PendingAuditCommit(IReadOnlyCollection<AuditEvent> events, int size, Activity? activity = null)
    {
        Events = events;
        Size = size;
        Activity = activity;
    }

    /// <summary>A caller's group of events, measured once (serialized bytes).</summary>
    public static PendingAuditCommit Of(IReadOnlyCollection<AuditEvent> events) =>
        new(events, events.Sum(e => e.CalculateSize()), Activity.Current);

    public IReadOnlyCollection<AuditEvent> Events { get; }

    /// <summary>Serialized size of <see cref="Events"/> in bytes.</summary>
    public int Size { get; }

    /// <summary>The caller's span when it enqueued, the parent of the batch call it leads (if any).</summary>
    public Activity? Activity { get; }

    /// <summary>Completes when the events are committed; faults when they could not be.</summary>
    public Task Completion => _done.Task;

    /// <summary>True once committed, failed or given up by its caller: nothing more to send.</summary>
    public bool IsFinished => _done.Task.IsCompleted;

    public void Committed() => _done.TrySetResult();

    public void Failed(Exception error) => _done.TrySetException(error);

    /// <summary>The caller stopped waiting (deadline or cancellation): a batch not yet sent leaves it out.</summary>
    public void Abandon() => _done.TrySetCanceled();
}
