using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.Domain;
using Lcr.Audit.Persistence;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Lcr.Audit.Application;

/// <summary>The log's use cases: append (through the group-commit writer), query, verify.</summary>
public sealed class AuditLog(AuditDbContext db, AuditWriter writer, AuditDataSources sources, TimeProvider clock)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public async Task<RecordEventsResponse> RecordAsync(RecordEventsRequest request, CancellationToken ct)
    {
        var received = Stopwatch.GetTimestamp();
        var rows = EventMapping.ValidateRequest(request, clock.GetUtcNow());
        var result = await writer.AppendAsync(rows, ct);
        AuditWriter.AppendDuration.Record(Stopwatch.GetElapsedTime(received).TotalSeconds);

        // Answer in request order, including an event repeated within the request.
        var byId = result.Events.ToDictionary(r => r.EventId);
        var response = new RecordEventsResponse();
        foreach (var e in request.Events)
        {
            response.Events.Add(EventMapping.ToProto(byId[Guid.ParseExact(e.EventId, "D")]));
        }

        response.DuplicateEventIds.AddRange(result.DuplicateEventIds.Select(id => id.ToString("D")));
        return response;
    }

    public async Task<ListEventsByPatientResponse> ListByPatientAsync(ListEventsByPatientRequest request, Actor caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        PatientIdentityFields.MergedNhsNumbers(request.MergedNhsNumbers, request.NhsNumber, "merged_nhs_numbers", v);

        // With merged numbers: every number's events in one time order (the keyset is the same
        // for all), each keeping its own nhs_number. The page token is bound to the set, in any order.
        var merged = request.MergedNhsNumbers.ToArray();
        string[] numbers = [request.NhsNumber, .. merged];
        var subject = "patient|" + request.NhsNumber +
            (merged.Length == 0 ? string.Empty : "|merged:" + string.Join(',', merged.Order(StringComparer.Ordinal)));
        var query = merged.Length == 0
            ? db.Events.Where(e => e.NhsNumber == request.NhsNumber)
            : db.Events.Where(e => numbers.Contains(e.NhsNumber));
        var page = await ListAsync(subject, query,
            request.Period, request.Actions, request.Outcomes, request.DeniedActions, request.PageSize, request.PageToken, v, ct);

        // The patient's log has been read: recorded before the answer leaves.
        await RecordQueryAsync(caller, request.NhsNumber, ct, merged);
        var response = new ListEventsByPatientResponse { NextPageToken = page.Next };
        response.Events.AddRange(page.Events);
        return response;
    }

    public async Task<ListEventsByActorResponse> ListByActorAsync(ListEventsByActorRequest request, Actor caller, CancellationToken ct)
    {
        var v = new FieldViolations();
        v.RequireText(request.ActorId, "actor_id", 100);
        var page = await ListAsync("actor|" + request.ActorId, db.Events.Where(e => e.ActorId == request.ActorId),
            request.Period, request.Actions, request.Outcomes, [], request.PageSize, request.PageToken, v, ct);
        await RecordQueryAsync(caller, null, ct);
        var response = new ListEventsByActorResponse { NextPageToken = page.Next };
        response.Events.AddRange(page.Events);
        return response;
    }

    private async Task<(List<AuditEvent> Events, string Next)> ListAsync(string subject, IQueryable<AuditEventRow> query,
        Period? period, IList<AuditAction> actions, IList<AuditOutcome> outcomes, IList<AuditAction> deniedActions, int pageSize,
        string pageToken, FieldViolations v, CancellationToken ct)
    {
        var (from, to) = ValidatePeriod(period, "period", v);
        for (var i = 0; i < actions.Count; i++)
        {
            v.RequireEnum(actions[i], $"actions[{i}]");
        }

        for (var i = 0; i < outcomes.Count; i++)
        {
            v.RequireEnum(outcomes[i], $"outcomes[{i}]");
        }

        for (var i = 0; i < deniedActions.Count; i++)
        {
            v.RequireEnum(deniedActions[i], $"denied_actions[{i}]");
        }

        var size = Paging.ResolvePageSize(pageSize, v, defaultSize: DefaultPageSize, max: MaxPageSize);
        var actionSet = actions.Select(a => (int)a).Distinct().Order().ToArray();
        var outcomeSet = outcomes.Select(o => (int)o).Distinct().Order().ToArray();
        var deniedSet = deniedActions.Select(a => (int)a).Distinct().Order().ToArray();
        var fingerprint = string.Join('|', subject, from?.UtcTicks, to?.UtcTicks, string.Join(',', actionSet), string.Join(',', outcomeSet))
            + (deniedSet.Length > 0 ? "|denied:" + string.Join(',', deniedSet) : string.Empty);
        var after = Paging.DecodeToken<EventPosition>(pageToken, fingerprint, v);
        v.ThrowIfAny();

        query = query.AsNoTracking();
        if (from is { } f)
        {
            query = query.Where(e => e.RecordTime >= f);
        }

        if (to is { } t)
        {
            query = query.Where(e => e.RecordTime < t);
        }

        query = FilterActions(query, actionSet, outcomeSet, deniedSet);

        if (after is not null)
        {
            var time = after.Time;
            var id = after.Ingest;
            query = query.Where(e => e.RecordTime < time || (e.RecordTime == time && e.IngestId < id));
        }

        var rows = await query.OrderByDescending(e => e.RecordTime).ThenByDescending(e => e.IngestId).Take(size + 1).ToListAsync(ct);
        var next = string.Empty;
        if (rows.Count > size)
        {
            var last = rows[size - 1];
            next = Paging.EncodeToken(new EventPosition(last.RecordTime, last.IngestId), fingerprint);
        }

        return (rows.Take(size).Select(EventMapping.ToProto).ToList(), next);
    }

    /// <summary>
    /// Events matching <paramref name="actionSet"/> and <paramref name="outcomeSet"/> (empty: any),
    /// or denied events of <paramref name="deniedSet"/>.
    /// </summary>
    private static IQueryable<AuditEventRow> FilterActions(IQueryable<AuditEventRow> query, int[] actionSet, int[] outcomeSet, int[] deniedSet)
    {
        var denied = (int)AuditOutcome.Denied;
        return (actionSet.Length > 0, outcomeSet.Length > 0, deniedSet.Length > 0) switch
        {
            (false, false, _) => query,
            (true, false, false) => query.Where(e => actionSet.Contains(e.Action)),
            (false, true, false) => query.Where(e => outcomeSet.Contains(e.Outcome)),
            (true, true, false) => query.Where(e => actionSet.Contains(e.Action) && outcomeSet.Contains(e.Outcome)),
            (true, false, true) => query.Where(e => actionSet.Contains(e.Action) || (deniedSet.Contains(e.Action) && e.Outcome == denied)),
            (false, true, true) => query.Where(e => outcomeSet.Contains(e.Outcome) || (deniedSet.Contains(e.Action) && e.Outcome == denied)),
            (true, true, true) => query.Where(e =>
                (actionSet.Contains(e.Action) && outcomeSet.Contains(e.Outcome)) || (deniedSet.Contains(e.Action) && e.Outcome == denied)),
        };
    }

    private async Task RecordQueryAsync(Actor caller, string? nhsNumber, CancellationToken ct, string[]? mergedNhsNumbers = null)
    {
        var row = new AuditEventRow
        {
            EventId = Guid.CreateVersion7(),
            OccurrenceTime = Canonical.ToStoredPrecision(clock.GetUtcNow()),
            Action = (int)AuditAction.AuditQuery,
            Outcome = (int)AuditOutcome.Permitted,
            ActorKind = (int)caller.Kind,
            ActorId = caller.Id,
            ActorOds = string.IsNullOrEmpty(caller.Organisation?.OdsCode) ? null : caller.Organisation.OdsCode.ToUpperInvariant(),
            ActorRoleCode = string.IsNullOrEmpty(caller.RoleCode) ? null : caller.RoleCode,
            NhsNumber = nhsNumber,
            TraceId = Activity.Current is { } a ? a.TraceId.ToHexString() : null,
            MergedNhsNumbers = mergedNhsNumbers ?? [],
            ChainHash = [],
            PreviousChainHash = [],
        };
        await writer.AppendAsync([row], ct);
    }

    public async Task<VerifyChainResponse> VerifyAsync(VerifyChainRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        for (var i = 0; i < request.ChainPartitions.Count; i++)
        {
            v.Check(request.ChainPartitions[i] >= 0 && request.ChainPartitions[i] < writer.Partitions, $"chain_partitions[{i}]",
                $"must be between 0 and {writer.Partitions - 1}");
        }

        v.Check(request.StartSequence >= 0, "start_sequence", "must not be negative");
        v.Check(request.EndSequence >= 0, "end_sequence", "must not be negative");
        v.Check(request.EndSequence == 0 || request.EndSequence >= request.StartSequence, "end_sequence", "must not be before start_sequence");
        v.ThrowIfAny();

        var partitions = request.ChainPartitions.Count > 0
            ? request.ChainPartitions.Distinct().Order().ToArray()
            : Enumerable.Range(0, writer.Partitions).ToArray();
        var start = Math.Max(1, request.StartSequence);
        var response = new VerifyChainResponse { Intact = true };
        await using var conn = await sources.Runtime.OpenConnectionAsync(ct);
        foreach (var partition in partitions)
        {
            var (checkedCount, broken) = await ChainVerifier.VerifyPartitionAsync(conn, partition, start, request.EndSequence, ct);
            response.EventsVerified += checkedCount;
            if (broken is not null)
            {
                response.Intact = false;
                response.FirstBreak = broken;
                break;
            }
        }

        response.VerifyTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
        return response;
    }

    internal static (DateTimeOffset? From, DateTimeOffset? To) ValidatePeriod(Period? period, string field, FieldViolations v)
    {
        var (from, to) = v.Period(period, field);
        v.Check(from is null || to is null || to > from, field + ".end_time", "must be after start_time");
        return (from, to);
    }

    private sealed record EventPosition(DateTimeOffset Time, long Ingest);
}

