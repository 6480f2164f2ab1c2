using Lcr.Common.V1;
using Lcr.Demographics.Domain;
using Lcr.Demographics.Persistence;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Lcr.Demographics.Application;

/// <summary>
/// Supersession use cases (merged NHS numbers). Every write takes one transaction-scoped
/// advisory lock shared by all supersession writes, so the checks (notice reuse, a standing
/// supersession, cycles, limits) and the insert or withdrawal are serial: two concurrent notices
/// can never both win, nor build a cycle between them. Merges are rare (a national feed's
/// notices), so one lock costs nothing; the partial unique index
/// <c>ux_supersessions_active_superseded</c> backs it up in the schema.
/// <para>
/// A supersession changes how every number of the connected component(s) it joins or splits
/// resolves, so a write marks kind Demographics of EVERY number of the component(s) of its two
/// numbers in the version store (<see cref="PatientVersionStore"/>), read inside the lock (so no
/// other supersession can change them before the commit), before it writes; it publishes them
/// after the commit, before the reply. Joining two components makes their union and splitting
/// one makes parts of it, so the numbers before the change cover the numbers after it.
/// </para>
/// </summary>
public sealed partial class SupersessionService(DemographicsDbContext db, NhsNumberResolver resolver, PatientVersionStore versions,
    TimeProvider clock, ILogger<SupersessionService> logger)
{
    /// <summary>How far ahead of this service's clock a reported effective time may be (feeds' clocks drift).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    // pg_advisory_xact_lock key of supersession writes ("LCRSUPER" as ASCII).
    private const long WriteLock = 0x4C43525355504552;

    private static readonly string ComponentSql = """
        WITH RECURSIVE comp(n) AS (
            SELECT x::character(10) FROM unnest(@numbers::character(10)[]) AS x
            UNION
            SELECT (CASE WHEN s.superseded_nhs_number = c.n THEN s.nhs_number ELSE s.superseded_nhs_number END)::character(10)
            FROM comp c
            CROSS JOIN LATERAL (
                SELECT a.superseded_nhs_number, a.nhs_number FROM supersessions a
                WHERE a.state = 1 AND (a.superseded_nhs_number = c.n OR a.nhs_number = c.n) OFFSET 0) s
        )
        SELECT l.superseded_nhs_number, l.nhs_number
        FROM (
            -- A scalar subquery per member: one probe of ux_supersessions_active_superseded each
            -- (a join here is planned as a scan of every standing supersession).
            SELECT c.n AS superseded_nhs_number,
                   (SELECT a.nhs_number FROM supersessions a WHERE a.superseded_nhs_number = c.n AND a.state = 1) AS nhs_number
            FROM comp c) l
        WHERE l.nhs_number IS NOT NULL
        """;

    public async Task<ReportSupersessionResponse> ReportAsync(ReportSupersessionRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        ValidateNotice(request.NoticeId, v);
        ValidatePair(request.SupersededNhsNumber, request.NhsNumber, v);
        var now = SupersessionMapping.Micros(clock.GetUtcNow());
        var effective = v.Time(request.EffectiveTime, "effective_time");
        if (effective is { } e && e > now + ClockSkew)
        {
            v.Add("effective_time", "must not be in the future");
        }

        v.ThrowIfAny();
        var row = new SupersessionRow
        {
            Id = Guid.CreateVersion7(),
            NoticeId = request.NoticeId,
            SupersededNhsNumber = request.SupersededNhsNumber,
            NhsNumber = request.NhsNumber,
            EffectiveTime = SupersessionMapping.Micros(effective ?? now),
            RecordTime = now,
            ReportedByKind = (int)actor.Kind,
            ReportedById = actor.Id,
            ReportedByOrganisation = SupersessionMapping.Organisation(actor),
            ReportedByRole = SupersessionMapping.Role(actor),
            State = DemographicsDbContext.ActiveState,
        };

        var (stored, created) = await db.Database.CreateExecutionStrategy().ExecuteAsync(ct => StoreReportAsync(row, ct), ct);
        if (created)
        {
            LogReported(logger, stored.Id);
        }

        return new ReportSupersessionResponse { Supersession = SupersessionMapping.ToProto(stored), Created = created };
    }

    public async Task<WithdrawSupersessionResponse> WithdrawAsync(WithdrawSupersessionRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        ValidateNotice(request.NoticeId, v);
        ValidatePair(request.SupersededNhsNumber, request.NhsNumber, v);
        v.ThrowIfAny();

        var now = SupersessionMapping.Micros(clock.GetUtcNow());
        var (stored, withdrawn) = await db.Database.CreateExecutionStrategy().ExecuteAsync(
            ct => StoreWithdrawalAsync(request, actor, now, ct), ct);
        if (withdrawn)
        {
            LogWithdrawn(logger, stored.Id);
        }

        return new WithdrawSupersessionResponse { Supersession = SupersessionMapping.ToProto(stored), Withdrawn = withdrawn };
    }

    public async Task<ResolveNhsNumberResponse> ResolveAsync(ResolveNhsNumberRequest request, CancellationToken ct)
    {
        var nhs = NhsNumber.Require(request.NhsNumber);
        var r = await resolver.ResolveAsync(nhs, ct);
        var response = new ResolveNhsNumberResponse
        {
            NhsNumber = nhs,
            CurrentNhsNumber = r.Current,
            Superseded = r.Superseded,
            MergedNhsNumbers = { r.Merged },
            Found = r.Found,
        };
        if (r.DeathDate is { } death)
        {
            response.DeathDate = PatientMapping.ToDate(death);
        }

        return response;
    }

    public async Task<ListSupersessionsResponse> ListAsync(ListSupersessionsRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = "supersessions|" + request.NhsNumber;
        var before = Paging.DecodeToken<long?>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var nhs = request.NhsNumber;
        var query = db.Supersessions.AsNoTracking().Where(s => s.SupersededNhsNumber == nhs || s.NhsNumber == nhs);
        if (before is { } b)
        {
            query = query.Where(s => s.Seq < b);
        }

        var rows = await query.OrderByDescending(s => s.Seq).Take(size + 1).ToListAsync(ct);
        var response = new ListSupersessionsResponse();
        response.Supersessions.AddRange(rows.Take(size).Select(SupersessionMapping.ToProto));
        if (rows.Count > size)
        {
            response.NextPageToken = Paging.EncodeToken<long?>(rows[size - 1].Seq, fingerprint);
        }

        return response;
    }

    private async Task<(SupersessionRow Row, bool Created)> StoreReportAsync(SupersessionRow row, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockAsync(ct);

        var same = await db.Supersessions.AsNoTracking().SingleOrDefaultAsync(s => s.NoticeId == row.NoticeId, ct);
        if (same is not null)
        {
            // A re-sent notice: whatever became of it since (even withdrawn), it is not applied again.
            return SamePair(same, row.SupersededNhsNumber, row.NhsNumber) ? (same, false) : throw NoticeReused();
        }

        if (await db.Supersessions.AnyAsync(s => s.WithdrawalNoticeId == row.NoticeId, ct))
        {
            throw NoticeReused();
        }

        await RequirePatientsAsync(row.SupersededNhsNumber, row.NhsNumber, ct);
        var links = await LoadLinksAsync([row.SupersededNhsNumber, row.NhsNumber], ct);
        var graph = new SupersessionGraph(links.Select(l => (l.SupersededNhsNumber, l.NhsNumber)));
        switch (graph.Check(row.SupersededNhsNumber, row.NhsNumber))
        {
            case SupersessionCheck.AlreadyStands:
                var standing = await db.Supersessions.AsNoTracking()
                    .SingleAsync(s => s.SupersededNhsNumber == row.SupersededNhsNumber && s.State == DemographicsDbContext.ActiveState, ct);
                return (standing, false);
            case SupersessionCheck.Conflict:
                throw new FailedPreconditionException("SUPERSESSION_CONFLICT",
                    "The superseded number is already superseded by a different number; withdraw that supersession first.");
            case SupersessionCheck.Cycle:
                throw new FailedPreconditionException("SUPERSESSION_CYCLE",
                    "The superseding number is itself superseded, directly or through others, by the superseded number.");
            case SupersessionCheck.LimitReached:
                throw new FailedPreconditionException("SUPERSESSION_LIMIT_REACHED",
                    $"A chain of supersessions may be at most {SupersessionGraph.MaxDepth} long and merge at most {SupersessionGraph.MaxMerged} numbers into one.");
        }

        var write = await versions.BeginWriteAsync(PatientDataKind.Demographics, ComponentNumbers(links, row.SupersededNhsNumber, row.NhsNumber), ct);
        try
        {
            db.Supersessions.Add(row);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                // Only reachable if a writer bypassed the lock: the schema still allows one winner.
                throw new FailedPreconditionException("SUPERSESSION_CONFLICT", "A concurrent supersession of the same number won; read the supersessions and retry.");
            }

            write.EnsureCovered();
            await tx.CommitAsync(ct);
        }
        finally
        {
            await write.CompleteAsync();
        }

        return (row, true);
    }

    private async Task<(SupersessionRow Row, bool Withdrawn)> StoreWithdrawalAsync(WithdrawSupersessionRequest request, Actor actor,
        DateTimeOffset now, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockAsync(ct);

        var same = await db.Supersessions.AsNoTracking().SingleOrDefaultAsync(s => s.WithdrawalNoticeId == request.NoticeId, ct);
        if (same is not null)
        {
            return SamePair(same, request.SupersededNhsNumber, request.NhsNumber) ? (same, false) : throw NoticeReused();
        }

        if (await db.Supersessions.AnyAsync(s => s.NoticeId == request.NoticeId, ct))
        {
            throw NoticeReused();
        }

        var latest = await db.Supersessions
            .Where(s => s.SupersededNhsNumber == request.SupersededNhsNumber && s.NhsNumber == request.NhsNumber)
            .OrderByDescending(s => s.State == DemographicsDbContext.ActiveState).ThenByDescending(s => s.Seq)
            .FirstOrDefaultAsync(ct) ?? throw new NotFoundException("supersession");
        if (latest.State != DemographicsDbContext.ActiveState)
        {
            return (latest, false);
        }

        var links = await LoadLinksAsync([request.SupersededNhsNumber, request.NhsNumber], ct);
        var write = await versions.BeginWriteAsync(PatientDataKind.Demographics,
            ComponentNumbers(links, request.SupersededNhsNumber, request.NhsNumber), ct);
        try
        {
            latest.State = DemographicsDbContext.WithdrawnState;
            latest.WithdrawalNoticeId = request.NoticeId;
            latest.WithdrawTime = now;
            latest.WithdrawnByKind = (int)actor.Kind;
            latest.WithdrawnById = actor.Id;
            latest.WithdrawnByOrganisation = SupersessionMapping.Organisation(actor);
            latest.WithdrawnByRole = SupersessionMapping.Role(actor);
            await db.SaveChangesAsync(ct);
            write.EnsureCovered();
            await tx.CommitAsync(ct);
        }
        finally
        {
            await write.CompleteAsync();
        }

        return (latest, true);
    }

    private Task LockAsync(CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock({0})", [WriteLock], ct);

    private async Task RequirePatientsAsync(string superseded, string by, CancellationToken ct)
    {
        var held = await db.Patients.AsNoTracking().Where(p => p.NhsNumber == superseded || p.NhsNumber == by)
            .Select(p => p.NhsNumber).ToListAsync(ct);
        foreach (var (number, field) in new[] { (superseded, "superseded_nhs_number"), (by, "nhs_number") })
        {
            if (!held.Contains(number, StringComparer.Ordinal))
            {
                var missing = new NotFoundException("patient");
                missing.Metadata["field"] = field;
                throw missing;
            }
        }
    }

    /// <summary>The standing links of the connected components of <paramref name="numbers"/>, inside the write lock.</summary>
    private Task<List<LinkRow>> LoadLinksAsync(string[] numbers, CancellationToken ct) =>
        db.Database.SqlQueryRaw<LinkRow>(ComponentSql, NhsNumberResolver.Numbers(numbers)).ToListAsync(ct);

    /// <summary>Every number of the components the links were read for: the two numbers of the write and both ends of every link.</summary>
    internal static IEnumerable<string> ComponentNumbers(IEnumerable<(string Superseded, string By)> links, string superseded, string by) =>
        links.SelectMany(l => new[] { l.Superseded, l.By }).Append(superseded).Append(by).Select(n => n.Trim()).Distinct(StringComparer.Ordinal);

    private static IEnumerable<string> ComponentNumbers(List<LinkRow> links, string superseded, string by) =>
        ComponentNumbers(links.Select(l => (l.SupersededNhsNumber, l.NhsNumber)), superseded, by);

    private static void ValidateNotice(string? noticeId, FieldViolations v)
    {
        if (string.IsNullOrEmpty(noticeId))
        {
            v.Add("notice_id", "is required");
        }
        else
        {
            v.Check(NoticeId.IsValid(noticeId), "notice_id", "must be 1 to 100 characters: letters, digits, '-', '_', '.', ':'");
        }
    }

    private static void ValidatePair(string superseded, string by, FieldViolations v)
    {
        var ok = NhsNumber.Validate(superseded, v, "superseded_nhs_number");
        ok &= NhsNumber.Validate(by, v, "nhs_number");
        if (ok)
        {
            v.Check(!string.Equals(superseded, by, StringComparison.Ordinal), "nhs_number", "must differ from superseded_nhs_number");
        }
    }

    private static bool SamePair(SupersessionRow row, string superseded, string by) =>
        string.Equals(row.SupersededNhsNumber, superseded, StringComparison.Ordinal) && string.Equals(row.NhsNumber, by, StringComparison.Ordinal);

    private static FailedPreconditionException NoticeReused() =>
        new("NOTICE_ID_REUSED", "This notice id was already used for a different notice; each notice needs its own id.");

    /// <summary>One standing link as the component statement returns it.</summary>
    private sealed class LinkRow
    {
        public required string SupersededNhsNumber { get; init; }
        public required string NhsNumber { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Supersession {SupersessionId} reported")]
    private static partial void LogReported(ILogger logger, Guid supersessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Supersession {SupersessionId} withdrawn")]
    private static partial void LogWithdrawn(ILogger logger, Guid supersessionId);
}
