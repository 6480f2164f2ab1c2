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

    /// <summary>Requests waiting for the writer before callers are held back.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>The time zone of "a day" and "usual hours" in privacy review.</summary>
    public string LocalTimeZone { get; set; } = "Europe/London";
}

/// <summary>The outcome of one append: the events as stored, in request order, and which were already recorded.</summary>
public sealed record AppendResult(IReadOnlyList<AuditEventRow> Events, IReadOnlyList<Guid> DuplicateEventIds);

/// <summary>
/// Group commit. Every RecordEvents call queues its events here and awaits its own
/// completion; one writer loop takes everything queued, gives each new event its chain
/// position and hash (from chain heads kept in memory), inserts the lot in one implicit
/// transaction (one round trip, synchronous commit) and completes every caller in it.
/// <para>
/// Correct with several replicas: the unique index on (partition, sequence) refuses a
/// second event at the same chain position, so a replica whose cached head is stale fails
/// its transaction, reloads the heads from the database and tries again. Any other failure
/// also drops the cached heads, so the next batch starts from what is committed.
/// Duplicate event ids are found the same way (primary key), looked up and answered from
/// the stored rows: recorded once.
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
    private readonly Channel<Pending> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task? _loop;
    private Head[]? _heads;
    private NpgsqlConnection? _connection; // the writer's own connection, reopened after any failure

    public AuditWriter(AuditDataSources sources, TimeProvider clock, IOptions<AuditOptions> options, ILogger<AuditWriter> logger)
    {
        _sources = sources;
        _clock = clock;
        _logger = logger;
        _partitions = options.Value.ChainPartitions;
        _maxBatch = Math.Max(1, options.Value.MaxBatchEvents);
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
        var pending = new Pending(events);
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
        var batch = new List<Pending>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stop.Token))
            {
                batch.Clear();
                var events = 0;
                while (events < _maxBatch && _queue.Reader.TryRead(out var p))
                {
                    batch.Add(p);
                    events += p.Rows.Count;
                }

                try
                {
                    await ProcessAsync(batch);
                }
                catch (Exception e)
                {
                    // Never let the loop die: fail this batch, keep serving.
                    _heads = null;
                    await DropConnectionAsync();
                    LogBatchFailed(_logger, e.GetType().Name, e);
                    foreach (var p in batch)
                    {
                        p.Fail(Unavailable(e));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }

        await DropConnectionAsync();
        while (_queue.Reader.TryRead(out var left))
        {
            left.Fail(new DependencyUnavailableException("AUDIT_SHUTTING_DOWN", "The audit service is shutting down; retry with the same event ids."));
        }
    }

    private async Task ProcessAsync(List<Pending> batch)
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

            _heads ??= await LoadHeadsAsync();
            var heads = (Head[])_heads.Clone();
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
                var conn = await ConnectionAsync();
                await using var insert = new NpgsqlBatch(conn) { Timeout = 30 };
                foreach (var row in toInsert)
                {
                    insert.BatchCommands.Add(EventSql.InsertCommand(row));
                }

                // No explicit transaction: a batch is one implicit transaction, committed (and
                // flushed, synchronous_commit=on) at its Sync, in a single round trip.
                await insert.ExecuteNonQueryAsync(_stop.Token);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == EventSql.PrimaryKey)
            {
                // Some event ids are already recorded (a retry, or another replica): look them up and go again.
                foreach (var row in await LoadByIdsAsync(open.SelectMany(p => p.Rows).Select(r => r.EventId).Distinct().ToArray()))
                {
                    stored[row.EventId] = row;
                }

                continue;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == EventSql.ChainIndex)
            {
                // Another writer extended one of these chains: start again from the committed heads.
                Conflicts.Add(1);
                _heads = null;
                continue;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // The commit may or may not have happened: re-read the heads before the next batch.
                _heads = null;
                await DropConnectionAsync();
                LogBatchFailed(_logger, e.GetType().Name, e);
                foreach (var p in open)
                {
                    p.Fail(Unavailable(e));
                }

                return;
            }

            CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            BatchSize.Record(toInsert.Count);
            Appended.Add(toInsert.Count);
            _heads = heads;
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

    private async Task<NpgsqlConnection> ConnectionAsync()
    {
        if (_connection is { State: System.Data.ConnectionState.Open } open)
        {
            return open;
        }

        await DropConnectionAsync();
        _connection = await _sources.Runtime.OpenConnectionAsync(_stop.Token);
        return _connection;
    }

    private async Task DropConnectionAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    private async Task<Head[]> LoadHeadsAsync()
    {
        var heads = new Head[_partitions];
        await using var cmd = new NpgsqlCommand(EventSql.Heads, await ConnectionAsync());
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = _partitions });
        await using var reader = await cmd.ExecuteReaderAsync(_stop.Token);
        while (await reader.ReadAsync(_stop.Token))
        {
            var p = reader.GetInt32(0);
            heads[p] = reader.IsDBNull(1)
                ? new Head(0, Canonical.GenesisHash())
                : new Head(reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
        }

        return heads;
    }

    private async Task<List<AuditEventRow>> LoadByIdsAsync(Guid[] ids)
    {
        var rows = new List<AuditEventRow>();
        await using var cmd = new NpgsqlCommand(EventSql.ByIds, await ConnectionAsync());
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

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit batch failed ({ErrorType}); its callers were told to retry")]
    private static partial void LogBatchFailed(ILogger logger, string errorType, Exception exception);

    private readonly record struct Head(long Sequence, byte[] Hash);

    private sealed class Pending
    {
        public Pending(IReadOnlyList<AuditEventRow> rows)
        {
            Rows = rows;
            Fingerprints = rows.Select(Canonical.ContentFingerprint).ToArray();
        }

        public IReadOnlyList<AuditEventRow> Rows { get; }

        public byte[][] Fingerprints { get; }

        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Fail(Exception e) => Done.TrySetException(e);
    }
}