/// <summary>Recomputes one chain in sequence order, streaming, and reports its first break.</summary>
internal static class ChainVerifier
{
    public static async Task<(long Checked, ChainBreak? Break)> VerifyPartitionAsync(NpgsqlConnection conn, int partition, long start,
        long end, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"SELECT {EventSql.Columns} FROM audit_events WHERE chain_partition = $1 AND chain_sequence >= $2 " +
            "AND ($3 = 0 OR chain_sequence <= $3) ORDER BY chain_sequence", conn);
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = start - 1 });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = end });
        cmd.CommandTimeout = 0; // bounded by the call's deadline instead
        await using var reader = await cmd.ExecuteReaderAsync(ct);

        var expected = start;
        byte[]? previous = start == 1 ? Canonical.GenesisHash() : null;
        long verified = 0;
        while (await reader.ReadAsync(ct))
        {
            var row = EventSql.Read(reader);
            if (row.ChainSequence < start)
            {
                previous = row.ChainHash; // the predecessor of the range: only its hash is needed
                continue;
            }

            if (row.ChainSequence != expected)
            {
                return (verified, new ChainBreak { ChainPartition = partition, ChainSequence = expected, Kind = ChainBreakKind.SequenceGap });
            }

            var computed = Canonical.ChainHash(row, row.PreviousChainHash);
            if (!computed.AsSpan().SequenceEqual(row.ChainHash))
            {
                return (verified, Break(row, ChainBreakKind.HashMismatch, computed));
            }

            if (previous is null || !previous.AsSpan().SequenceEqual(row.PreviousChainHash))
            {
                // previous is null when the event before the range is missing too.
                return (verified, Break(row, ChainBreakKind.LinkMismatch, computed));
            }

            verified++;
            previous = row.ChainHash;
            expected++;
        }

        return (verified, null);
    }

    private static ChainBreak Break(AuditEventRow row, ChainBreakKind kind, byte[] computed) => new()
    {
        ChainPartition = row.ChainPartition,
        ChainSequence = row.ChainSequence,
        EventId = row.EventId.ToString("D"),
        Kind = kind,
        StoredHash = ByteString.CopyFrom(row.ChainHash),
        ComputedHash = ByteString.CopyFrom(computed),
    };
}
