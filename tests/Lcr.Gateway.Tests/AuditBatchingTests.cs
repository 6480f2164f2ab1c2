using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.Gateway.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Issue 22: the audit events of concurrent calls share RecordEvents calls (Records/AuditBatcher.cs),
/// each call still answered only after its own event is committed, or refused UNAVAILABLE with no data.
/// </summary>
[Collection(PlatformCollection.Name)]
public class AuditBatchingTests(PlatformFixture platform, ITestOutputHelper output)
{
    // Registered at B86001 (index % 3 == 0), not restricted, and used by no other test.
    private static readonly int[] Patients = [9, 15, 18, 27];

    private async Task<(string Nhs, string Token)[]> TokensAsync() =>
        await Task.WhenAll(Patients.Select(async i => (Nhs(i), (await AccessAsync(platform.Gateway.Channel, "gp.b86001", Nhs(i))).AccessToken)));

    private static Task<GetPatientRecordResponse> ReadAsync(GatewayHost gateway, (string Nhs, string Token) who, DateTime? deadline = null) =>
        RecordsClient(gateway.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = who.Nhs }, Bearer(who.Token),
            deadline: deadline ?? DateTime.UtcNow.AddSeconds(60)).ResponseAsync;

    private static IEnumerable<Entry> AllEntries(GetPatientRecordResponse r) =>
        r.Alerts.Concat(r.ActiveProblems).Concat(r.CurrentMedications).Concat(r.Allergies).Concat(r.LatestResults).Concat(r.RecentDocuments);

    private GatewayHost Gateway(AuditCallGate gate, int? maxConcurrentBatches = null) => platform.CreateGateway(
        s => s.Configure<AuditBatchOptions>(o => o.MaxConcurrentBatches = maxConcurrentBatches ?? o.MaxConcurrentBatches),
        (service, handler) => service == ServiceNames.Audit ? gate.Wrap(handler) : handler);

    /// <summary>Waits for a condition on work in flight (bounded so that a broken build fails instead of hanging).</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        for (var until = DateTime.UtcNow.AddSeconds(60); !condition(); await Task.Delay(10))
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting until " + what);
        }
    }

    private async Task AssertEachReadAuditedExactlyAsync(IEnumerable<GetPatientRecordResponse> reads)
    {
        foreach (var r in reads)
        {
            var ids = (string[])(await platform.Audit.Database.ScalarAsync(
                "select returned_entry_ids from audit_events where event_id = @id and outcome = 1", ("id", Guid.Parse(r.AuditEventId))))!;
            Assert.Equal(AllEntries(r).Select(e => e.Id).Order(), ids.Order());
        }
    }

    [Fact]
    public async Task Concurrent_reads_share_record_events_calls_and_each_is_answered_after_its_own_event_with_exactly_what_it_returned()
    {
        var who = await TokensAsync();
        var gate = new AuditCallGate();
        await using var gateway = Gateway(gate, maxConcurrentBatches: 1);
        var batcher = gateway.Services.GetRequiredService<AuditBatcher>();

        // The one sender slot is held by a slow call; the other reads' events gather meanwhile.
        gate.Hold();
        var reads = Enumerable.Range(0, 32).Select(i => ReadAsync(gateway, who[i % who.Length])).ToList();
        await UntilAsync(() => gate.Held == 1 && gate.HeldEvents + batcher.Waiting == 32, "every read has queued its event");
        Assert.All(reads, r => Assert.False(r.IsCompleted)); // nobody answered before its event was committed
        gate.Release(forward: true);
        var answered = await Task.WhenAll(reads);

        var calls = gate.Calls.ToArray();
        Assert.Equal(2, calls.Length); // the held call, then everything that gathered behind it
        Assert.Equal(answered.Select(r => r.AuditEventId).Order(), calls.SelectMany(c => c).Select(e => e.EventId).Order());
        await AssertEachReadAuditedExactlyAsync(answered);
    }

    [Fact]
    public async Task Thirty_two_concurrent_reads_are_each_audited_and_the_calls_per_read_are_reported()
    {
        var who = await TokensAsync();
        var gate = new AuditCallGate();
        await using var gateway = Gateway(gate); // the configured defaults, nothing held
        await ReadAsync(gateway, who[0]); // warm the gateway's channels and caches
        gate.Calls.Clear();

        var answered = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => ReadAsync(gateway, who[i % who.Length])));
        var calls = gate.Calls.ToArray();
        output.WriteLine($"32 concurrent reads: {calls.Length} RecordEvents calls ({calls.Length / 32.0:0.00} per read); events per call: {string.Join(",", calls.Select(c => c.Length))}");
        Assert.Equal(32, calls.Sum(c => c.Length));
        Assert.True(calls.Length <= 32);
        await AssertEachReadAuditedExactlyAsync(answered);
    }

    [Fact]
    public async Task A_lone_read_is_sent_at_once_in_its_own_call()
    {
        var who = await TokensAsync();
        var gate = new AuditCallGate();
        await using var gateway = Gateway(gate);

        // No other read comes: with any wait for company this would not answer (the deadline would refuse it).
        var read = await ReadAsync(gateway, who[0], DateTime.UtcNow.AddSeconds(30));
        var call = Assert.Single(gate.Calls);
        Assert.Equal(read.AuditEventId, Assert.Single(call).EventId);
        await AssertEachReadAuditedExactlyAsync([read]);
    }

    [Fact]
    public async Task A_failed_batch_refuses_every_read_in_it_with_no_data()
    {
        var who = await TokensAsync();
        var gate = new AuditCallGate();
        await using var gateway = Gateway(gate, maxConcurrentBatches: 1);
        var batcher = gateway.Services.GetRequiredService<AuditBatcher>();

        gate.Hold();
        var reads = Enumerable.Range(0, 8).Select(i => ReadAsync(gateway, who[i % who.Length])).ToList();
        await UntilAsync(() => gate.Held == 1 && gate.HeldEvents + batcher.Waiting == 8, "every read has queued its event");
        gate.Release(forward: false);

        foreach (var read in reads)
        {
            var e = await Fails(StatusCode.Unavailable, async () => await read);
            Assert.Equal("AUDIT_UNAVAILABLE", Reason(e));
        }

        Assert.Contains(gate.Calls, c => c.Length > 1); // the refused reads did share a call
        var ids = gate.Calls.SelectMany(c => c).Select(e => Guid.Parse(e.EventId)).Distinct().ToArray();
        Assert.Equal(0L, (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where event_id = any(@ids)", ("ids", ids)))!);
    }

    [Fact]
    public async Task Reads_whose_deadline_passes_while_their_batch_hangs_are_refused_unavailable_within_it()
    {
        var who = await TokensAsync();
        await using var stuck = platform.CreateGateway(
            s => s.Configure<AuditBatchOptions>(o => o.MaxConcurrentBatches = 1),
            (service, handler) => service == ServiceNames.Audit ? new HangingHandler() : handler);

        // One read's batch hangs in flight, the others wait behind it; each is cut off by its own
        // deadline: UNAVAILABLE from the gateway (a hang would be DEADLINE_EXCEEDED at the client).
        var deadline = DateTime.UtcNow.AddSeconds(3);
        var reads = Enumerable.Range(0, 4).Select(i => ReadAsync(stuck, who[i], deadline)).ToList();
        foreach (var read in reads)
        {
            var e = await Fails(StatusCode.Unavailable, async () => await read);
            Assert.Equal("AUDIT_UNAVAILABLE", Reason(e));
        }
    }

    [Fact]
    public async Task A_caller_without_a_deadline_and_its_shared_call_are_both_bounded_by_the_default_call_timeout()
    {
        var gate = new AuditCallGate();
        await using var gateway = platform.CreateGateway(
            s => s.Configure<DownstreamOptions>(o => o.DefaultCallTimeout = TimeSpan.FromSeconds(1)),
            (service, handler) => service == ServiceNames.Audit ? gate.Wrap(handler) : handler);
        var batcher = gateway.Services.GetRequiredService<AuditBatcher>();
        var audit = gateway.Services.GetRequiredService<AuditTrail>();
        var noDeadline = new PlatformCallContext(DateTime.MaxValue, CancellationToken.None);

        gate.Hold(); // the audit service never answers
        var e = await Assert.ThrowsAsync<DependencyUnavailableException>(() => batcher.CommitAsync(
            [audit.For(PlatformActor.Gateway, Nhs(Patients[0]), AuditAction.ViewSummary, PurposeOfUse.DirectCare)], noDeadline));
        Assert.Equal("AUDIT_UNAVAILABLE", e.Reason);
        await UntilAsync(() => gate.Calls.Count == 1 && gate.Held == 0, "the shared call is cut off at its own deadline");
        Assert.Equal(0, batcher.Waiting);
        gate.Release(forward: true);
    }

    [Fact]
    public async Task A_batch_refused_for_one_callers_event_commits_the_others_events_alone()
    {
        var gate = new AuditCallGate();
        await using var gateway = Gateway(gate, maxConcurrentBatches: 1);
        var batcher = gateway.Services.GetRequiredService<AuditBatcher>();
        var audit = gateway.Services.GetRequiredService<AuditTrail>();
        var context = new PlatformCallContext(DateTime.UtcNow.AddSeconds(60), CancellationToken.None);
        AuditEvent Valid() => audit.For(PlatformActor.Gateway, Nhs(Patients[0]), AuditAction.ViewSummary, PurposeOfUse.DirectCare);
        var bad = Valid();
        bad.NhsNumber = string.Empty; // the audit service refuses a view event without a patient

        gate.Hold();
        var first = batcher.CommitAsync([Valid()], context);
        await UntilAsync(() => gate.Held == 1, "the first call is in flight");
        var good = Valid();
        var goodCommit = batcher.CommitAsync([good], context);
        var badCommit = batcher.CommitAsync([bad], context);
        await UntilAsync(() => batcher.Waiting == 2, "both are queued");
        gate.Release(forward: true);

        await first;
        await goodCommit;
        var refused = await Assert.ThrowsAsync<RpcException>(() => badCommit);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains(gate.Calls, c => c.Length == 2); // they were sent together first
        Assert.Equal(1L, (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where event_id = @id",
            ("id", Guid.Parse(good.EventId))))!);
    }

    [Fact]
    public async Task Stopping_refuses_queued_and_in_flight_callers_unavailable_instead_of_leaving_them_waiting()
    {
        var gate = new AuditCallGate();
        await using var gateway = Gateway(gate, maxConcurrentBatches: 1);
        var batcher = gateway.Services.GetRequiredService<AuditBatcher>();
        var audit = gateway.Services.GetRequiredService<AuditTrail>();
        var context = new PlatformCallContext(DateTime.UtcNow.AddSeconds(60), CancellationToken.None);
        AuditEvent Valid() => audit.For(PlatformActor.Gateway, Nhs(Patients[0]), AuditAction.ViewSummary, PurposeOfUse.DirectCare);

        gate.Hold();
        var inFlight = batcher.CommitAsync([Valid()], context);
        await UntilAsync(() => gate.Held == 1, "the first call is in flight");
        var queued = batcher.CommitAsync([Valid()], context);
        await UntilAsync(() => batcher.Waiting == 1, "the second is queued");

        batcher.Dispose();
        Assert.Equal("AUDIT_UNAVAILABLE", (await Assert.ThrowsAsync<DependencyUnavailableException>(() => queued)).Reason);
        Assert.Equal("AUDIT_UNAVAILABLE", (await Assert.ThrowsAsync<DependencyUnavailableException>(() => inFlight)).Reason);
        Assert.Equal("AUDIT_UNAVAILABLE", (await Assert.ThrowsAsync<DependencyUnavailableException>(() => batcher.CommitAsync([Valid()], context))).Reason);
        gate.Release(forward: true);
    }
}
