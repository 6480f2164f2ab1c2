using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Lcr.Audit.Domain;
using Lcr.Audit.Persistence;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Lcr.Audit.Application;

/// <summary>Settings of the audit log (section <c>Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>How many hash chains events are spread over (by patient). Fixed per deployment.</summary>
    public int ChainPartitions { get; set; } = 64;

    /// <summary>The most events one group-commit transaction carries.</summary>
    public int MaxBatchEvents { get; set; } = 2000;

    /// <summary>
    /// Group commits in flight at once, each on its own connection and over chains no other
    /// one in flight touches. 1 is the strict one-commit-at-a-time writer.
    /// </summary>
    public int MaxConcurrentCommits { get; set; } = 4;

    /// <summary>Requests waiting for the writer before callers are held back.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>The time zone of "a day" and "usual hours" in privacy review.</summary>
    public string LocalTimeZone { get; set; } = "Europe/London";
}

/// <summary>The outcome of one append: the events as stored, in request order, and which were already recorded.</summary>
public sealed record AppendResult(IReadOnlyList<AuditEventRow> Events, IReadOnlyList<Guid> DuplicateEventIds);

/// <summary>
/// Group commit. Every RecordEvents call queues its events here and awaits its own
/// completion. One dispatcher loop takes what is queued and starts a commit as soon as it
/// can: immediately when a commit slot is free (no waiting to fill a batch), with everything
/// queued whose chains are not being extended by a commit still in flight. Each commit gives
/// its events their chain positions and hashes (from chain heads kept in memory), inserts
/// them in one implicit transaction (one round trip, synchronous commit) on its own
/// connection, and completes its callers only after PostgreSQL confirms the commit. Up to
/// <see cref="AuditOptions.MaxConcurrentCommits"/> commits are in flight at once, over
/// disjoint sets of chains, so a chain is only ever extended from a committed head and a
/// request rarely waits for someone else's flush.
/// <para>
/// Correct with several replicas: the unique index on (partition, sequence) refuses a
/// second event at the same chain position, so a replica whose cached head is stale fails
/// its transaction, reloads those heads from the database and tries again. Any other failure
/// also forgets the cached heads of the chains it touched, so the next commit on them starts
/// from what is committed. Duplicate event ids are found the same way (primary key), looked
/// up and answered from the stored rows: recorded once.
/// </para>
/// </summary>
public sealed partial class AuditWriter : IAsyncDisposable
{
    public const string MeterName = "Lcr.Audit";
    private const int MaxAttempts = 5;

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("lcr.audit.batch.events", "{event}", "Events per group-commit transaction.");
    private static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("lcr.audit.batch.duration", "s", "Time to write and commit one batch.");
    private static readonly Counter<long> Appended = Meter.CreateCounter<long>("lcr.audit.events.appended", "{event}", "Events committed to the log.");
    private static readonly Counter<long> Conflicts = Meter.CreateCounter<long>("lcr.audit.chain.conflicts", "{conflict}", "Batches retried because another writer extended a chain first.");

    /// <summary>The name of <see cref="AppendDuration"/>.</summary>
    public const string AppendDurationName = "lcr.audit.append.duration";

