using Lcr.Audit.V1;
using Lcr.Gateway.Records;

namespace Lcr.Gateway.Tests;

/// <summary>The batching rules of the gateway's audit commits (Records/AuditBatchQueue.cs), without a host.</summary>
public class AuditBatchQueueUnitTests
{
    private static PendingAuditCommit Group(int events, int bytesEach = 100) =>
        new(Enumerable.Range(0, events).Select(_ => new AuditEvent { EventId = Guid.NewGuid().ToString() }).ToArray(), events * bytesEach);

    private static AuditBatchQueue Queue(int maxBatch = 100, int senders = 4, int maxBytes = 512 * 1024) =>
        new(new AuditBatchOptions { MaxBatch = maxBatch, MaxConcurrentBatches = senders, MaxBatchBytes = maxBytes });

    [Fact]
    public void A_lone_call_starts_a_sender_at_once_and_its_batch_is_just_its_events()
    {
        var queue = Queue();
        var lone = Group(1);
        Assert.True(queue.Enqueue(lone));
        Assert.Equal([lone], queue.TakeBatch());
        Assert.Empty(queue.TakeBatch()); // nothing more: the sender stops and frees its slot
        Assert.Equal(0, queue.Senders);
    }

    [Fact]
    public void Callers_beyond_the_sender_limit_wait_for_a_running_sender_and_go_together()
    {
        var queue = Queue(senders: 2);
        Assert.True(queue.Enqueue(Group(1)));
        Assert.Single(queue.TakeBatch()); // the first sender's call is in flight
        Assert.True(queue.Enqueue(Group(1)));
        Assert.Single(queue.TakeBatch()); // and the second's
        var waiting = Enumerable.Range(0, 5).Select(_ => Group(1)).ToList();
        Assert.All(waiting, g => Assert.False(queue.Enqueue(g))); // both slots busy: no new sender
        Assert.Equal(waiting, queue.TakeBatch()); // the next call of a running sender takes them all
        Assert.Empty(queue.TakeBatch());
        Assert.Empty(queue.TakeBatch());
        Assert.Equal(0, queue.Senders);
        Assert.True(queue.Enqueue(Group(1))); // a slot is free again
    }

    [Fact]
    public void A_batch_stops_at_the_event_limit_without_splitting_a_callers_group()
    {
        var queue = Queue(maxBatch: 10, senders: 1);
        var a = Group(4);
        var b = Group(5);
        var c = Group(3); // 4 + 5 + 3 > 10: c waits for the next call, whole
        var d = Group(1);
        Assert.True(queue.Enqueue(a));
        Assert.False(queue.Enqueue(b));
        Assert.False(queue.Enqueue(c));
        Assert.False(queue.Enqueue(d));
        Assert.Equal([a, b], queue.TakeBatch());
        Assert.Equal([c, d], queue.TakeBatch());
        Assert.Empty(queue.TakeBatch());
    }

    [Fact]
    public void Arrival_order_is_kept_even_when_a_later_group_would_fit()
    {
        var queue = Queue(maxBatch: 10, senders: 1);
        var a = Group(8);
        var big = Group(5);
        var small = Group(1);
        queue.Enqueue(a);
        queue.Enqueue(big);
        queue.Enqueue(small);
        Assert.Equal([a], queue.TakeBatch());
        Assert.Equal([big, small], queue.TakeBatch());
    }

    [Fact]
    public void A_group_larger_than_the_limit_is_sent_alone_and_whole()
    {
        var queue = Queue(maxBatch: 10, senders: 1);
        var small = Group(2);
        var huge = Group(25);
        var after = Group(2);
        queue.Enqueue(small);
        queue.Enqueue(huge);
        queue.Enqueue(after);
        Assert.Equal([small], queue.TakeBatch());
        var alone = Assert.Single(queue.TakeBatch());
        Assert.Same(huge, alone);
        Assert.Equal(25, alone.Events.Count);
        Assert.Equal([after], queue.TakeBatch());
    }

    [Fact]
    public void A_batch_stops_at_the_byte_limit()
    {
        var queue = Queue(senders: 1, maxBytes: 2_000);
        var a = Group(1, bytesEach: 1_200);
        var b = Group(1, bytesEach: 900);
        var c = Group(1, bytesEach: 700);
        queue.Enqueue(a);
        queue.Enqueue(b);
        queue.Enqueue(c);
        Assert.Equal([a], queue.TakeBatch());
        Assert.Equal([b, c], queue.TakeBatch());
    }

    [Fact]
    public void Groups_whose_callers_gave_up_are_not_sent()
    {
        var queue = Queue(senders: 1);
        var gone = Group(1);
        var kept = Group(1);
        queue.Enqueue(gone);
        queue.Enqueue(kept);
        gone.Abandon();
        Assert.Equal([kept], queue.TakeBatch());
    }

    [Fact]
    public void Closing_hands_back_every_queued_group_and_refuses_new_ones()
    {
        var queue = Queue(senders: 1);
        var a = Group(1);
        var b = Group(1);
        queue.Enqueue(a);
        queue.Enqueue(b);
        Assert.Equal([a, b], queue.Close());
        Assert.Throws<ObjectDisposedException>(() => queue.Enqueue(Group(1)));
        Assert.Empty(queue.TakeBatch());
    }

    [Fact]
    public void The_batch_limit_is_the_audit_services_own_per_call_limit() =>
        Assert.Equal(Lcr.Audit.Application.EventMapping.MaxEventsPerCall, AuditBatchOptions.ServiceLimit);

    [Theory]
    [InlineData(0, 4, 1024, false)]
    [InlineData(101, 4, 1024, false)]
    [InlineData(100, 0, 1024, false)]
    [InlineData(100, 4, 10, false)]
    [InlineData(1, 1, 1024, true)]
    [InlineData(100, 4, 512 * 1024, true)]
    public void Options_outside_the_audit_services_limits_are_refused(int maxBatch, int senders, int maxBytes, bool valid) =>
        Assert.Equal(valid, new AuditBatchOptions { MaxBatch = maxBatch, MaxConcurrentBatches = senders, MaxBatchBytes = maxBytes }.IsValid);
}
