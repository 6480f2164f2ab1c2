using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.Domain;
using Lcr.Audit.Persistence;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Lcr.Audit.Application;

/// <summary>
/// Privacy review: runs <see cref="PrivacyRules"/> one local day at a time over a period,
/// stores each finding as a case (once: a re-run keeps the case and its status), and lets
/// IG officers list, read and close cases.
/// </summary>
public sealed class PrivacyReview(AuditDbContext db, TimeProvider clock, IOptions<AuditOptions> options)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;
    public const int MaxEventsPerCase = 100;
    public const int MaxOrganisationFilter = 50;
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(31);
    public static readonly TimeSpan BaselineWindow = TimeSpan.FromDays(30);

    /// <summary>The update_mask paths UpdatePrivacyReviewCase accepts.</summary>
    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal) { "status", "resolution_note" };

    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.LocalTimeZone);
    private readonly string _zoneId = options.Value.LocalTimeZone;

    public async Task<RunPrivacyReviewResponse> RunAsync(RunPrivacyReviewRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        DateTimeOffset from = default, to = default;
        if (request.Period?.StartTime is null || request.Period.EndTime is null)
        {
            v.Add("period", "is required with both start_time and end_time");
        }
        else
        {
            var (start, end) = v.Period(request.Period, "period");
            if (start is { } periodStart && end is { } periodEnd)
            {
                (from, to) = (periodStart, periodEnd);
                if (v.Check(to > from, "period.end_time", "must be after start_time"))
                {
                    v.Check(to - from <= MaxPeriod, "period", "must be at most 31 days");
                }
            }
        }

        for (var i = 0; i < request.Rules.Count; i++)
        {
            v.RequireEnum(request.Rules[i], $"rules[{i}]");
        }

        var size = Paging.ResolvePageSize(request.PageSize, v, defaultSize: DefaultPageSize, max: MaxPageSize);
        var rules = request.Rules.Distinct().Order().ToArray();
        var fingerprint = string.Join('|', "review", from.UtcTicks, to.UtcTicks, string.Join(',', rules.Select(r => (int)r)));
        var after = Paging.DecodeToken<ReviewPosition>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var created = 0;
        if (after is null)
        {
            created = await ReviewAsync(from, to, rules.ToHashSet(), ct);
        }

        var ruleInts = rules.Select(r => (int)r).ToArray();
        var query = db.Cases.AsNoTracking().Where(c => c.FirstEventTime >= from && c.FirstEventTime < to);
        if (ruleInts.Length > 0)
        {
            query = query.Where(c => ruleInts.Contains(c.Rule));
        }

        if (after is not null)
        {
            var (sev, num) = (after.Severity, after.Number);
            query = query.Where(c => c.Severity < sev || (c.Severity == sev && c.Number < num));
        }

        var rows = await query.OrderByDescending(c => c.Severity).ThenByDescending(c => c.Number).Take(size + 1).ToListAsync(ct);
        var response = new RunPrivacyReviewResponse { NewCaseCount = created };
        response.Cases.AddRange(await ToProtoAsync(rows.Take(size).ToList(), ct));
        if (rows.Count > size)
        {
            var last = rows[size - 1];
            response.NextPageToken = Paging.EncodeToken(new ReviewPosition(last.Severity, last.Number), fingerprint);
        }

        return response;
    }

    /// <summary>Runs the rules day by day and stores new findings; returns how many cases were created.</summary>
    private async Task<int> ReviewAsync(DateTimeOffset from, DateTimeOffset to, IReadOnlySet<PrivacyRule> rules, CancellationToken ct)
    {
        var baselines = await LoadBaselinesAsync(from - BaselineWindow, from, ct);
        var created = 0;
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, _zone).DateTime);
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to.AddTicks(-1), _zone).DateTime);
        for (; day <= lastDay; day = day.AddDays(1))
        {
            var dayStart = Max(LocalMidnight(day), from);
            var dayEnd = Min(LocalMidnight(day.AddDays(1)), to);
            var events = await LoadDayAsync(dayStart, dayEnd, ct);
            if (events.Count == 0)
            {
                continue;
            }

            var findings = await WithoutAlertedEmergenciesAsync(PrivacyRules.Run(events, day, LocalHour, baselines, rules), ct);
            created += await StoreAsync(findings, ct);
        }

        return created;
    }

    /// <summary>
    /// Emergency accesses already alerted as they happened (a case raised at access for the same
    /// access token) are not raised a second time by a review run.
    /// </summary>
    private async Task<IReadOnlyList<Finding>> WithoutAlertedEmergenciesAsync(IReadOnlyList<Finding> findings, CancellationToken ct)
    {
        var emergencies = findings.Where(f => f.Rule == PrivacyRule.EmergencyAccess).ToList();
        if (emergencies.Count == 0)
        {
            return findings;
        }

        var keys = emergencies.SelectMany(f => f.Events).SelectMany(e => PrivacyAlerts.EmergencyKeysCovering(e.AccessTokenId, e.EventId))
            .Distinct(StringComparer.Ordinal).ToArray();
        var alerted = (await db.Cases.AsNoTracking().Where(c => keys.Contains(c.FindingKey)).Select(c => c.FindingKey).ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
        if (alerted.Count == 0)
        {
            return findings;
        }

        var result = new List<Finding>(findings.Count);
        foreach (var f in findings)
        {
            if (f.Rule != PrivacyRule.EmergencyAccess)
            {
                result.Add(f);
                continue;
            }

            var left = f.Events.Where(e => !PrivacyAlerts.EmergencyKeysCovering(e.AccessTokenId, e.EventId).Any(alerted.Contains)).ToList();
            if (left.Count == f.Events.Count)
            {
                result.Add(f);
            }
            else if (left.Count > 0)
            {
                result.Add(f with { Events = left });
            }
        }

        return result;
    }

    private int LocalHour(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, _zone).Hour;

    private DateTimeOffset LocalMidnight(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, _zone), TimeSpan.Zero);
    }

    private async Task<List<ReviewEvent>> LoadDayAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var lookups = new[]
        {
            (int)AuditAction.ViewSummary, (int)AuditAction.ViewCategory, (int)AuditAction.ViewEntry, (int)AuditAction.ViewDocument,
            (int)AuditAction.ViewDemographics, (int)AuditAction.Search, (int)AuditAction.EmergencyAccess,
        };
        const int denied = (int)AuditOutcome.Denied;
        var rows = await db.Events.AsNoTracking()
            .Where(e => e.RecordTime >= from && e.RecordTime < to && (lookups.Contains(e.Action) || e.Outcome == denied))
            .Select(e => new
            {
                e.EventId, e.RecordTime, e.Action, e.Outcome, e.ActorKind, e.ActorId, e.ActorDisplayName, e.ActorOds, e.ActorRoleCode,
                e.NhsNumber, e.PurposeOfUse, e.CareRelationshipId, e.EmergencyReasonCode, e.MatchSamePerson, e.MatchSameFamilyName,
                e.MatchSameAddress, e.AccessTokenId, e.SelfClaimRelationshipId, e.DenialReason,
            })
            .ToListAsync(ct);
        var actors = new Dictionary<string, ReviewActor>(StringComparer.Ordinal);
        return rows.Select(r => new ReviewEvent(r.EventId, r.RecordTime, (AuditAction)r.Action, (AuditOutcome)r.Outcome,
                Actor(actors, r.ActorKind, r.ActorId, r.ActorDisplayName, r.ActorOds, r.ActorRoleCode), r.NhsNumber,
                (PurposeOfUse)r.PurposeOfUse, r.CareRelationshipId, (EmergencyAccessReason?)r.EmergencyReasonCode,
                r.MatchSamePerson, r.MatchSameFamilyName, r.MatchSameAddress, r.AccessTokenId, r.SelfClaimRelationshipId,
                (AuditDenialReason)r.DenialReason))
            .ToList();
    }

    private static ReviewActor Actor(Dictionary<string, ReviewActor> cache, int kind, string id, string? name, string? ods, string? role)
    {
        if (!cache.TryGetValue(id, out var actor))
        {
            actor = new ReviewActor(kind, id, name, ods, role);
            cache[id] = actor;
        }

        return actor;
    }

    /// <summary>Each actor's daily distinct patients and views per local hour over the baseline window.</summary>
    private async Task<Dictionary<string, ActorBaseline>> LoadBaselinesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        const string views = "action IN (1, 2, 3, 4, 5)";
        var daily = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var hours = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using (var cmd = new NpgsqlCommand(
                             "SELECT actor_id, count(DISTINCT nhs_number)::int FROM audit_events " +
                             $"WHERE record_time >= $1 AND record_time < $2 AND {views} AND outcome = 1 AND nhs_number IS NOT NULL " +
                             "GROUP BY actor_id, (record_time AT TIME ZONE $3)::date", conn))
            {
                AddWindow(cmd, from, to);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    var id = r.GetString(0);
                    if (!daily.TryGetValue(id, out var list))
                    {
                        daily[id] = list = [];
                    }

                    list.Add(r.GetInt32(1));
                }
            }

            await using (var cmd = new NpgsqlCommand(
                             "SELECT actor_id, extract(hour FROM record_time AT TIME ZONE $3)::int, count(*)::int FROM audit_events " +
                             $"WHERE record_time >= $1 AND record_time < $2 AND {views} GROUP BY 1, 2", conn))
            {
                AddWindow(cmd, from, to);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    var id = r.GetString(0);
                    if (!hours.TryGetValue(id, out var counts))
                    {
                        hours[id] = counts = new int[24];
                    }

                    counts[r.GetInt32(1)] += r.GetInt32(2);
                }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        var result = new Dictionary<string, ActorBaseline>(StringComparer.Ordinal);
        foreach (var id in daily.Keys.Union(hours.Keys))
        {
            result[id] = new ActorBaseline(daily.GetValueOrDefault(id) ?? [], hours.GetValueOrDefault(id) ?? new int[24]);
        }

        return result;

        void AddWindow(NpgsqlCommand cmd, DateTimeOffset a, DateTimeOffset b)
        {
            cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = a });
            cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = b });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _zoneId });
        }
    }

    /// <summary>Stores findings whose key has no case yet; returns how many were created.</summary>
    private async Task<int> StoreAsync(IReadOnlyList<Finding> findings, CancellationToken ct)
    {
        if (findings.Count == 0)
        {
            return 0;
        }

        for (var attempt = 0; ; attempt++)
        {
            var keys = findings.Select(f => f.Key).ToArray();
            var existing = await db.Cases.AsNoTracking().Where(c => keys.Contains(c.FindingKey)).Select(c => c.FindingKey).ToListAsync(ct);
            var known = existing.ToHashSet(StringComparer.Ordinal);
            var now = Canonical.ToStoredPrecision(clock.GetUtcNow());
            var count = 0;
            foreach (var f in findings.Where(f => !known.Contains(f.Key)).DistinctBy(f => f.Key))
            {
                var row = new PrivacyReviewCaseRow
                {
                    Id = Guid.CreateVersion7(),
                    FindingKey = f.Key,
                    Rule = (int)f.Rule,
                    Severity = (int)f.Severity,
                    Explanation = f.Explanation.Length <= 1000 ? f.Explanation : f.Explanation[..1000],
                    ActorKind = f.Actor.Kind,
                    ActorId = f.Actor.Id,
                    ActorDisplayName = f.Actor.DisplayName,
                    ActorOds = f.Actor.Ods,
                    ActorRoleCode = f.Actor.RoleCode,
                    NhsNumber = f.NhsNumber,
                    EventCount = f.Events.Count,
                    FirstEventTime = f.Events[0].RecordTime,
                    LastEventTime = f.Events[^1].RecordTime,
                    Status = (int)PrivacyReviewCaseStatus.Open,
                    CreateTime = now,
                    UpdateTime = now,
                    Version = 1,
                    OrganisationOds = f.Actor.Ods,
                    Origin = (int)PrivacyAlertOrigin.ReviewRun,
                };
                db.Cases.Add(row);
                var position = 0;
                foreach (var e in f.Events.Take(MaxEventsPerCase))
                {
                    db.CaseEvents.Add(new PrivacyReviewCaseEventRow { CaseId = row.Id, EventId = e.EventId, Position = position++ });
                }

                count++;
            }

            try
            {
                await db.SaveChangesAsync(ct);
                return count;
            }
            catch (DbUpdateException e) when (attempt == 0 && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                // A concurrent review stored some of the same findings first: keep theirs.
                db.ChangeTracker.Clear();
            }
        }
    }

    public async Task<ListPrivacyReviewCasesResponse> ListCasesAsync(ListPrivacyReviewCasesRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        for (var i = 0; i < request.Statuses.Count; i++)
        {
            v.RequireEnum(request.Statuses[i], $"statuses[{i}]");
        }

        for (var i = 0; i < request.Rules.Count; i++)
        {
            v.RequireEnum(request.Rules[i], $"rules[{i}]");
        }

        v.DefinedEnum(request.MinimumSeverity, "minimum_severity");
        v.MaxLength(request.ActorId, "actor_id", 100);
        if (!string.IsNullOrEmpty(request.NhsNumber))
        {
            NhsNumber.Validate(request.NhsNumber, v);
        }

        var (from, to) = AuditLog.ValidatePeriod(request.CreatePeriod, "create_period", v);
        v.MaxLength(request.OrganisationOdsCode, "organisation_ods_code", 12);
        v.DefinedEnum(request.Origin, "origin");
        if (v.Check(request.OrganisationOdsCodes.Count <= MaxOrganisationFilter, "organisation_ods_codes",
                $"must name at most {MaxOrganisationFilter} organisations"))
        {
            for (var i = 0; i < request.OrganisationOdsCodes.Count; i++)
            {
                v.RequireText(request.OrganisationOdsCodes[i], $"organisation_ods_codes[{i}]", 12);
            }
        }

        var size = Paging.ResolvePageSize(request.PageSize, v, defaultSize: DefaultPageSize, max: MaxPageSize);
        var statuses = request.Statuses.Select(s => (int)s).Distinct().Order().ToArray();
        var rules = request.Rules.Select(r => (int)r).Distinct().Order().ToArray();
        var organisation = string.IsNullOrEmpty(request.OrganisationOdsCode) ? null : request.OrganisationOdsCode.ToUpperInvariant();
        var organisations = request.OrganisationOdsCodes.Select(o => o.ToUpperInvariant()).Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).ToArray();
        var fingerprint = string.Join('|', "cases", string.Join(',', statuses), string.Join(',', rules), (int)request.MinimumSeverity,
            request.ActorId, request.NhsNumber, from?.UtcTicks, to?.UtcTicks, organisation, string.Join(',', organisations),
            (int)request.Origin);
        var before = Paging.DecodeToken<long?>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var query = db.Cases.AsNoTracking();
        if (statuses.Length > 0)
        {
            query = query.Where(c => statuses.Contains(c.Status));
        }

        if (rules.Length > 0)
        {
            query = query.Where(c => rules.Contains(c.Rule));
        }

        if (request.MinimumSeverity != PrivacySeverity.Unspecified)
        {
            var min = (int)request.MinimumSeverity;
            query = query.Where(c => c.Severity >= min);
        }

        if (!string.IsNullOrEmpty(request.ActorId))
        {
            query = query.Where(c => c.ActorId == request.ActorId);
        }

        if (!string.IsNullOrEmpty(request.NhsNumber))
        {
            query = query.Where(c => c.NhsNumber == request.NhsNumber);
        }

        if (organisation is not null)
        {
            query = query.Where(c => c.OrganisationOds == organisation);
        }

        if (organisations.Length > 0)
        {
            query = query.Where(c => c.OrganisationOds != null && organisations.Contains(c.OrganisationOds));
        }

        if (request.Origin != PrivacyAlertOrigin.Unspecified)
        {
            var origin = (int)request.Origin;
            query = query.Where(c => c.Origin == origin);
        }

        if (from is { } f)
        {
            query = query.Where(c => c.CreateTime >= f);
        }

        if (to is { } t)
        {
            query = query.Where(c => c.CreateTime < t);
        }

        if (before is { } b)
        {
            query = query.Where(c => c.Number < b);
        }

        var rows = await query.OrderByDescending(c => c.Number).Take(size + 1).ToListAsync(ct);
        var response = new ListPrivacyReviewCasesResponse();
        response.Cases.AddRange(await ToProtoAsync(rows.Take(size).ToList(), ct));
        if (rows.Count > size)
        {
            response.NextPageToken = Paging.EncodeToken<long?>(rows[size - 1].Number, fingerprint);
        }

        return response;
    }

    /// <summary>One case; <paramref name="organisations"/> (null: all) limits whose cases the caller sees: another's is NOT_FOUND.</summary>
    public async Task<PrivacyReviewCase> GetCaseAsync(string caseId, IReadOnlySet<string>? organisations, CancellationToken ct)
    {
        var id = ParseId(caseId, "case_id");
        var row = await db.Cases.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        return (await ToProtoAsync([Visible(row, organisations)], ct))[0];
    }

    /// <summary>The case when the caller may see it; NOT_FOUND, exactly as for an unknown id, otherwise.</summary>
    private static PrivacyReviewCaseRow Visible(PrivacyReviewCaseRow? row, IReadOnlySet<string>? organisations) =>
        row is not null && (organisations is null || (row.OrganisationOds is { } ods && organisations.Contains(ods)))
            ? row
            : throw new NotFoundException("privacy_review_case");

    public async Task<PrivacyReviewCase> UpdateCaseAsync(UpdatePrivacyReviewCaseRequest request, Actor reviewer, IReadOnlySet<string>? organisations,
        CancellationToken ct)
    {
        var v = new FieldViolations();
        var c = request.ReviewCase;
        if (c is null)
        {
            v.Add("review_case", "is required");
            v.ThrowIfAny();
        }

        var id = string.IsNullOrEmpty(c!.Id) ? (Guid?)null : TryParseId(c.Id);
        v.Check(id is not null, "review_case.id", string.IsNullOrEmpty(c.Id) ? "is required" : "must be a case id (a UUID)");
        long? expected = null;
        if (string.IsNullOrEmpty(c.Etag))
        {
            v.Add("review_case.etag", "is required: send the etag from your last read of this case");
        }
        else
        {
            expected = ParseETag(c.Etag);
            v.Check(expected is not null, "review_case.etag", "is not an etag issued by this service");
        }

        if (request.UpdateMask is not { Paths.Count: > 0 })
        {
            v.Add("update_mask", "is required: name \"status\" and/or \"resolution_note\"");
        }

        var paths = v.UpdateMask(request.UpdateMask?.Paths, UpdatablePaths);

        var setStatus = paths.Contains("status");
        var setNote = paths.Contains("resolution_note");
        if (setStatus)
        {
            v.RequireEnum(c.Status, "review_case.status");
        }

        if (setNote)
        {
            v.MaxLength(c.ResolutionNote, "review_case.resolution_note", 4000);
        }

        v.ThrowIfAny();

        var row = Visible(await db.Cases.SingleOrDefaultAsync(x => x.Id == id!.Value, ct), organisations);
        if (row.Version != expected)
        {
            throw Stale();
        }

        var current = (PrivacyReviewCaseStatus)row.Status;
        if (!CaseTransitions.IsOpen(current))
        {
            throw new FailedPreconditionException("CASE_CLOSED", "The case is closed; its conclusion cannot change.");
        }

        var next = setStatus ? c.Status : current;
        var changing = next != current;
        if (changing && !CaseTransitions.CanMove(current, next))
        {
            throw new FailedPreconditionException("CASE_TRANSITION_NOT_ALLOWED",
                "The case cannot move to that status from its current one: a flagged case may be escalated or closed, an escalated one only closed.");
        }

        if (changing && (!setNote || string.IsNullOrWhiteSpace(c.ResolutionNote)))
        {
            throw new InvalidArgumentException("review_case.resolution_note", "is required with a status change: record the reasons for the decision");
        }

        var now = Canonical.ToStoredPrecision(clock.GetUtcNow());
        if (setNote)
        {
            row.ResolutionNote = string.IsNullOrEmpty(c.ResolutionNote) ? null : c.ResolutionNote;
        }

        row.Status = (int)next;
        if (CaseTransitions.IsClosed(next))
        {
            row.ClosedByKind = (int)reviewer.Kind;
            row.ClosedById = reviewer.Id;
            row.ClosedByOds = string.IsNullOrEmpty(reviewer.Organisation?.OdsCode) ? null : reviewer.Organisation.OdsCode;
            row.ClosedByRoleCode = string.IsNullOrEmpty(reviewer.RoleCode) ? null : reviewer.RoleCode;
            row.CloseTime = now;
        }

        var sequence = await db.CaseChanges.Where(x => x.CaseId == row.Id).MaxAsync(x => (int?)x.Sequence, ct) ?? 0;
        db.CaseChanges.Add(new PrivacyReviewCaseChangeRow
        {
            CaseId = row.Id,
            Sequence = sequence + 1,
            Status = (int)next,
            Note = setNote && !string.IsNullOrEmpty(c.ResolutionNote) ? c.ResolutionNote : null,
            ChangedByKind = (int)reviewer.Kind,
            ChangedById = reviewer.Id,
            ChangedByDisplayName = string.IsNullOrEmpty(reviewer.DisplayName) ? null : reviewer.DisplayName,
            ChangedByOds = string.IsNullOrEmpty(reviewer.Organisation?.OdsCode) ? null : reviewer.Organisation.OdsCode,
            ChangedByRoleCode = string.IsNullOrEmpty(reviewer.RoleCode) ? null : reviewer.RoleCode,
            ChangeTime = now,
        });
        row.Version += 1;
        row.UpdateTime = now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw Stale();
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw Stale(); // a concurrent change took the same history position
        }

        return (await ToProtoAsync([row], ct))[0];
    }

    private async Task<List<PrivacyReviewCase>> ToProtoAsync(List<PrivacyReviewCaseRow> rows, CancellationToken ct)
    {
        var ids = rows.Select(r => r.Id).ToArray();
        var links = await db.CaseEvents.AsNoTracking().Where(l => ids.Contains(l.CaseId))
            .Join(db.Events.AsNoTracking(), l => l.EventId, e => e.EventId, (l, e) => new { l.CaseId, l.Position, Event = e })
            .ToListAsync(ct);
        var byCase = links.GroupBy(l => l.CaseId).ToDictionary(g => g.Key, g => g.OrderBy(l => l.Position).Select(l => l.Event).ToList());
        var changes = (await db.CaseChanges.AsNoTracking().Where(x => ids.Contains(x.CaseId)).ToListAsync(ct))
            .GroupBy(x => x.CaseId).ToDictionary(g => g.Key, g => g.OrderBy(x => x.Sequence).ToList());
        return rows.Select(r =>
        {
            var p = new PrivacyReviewCase
            {
                Id = r.Id.ToString("D"),
                Rule = (PrivacyRule)r.Rule,
                Severity = (PrivacySeverity)r.Severity,
                Explanation = r.Explanation,
                Actor = EventMapping.ToActor(r.ActorKind, r.ActorId, r.ActorDisplayName, r.ActorOds, r.ActorRoleCode),
                NhsNumber = r.NhsNumber ?? string.Empty,
                EventCount = r.EventCount,
                EventPeriod = new Period
                {
                    StartTime = Timestamp.FromDateTimeOffset(r.FirstEventTime),
                    EndTime = Timestamp.FromDateTimeOffset(r.LastEventTime),
                },
                Status = (PrivacyReviewCaseStatus)r.Status,
                ResolutionNote = r.ResolutionNote ?? string.Empty,
                CreateTime = Timestamp.FromDateTimeOffset(r.CreateTime),
                UpdateTime = Timestamp.FromDateTimeOffset(r.UpdateTime),
                Etag = "v" + r.Version.ToString(CultureInfo.InvariantCulture),
                Organisation = new OrganisationReference { OdsCode = r.OrganisationOds ?? string.Empty },
                Origin = (PrivacyAlertOrigin)r.Origin,
            };
            if (changes.TryGetValue(r.Id, out var history))
            {
                p.History.AddRange(history.Select(h => new PrivacyReviewCaseChange
                {
                    Status = (PrivacyReviewCaseStatus)h.Status,
                    Note = h.Note ?? string.Empty,
                    ChangedBy = EventMapping.ToActor(h.ChangedByKind, h.ChangedById, h.ChangedByDisplayName, h.ChangedByOds, h.ChangedByRoleCode),
                    ChangeTime = Timestamp.FromDateTimeOffset(h.ChangeTime),
                }));
            }

            if (r.ClosedById is not null)
            {
                p.ClosedBy = EventMapping.ToActor(r.ClosedByKind ?? 0, r.ClosedById, null, r.ClosedByOds, r.ClosedByRoleCode);
                p.CloseTime = r.CloseTime is { } t ? Timestamp.FromDateTimeOffset(t) : null;
            }

            if (byCase.TryGetValue(r.Id, out var events))
            {
                p.Events.AddRange(events.Select(EventMapping.ToProto));
            }

            return p;
        }).ToList();
    }

    private static Guid ParseId(string value, string field)
    {
        var v = new FieldViolations();
        var id = string.IsNullOrEmpty(value) ? null : TryParseId(value);
        v.Check(id is not null, field, string.IsNullOrEmpty(value) ? "is required" : "must be a case id (a UUID)");
        v.ThrowIfAny();
        return id!.Value;
    }

    private static Guid? TryParseId(string value) => Guid.TryParseExact(value, "D", out var id) ? id : null;

    private static long? ParseETag(string etag) =>
        etag.Length > 1 && etag[0] == 'v' && long.TryParse(etag.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static ConcurrencyConflictException Stale() =>
        new("The case changed since the etag was read; read it again and reapply the change.");

    private sealed record ReviewPosition(int Severity, long Number);
}