    /// <summary>
    /// The service-side append latency: from a RecordEvents call reaching the service to its
    /// events being durably committed (validation, queueing behind a commit in flight, the
    /// insert-and-commit round trip). Buckets fit sub-millisecond to second latencies.
    /// </summary>
    public static readonly Histogram<double> AppendDuration = Meter.CreateHistogram(AppendDurationName, "s",
        "RecordEvents from receipt to durable commit (service-side append latency).",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
        });

    private readonly AuditDataSources _sources;
    private readonly TimeProvider _clock;
    private readonly ILogger<AuditWriter> _logger;
    private readonly int _partitions;
    private readonly int _maxBatch;
    private readonly int _maxConcurrent;
    private readonly Channel<Pending> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _finished = new(0); // released each time a commit ends
    private readonly Head?[] _heads;   // per chain: the committed head, or null when unknown (guarded by _gate)
    private readonly bool[] _busy;     // per chain: a commit in flight extends it (guarded by _gate)
    private readonly Stack<NpgsqlConnection> _idle = new(); // the writer's own connections (guarded by _gate)
    private int _free;                 // commit slots not in use
    private Task? _loop;

    public AuditWriter(AuditDataSources sources, TimeProvider clock, IOptions<AuditOptions> options, ILogger<AuditWriter> logger)
    {
        _sources = sources;
        _clock = clock;
        _logger = logger;
        _partitions = options.Value.ChainPartitions;
        _maxBatch = Math.Max(1, options.Value.MaxBatchEvents);
        _maxConcurrent = Math.Max(1, options.Value.MaxConcurrentCommits);
        _free = _maxConcurrent;
        _heads = new Head?[_partitions];
        _busy = new bool[_partitions];
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, options.Value.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public int Partitions => _partitions;

    /// <summary>Appends validated events (chain fields unset); completes once they are committed.</summary>
    public async Task<AppendResult> AppendAsync(IReadOnlyList<AuditEventRow> events, CancellationToken ct)
    {
        EnsureStarted();
        var pending = new Pending(events, _partitions);
        await _queue.Writer.WriteAsync(pending, ct);

        // A caller that gives up still gets its events recorded if the batch commits; its
        // retry (same event ids) then finds them.
        return await pending.Done.Task.WaitAsync(ct);
    }

    private void EnsureStarted()
    {
        if (_loop is not null)
        {
            return;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _loop ??= Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var waiting = new List<Pending>(); // taken from the queue, not yet started (their chains are busy)
        var running = new List<Task>();
        Task<bool>? readable = null;
        Task? finished = null;
        var queueOpen = true;
        try
        {
            while (true)
            {
                // Take what is queued, but no more than a couple of batches' worth, so the
                // queue's capacity still holds callers back.
                var taken = waiting.Sum(p => p.Rows.Count);
                while (taken < 2 * _maxBatch && _queue.Reader.TryRead(out var next))
                {
                    waiting.Add(next);
                    taken += next.Rows.Count;
                }

                if (waiting.Count > 0 && Volatile.Read(ref _free) > 0 && Claim(waiting) is { } start)
                {
                    Interlocked.Decrement(ref _free);
                    running.RemoveAll(t => t.IsCompleted);
                    running.Add(CommitAsync(start.Batch, start.Chains));
                    continue;
                }

                if (!queueOpen && waiting.Count == 0)
                {
                    break;
                }

                // Nothing can start now: wait for a commit to end, or for a new request if a slot is free.
                finished ??= _finished.WaitAsync(_stop.Token);
                if (queueOpen && Volatile.Read(ref _free) > 0 && waiting.Sum(p => p.Rows.Count) < 2 * _maxBatch)
                {
                    readable ??= _queue.Reader.WaitToReadAsync(_stop.Token).AsTask();
                    await Task.WhenAny(readable, finished);
                }
                else
                {
                    await finished;
                }

                if (finished.IsCompleted)
                {
                    await finished;
                    finished = null;
                }

                if (readable is { IsCompleted: true })
                {
                    queueOpen = await readable;
                    readable = null;
                }
            }

            await Task.WhenAll(running);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }

        var shuttingDown = new DependencyUnavailableException("AUDIT_SHUTTING_DOWN", "The audit service is shutting down; retry with the same event ids.");
        foreach (var p in waiting)
        {
            p.Fail(shuttingDown);
        }

        while (_queue.Reader.TryRead(out var left))
        {
            left.Fail(shuttingDown);
        }
    }

    /// <summary>
    /// The next commit: waiting requests, oldest first, none of whose chains a commit in flight
    /// is extending, up to <see cref="AuditOptions.MaxBatchEvents"/>. Their chains become busy.
    /// </summary>
    private (List<Pending> Batch, int[] Chains)? Claim(List<Pending> waiting)
    {
        var batch = new List<Pending>();
        var chains = new HashSet<int>();
        var events = 0;
        lock (_gate)
        {
            foreach (var p in waiting)
            {
                if (events > 0 && events + p.Rows.Count > _maxBatch)
                {
                    break;
                }

                if (p.Chains.Any(c => _busy[c]))
                {
                    continue; // waits for that commit: a chain is only extended from a committed head
                }

                batch.Add(p);
                chains.UnionWith(p.Chains);
                events += p.Rows.Count;
            }

            foreach (var c in chains)
            {
                _busy[c] = true;
            }
        }

        if (batch.Count == 0)
        {
            return null;
        }

        var started = batch.ToHashSet();
        waiting.RemoveAll(started.Contains);
        return (batch, chains.ToArray());
    }

    /// <summary>One group commit, start to end; frees its chains and its slot whatever happens.</summary>
    private async Task CommitAsync(List<Pending> batch, int[] chains)
    {
        // Runs synchronously up to its first round trip (no hop when the writer is idle); the
        // dispatcher then goes on to start the next commit.
        NpgsqlConnection? conn = null;
        try
        {
            conn = await RentConnectionAsync();
            await ProcessAsync(batch, chains, conn);
        }
        catch (Exception e)
        {
            // Never let a failure escape: fail this batch, forget what it may have changed.
            Forget(chains);
            if (conn is not null)
            {
                await conn.DisposeAsync();
                conn = null;
            }

            LogBatchFailed(_logger, e.GetType().Name, e);
            foreach (var p in batch)
            {
                p.Fail(Unavailable(e));
            }
        }
        finally
        {
            lock (_gate)
            {
                foreach (var c in chains)
                {
                    _busy[c] = false;
                }

                if (conn is not null)
                {
                    _idle.Push(conn);
                }
            }

            Interlocked.Increment(ref _free);
            _finished.Release();
        }
    }

    private async Task ProcessAsync(List<Pending> batch, int[] chains, NpgsqlConnection conn)
    {
        var open = batch.Where(p => !p.Done.Task.IsCompleted).ToList();
        var stored = new Dictionary<Guid, AuditEventRow>(); // already in the database
        for (var attempt = 1; open.Count > 0; attempt++)
        {
            if (attempt > MaxAttempts)
            {
                foreach (var p in open)
                {
                    p.Fail(new DependencyUnavailableException("AUDIT_CONTENTION",
                        "The audit log is busy with another writer; retry with the same event ids."));
                }

                return;
            }

            // Decide, request by request, what is new, what is a repeat, and what conflicts.
            var claimed = new Dictionary<Guid, AuditEventRow>();
            var toInsert = new List<AuditEventRow>();
            foreach (var p in open.ToList())
            {
                var conflict = false;
                for (var i = 0; i < p.Rows.Count && !conflict; i++)
                {
                    var row = p.Rows[i];
                    var other = stored.GetValueOrDefault(row.EventId) ?? claimed.GetValueOrDefault(row.EventId);
                    conflict = other is not null && !p.Fingerprints[i].AsSpan().SequenceEqual(Canonical.ContentFingerprint(other));
                }

                if (conflict)
                {
                    p.Fail(new AlreadyExistsException("audit_event",
                        "An event with one of these event ids was already recorded with different content; a new event needs a new id."));
                    open.Remove(p);
                    continue;
                }

                foreach (var row in p.Rows)
                {
                    if (!stored.ContainsKey(row.EventId) && claimed.TryAdd(row.EventId, row))
                    {
                        toInsert.Add(row);
                    }
                }
            }

            if (toInsert.Count == 0)
            {
                Complete(open, stored, claimed);
                return;
            }

            var heads = await HeadsAsync(chains, conn);
            var now = Canonical.ToStoredPrecision(_clock.GetUtcNow());
            foreach (var row in toInsert)
            {
                var part = ChainPartitioner.PartitionOf(row.NhsNumber, row.EventId, _partitions);
                var head = heads[part];
                row.RecordTime = now;
                row.ChainPartition = part;
                row.ChainSequence = head.Sequence + 1;
                row.PreviousChainHash = head.Hash;
                row.ChainHash = Canonical.ChainHash(row, head.Hash);
                heads[part] = new Head(row.ChainSequence, row.ChainHash);
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                await using var insert = new NpgsqlBatch(conn) { Timeout = 30 };
                foreach (var row in toInsert)
                {
                    insert.BatchCommands.Add(EventSql.InsertCommand(row));
                }

                // Privacy alerts raised at access commit with the events that raise them (a
                // retried event is not in toInsert, so it raises nothing twice).
                foreach (var row in toInsert)
                {
                    foreach (var alert in PrivacyAlerts.RaisedBy(row))
                    {
                        insert.BatchCommands.Add(AlertSql.RaiseCommand(row, alert));
                    }
                }

                // No explicit transaction: a batch is one implicit transaction, committed (and
                // flushed, synchronous_commit=on) at its Sync, in a single round trip.
                await insert.ExecuteNonQueryAsync(_stop.Token);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == EventSql.PrimaryKey)
            {
                // Some event ids are already recorded (a retry, or another replica): look them up and go again.
                foreach (var row in await LoadByIdsAsync(open.SelectMany(p => p.Rows).Select(r => r.EventId).Distinct().ToArray(), conn))
                {
                    stored[row.EventId] = row;
                }

                continue;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == EventSql.ChainIndex)
            {
                // Another writer extended one of these chains: start again from the committed heads.
                Conflicts.Add(1);
                Forget(chains);
                continue;
            }

            // Any other failure (the commit may or may not have happened) goes to CommitAsync,
            // which forgets these chains' heads and fails the callers.
            CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            BatchSize.Record(toInsert.Count);
            Appended.Add(toInsert.Count);
            lock (_gate)
            {
                foreach (var (part, head) in heads)
                {
                    _heads[part] = head;
                }
            }

            Complete(open, stored, claimed);
            return;
        }
    }

    private static void Complete(List<Pending> open, Dictionary<Guid, AuditEventRow> stored, Dictionary<Guid, AuditEventRow> claimed)
    {
        foreach (var p in open)
        {
            var rows = new AuditEventRow[p.Rows.Count];
            var duplicates = new List<Guid>();
            for (var i = 0; i < rows.Length; i++)
            {
                var id = p.Rows[i].EventId;
                if (stored.TryGetValue(id, out var existing))
                {
                    rows[i] = existing;
                    duplicates.Add(id);
                }
                else
                {
                    rows[i] = claimed[id];
                    if (!ReferenceEquals(rows[i], p.Rows[i]))
                    {
                        duplicates.Add(id); // the same event sent concurrently by another call in this batch
                    }
                }
            }

            p.Done.TrySetResult(new AppendResult(rows, duplicates));
        }
    }

    /// <summary>The committed heads of <paramref name="chains"/>: from memory, else from the database.</summary>
    private async Task<Dictionary<int, Head>> HeadsAsync(int[] chains, NpgsqlConnection conn)
    {
        var heads = new Dictionary<int, Head>(chains.Length);
        var unknown = new List<int>();
        lock (_gate)
        {
            foreach (var c in chains)
            {
                if (_heads[c] is { } h)
                {
                    heads[c] = h;
                }
                else
                {
                    unknown.Add(c);
                }
            }
        }

        if (unknown.Count > 0)
        {
            await using var cmd = new NpgsqlCommand(EventSql.Heads, conn);
            cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = unknown.ToArray() });
            await using var reader = await cmd.ExecuteReaderAsync(_stop.Token);
            while (await reader.ReadAsync(_stop.Token))
            {
                var p = reader.GetInt32(0);
                heads[p] = reader.IsDBNull(1)
                    ? new Head(0, Canonical.GenesisHash())
                    : new Head(reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
            }
        }

        return heads;
    }

    /// <summary>Drops the cached heads of <paramref name="chains"/>: the next commit on them reads what is committed.</summary>
    private void Forget(int[] chains)
    {
        lock (_gate)
        {
            foreach (var c in chains)
            {
                _heads[c] = null;
            }
        }
    }

    private async Task<NpgsqlConnection> RentConnectionAsync()
    {
        while (true)
        {
            NpgsqlConnection? conn;
            lock (_gate)
            {
                _idle.TryPop(out conn);
            }

            if (conn is null)
            {
                return await _sources.Runtime.OpenConnectionAsync(_stop.Token);
            }

            if (conn.State == System.Data.ConnectionState.Open)
            {
                return conn;
            }

            await conn.DisposeAsync();
        }
    }

    private async Task<List<AuditEventRow>> LoadByIdsAsync(Guid[] ids, NpgsqlConnection conn)
    {
        var rows = new List<AuditEventRow>();
        await using var cmd = new NpgsqlCommand(EventSql.ByIds, conn);
        cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        await using var reader = await cmd.ExecuteReaderAsync(_stop.Token);
        while (await reader.ReadAsync(_stop.Token))
        {
            rows.Add(EventSql.Read(reader));
        }

        return rows;
    }

    private static DependencyUnavailableException Unavailable(Exception e) =>
        new("AUDIT_NOT_COMMITTED", "The audit events could not be committed; retry with the same event ids.", e);

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_gate)
        {
            _queue.Writer.TryComplete();
            loop = _loop;
        }

        if (loop is not null)
        {
            // Let queued requests finish, but do not hang shutdown on a dead database.
            await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(10)));
        }

        await _stop.CancelAsync();
        if (loop is not null)
        {
            await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(2)));
        }

        List<NpgsqlConnection> idle;
        lock (_gate)
        {
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (var conn in idle)
        {
            await conn.DisposeAsync();
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit batch failed ({ErrorType}); its callers were told to retry")]
    private static partial void LogBatchFailed(ILogger logger, string errorType, Exception exception);

    private readonly record struct Head(long Sequence, byte[] Hash);

    private sealed class Pending
    {
        public Pending(IReadOnlyList<AuditEventRow> rows, int partitions)
        {
            Rows = rows;
            Fingerprints = rows.Select(Canonical.ContentFingerprint).ToArray();
            Chains = rows.Select(r => ChainPartitioner.PartitionOf(r.NhsNumber, r.EventId, partitions)).Distinct().ToArray();
        }

        public IReadOnlyList<AuditEventRow> Rows { get; }

        /// <summary>The chains this request's events extend.</summary>
        public int[] Chains { get; }

        public byte[][] Fingerprints { get; }

        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Fail(Exception e) => Done.TrySetException(e);
    }
}
