namespace Lcr.Gateway.Records;

/// <summary>
/// The bookkeeping of <see cref="AuditBatcher"/>, without any I/O: callers' groups of events
/// in arrival order, and how many shared calls are in flight.
/// <list type="bullet">
/// <item><see cref="Enqueue"/> tells the caller whether it must start a sender (a sender slot
/// was free): a lone call is sent at once, never held back waiting for company.</item>
/// <item><see cref="TakeBatch"/> gives a sender the next batch: whole groups in arrival order
/// (a caller's events are never split across calls, so all-or-nothing stays true), up to
/// <see cref="AuditBatchOptions.MaxBatch"/> events and <see cref="AuditBatchOptions.MaxBatchBytes"/>
/// bytes, the first group always (a group over the limits goes alone, and the audit service
/// judges it as it would have before). When nothing is queued it frees the sender's slot in
/// the same step, so a caller that enqueues meanwhile always finds a sender.</item>
/// <item><see cref="Close"/> refuses new groups and hands back the queued ones to fail.</item>
/// </list>
/// </summary>
public sealed class AuditBatchQueue(AuditBatchOptions options)
{
    private readonly Lock _gate = new();
    private readonly Queue<PendingAuditCommit> _queue = new();
    private int _senders;
    private bool _closed;

    /// <summary>Groups queued and not yet taken by a sender.</summary>
    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Senders running now (each has at most one call in flight).</summary>
    public int Senders
    {
        get
        {
            lock (_gate)
            {
                return _senders;
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="pending"/>. True when the caller must start a sender (it has been
    /// counted as running). Throws <see cref="ObjectDisposedException"/> once closed.
    /// </summary>
    public bool Enqueue(PendingAuditCommit pending)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _queue.Enqueue(pending);
            if (_senders < options.MaxConcurrentBatches)
            {
                _senders++;
                return true;
            }

            return false;
        }
    }

    /// <summary>
    /// The next batch for a running sender; empty when there is nothing to send, and then the
    /// sender has stopped (its slot is free). Groups whose callers have given up are dropped.
    /// </summary>
    public List<PendingAuditCommit> TakeBatch()
    {
        var batch = new List<PendingAuditCommit>();
        lock (_gate)
        {
            int events = 0, bytes = 0;
            while (_queue.TryPeek(out var next))
            {
                if (next.IsFinished)
                {
                    _queue.Dequeue();
                    continue;
                }

                if (batch.Count > 0 && (events + next.Events.Count > options.MaxBatch || bytes + next.Size > options.MaxBatchBytes))
                {
                    break;
                }

                batch.Add(_queue.Dequeue());
                events += next.Events.Count;
                bytes += next.Size;
            }

            if (batch.Count == 0)
            {
                _senders--;
            }
        }

        return batch;
    }

    /// <summary>Refuses further groups; returns those still queued (their callers are to be failed).</summary>
    public List<PendingAuditCommit> Close()
    {
        lock (_gate)
        {
            _closed = true;
            var left = _queue.ToList();
            _queue.Clear();
            return left;
        }
    }
}
