using Lcr.Clinical.Domain;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Clinical.Application;

/// <summary>
/// ListEntries, GetEntry, GetDocumentContent and ListEntryHistory. Each reads the entries recorded
/// under the request's NHS number and under the numbers merged into it (<c>merged_nhs_numbers</c>,
/// set only by the gateway); an entry keeps the number it was contributed under. An alert whose end
/// date has passed reads as INACTIVE, in filters as in the entries returned.
/// </summary>
public sealed class RecordReader(ClinicalDbContext db, TimeProvider clock)
{
    public static Guid ParseEntryId(string? value, string field, FieldViolations v)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            v.Add(field, "is required");
            return Guid.Empty;
        }

        return v.Check(Guid.TryParseExact(value, "D", out var id), field, "must be an entry id (a UUID) issued by this service")
            ? id
            : Guid.Empty;
    }

    public async Task<ListEntriesResponse> ListAsync(ListEntriesRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var numbers = Numbers(request.NhsNumber, request.MergedNhsNumbers, v);
        var categories = new SortedSet<short>();
        for (var i = 0; i < request.Categories.Count; i++)
        {
            if (v.Check(EntryValidator.IsClinicalCategory(request.Categories[i]), $"categories[{i}]", EntryValidator.ClinicalCategories))
            {
                categories.Add((short)request.Categories[i]);
            }
        }

        var statuses = new SortedSet<short>();
        for (var i = 0; i < request.Statuses.Count; i++)
        {
            if (v.RequireEnum(request.Statuses[i], $"statuses[{i}]"))
            {
                statuses.Add((short)request.Statuses[i]);
            }
        }

        DateTimeOffset? start = null, end = null;
        if (request.ClinicalPeriod is { } period)
        {
            start = v.Time(period.StartTime, "clinical_period.start_time") is { } from ? EntryFacts.Truncate(from) : null;
            end = v.Time(period.EndTime, "clinical_period.end_time") is { } to ? EntryFacts.Truncate(to) : null;
            v.Check(start is null || end is null || end >= start, "clinical_period.end_time", "must not be before start_time");
        }

        var excludedOrgs = new SortedSet<string>(StringComparer.Ordinal);
        v.Check(request.ExcludedSourceOrganisationOdsCodes.Count <= Limits.MaxExclusions, "excluded_source_organisation_ods_codes",
            $"must have at most {Limits.MaxExclusions} codes");
        for (var i = 0; i < request.ExcludedSourceOrganisationOdsCodes.Count && i < Limits.MaxExclusions; i++)
        {
            var ods = EntryValidator.NormaliseOds(request.ExcludedSourceOrganisationOdsCodes[i]);
            if (v.Check(ods is not null, $"excluded_source_organisation_ods_codes[{i}]", "must be an ODS code: 3 to 12 letters and digits"))
            {
                excludedOrgs.Add(ods!);
            }
        }

        var onlyOrgs = new SortedSet<string>(StringComparer.Ordinal);
        v.Check(request.SourceOrganisationOdsCodes.Count <= Limits.MaxExclusions, "source_organisation_ods_codes",
            $"must have at most {Limits.MaxExclusions} codes");
        for (var i = 0; i < request.SourceOrganisationOdsCodes.Count && i < Limits.MaxExclusions; i++)
        {
            var ods = EntryValidator.NormaliseOds(request.SourceOrganisationOdsCodes[i]);
            if (v.Check(ods is not null, $"source_organisation_ods_codes[{i}]", "must be an ODS code: 3 to 12 letters and digits"))
            {
                onlyOrgs.Add(ods!);
            }
        }

        var excludedIds = new SortedSet<Guid>();
        v.Check(request.ExcludedEntryIds.Count <= Limits.MaxExcludedEntries, "excluded_entry_ids", $"must have at most {Limits.MaxExcludedEntries} ids");
        for (var i = 0; i < request.ExcludedEntryIds.Count && i < Limits.MaxExcludedEntries; i++)
        {
            var id = ParseEntryId(request.ExcludedEntryIds[i], $"excluded_entry_ids[{i}]", v);
            if (id != Guid.Empty)
            {
                excludedIds.Add(id);
            }
        }

        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = string.Join('|', "entries", MergedNumbers.Key(numbers), string.Join(',', categories), string.Join(',', statuses),
            start?.UtcTicks, end?.UtcTicks, string.Join(',', excludedOrgs), string.Join(',', excludedIds), request.IncludeSensitive,
            string.Join(',', onlyOrgs), request.IncludeEnteredInError);
        var after = Paging.DecodeToken<Position>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var now = clock.GetUtcNow();
        var query = ForNumbers(numbers);
        if (!request.IncludeEnteredInError)
        {
            query = query.Where(e => !e.EnteredInError);
        }

        if (onlyOrgs.Count > 0)
        {
            var list = onlyOrgs.ToList();
            query = query.Where(e => list.Contains(e.SourceOrganisation));
        }

        if (categories.Count > 0)
        {
            var list = categories.ToList();
            query = query.Where(e => list.Contains(e.Category));
        }

        if (statuses.Count == 1)
        {
            // An ACTIVE alert whose end date has passed (active_until reached) is INACTIVE.
            query = statuses.Contains((short)EntryStatus.Active)
                ? query.Where(e => e.Status == (short)EntryStatus.Active && (e.ActiveUntil == null || e.ActiveUntil > now))
                : query.Where(e => e.Status == (short)EntryStatus.Inactive || (e.ActiveUntil != null && e.ActiveUntil <= now));
        }

        if (start is { } s)
        {
            query = query.Where(e => e.ClinicalTime >= s);
        }

        if (end is { } x)
        {
            query = query.Where(e => e.ClinicalTime < x);
        }

        if (excludedOrgs.Count > 0)
        {
            var list = excludedOrgs.ToList();
            query = query.Where(e => !list.Contains(e.SourceOrganisation));
        }

        if (excludedIds.Count > 0)
        {
            var list = excludedIds.ToList();
            query = query.Where(e => !list.Contains(e.Id));
        }

        if (!request.IncludeSensitive)
        {
            query = query.Where(e => e.Sensitivity != (short)Sensitivity.Sensitive);
        }

        if (after is not null)
        {
            // Row-value comparison: (clinical_time, id) < (last seen), an index range scan.
            var t = after.Time;
            var id = after.Id;
            query = query.Where(e => EF.Functions.LessThan(ValueTuple.Create(e.ClinicalTime, e.Id), ValueTuple.Create(t, id)));
        }

        var rows = await query.OrderByDescending(e => e.ClinicalTime).ThenByDescending(e => e.Id).Take(size + 1).ToListAsync(ct);
        var response = new ListEntriesResponse();
        response.Entries.AddRange(rows.Take(size).Select(r => EntryMapping.ToProto(r, now)));
        if (rows.Count > size)
        {
            var last = rows[size - 1];
            response.NextPageToken = Paging.EncodeToken(new Position(last.ClinicalTime, last.Id), fingerprint);
        }

        return response;
    }

    public async Task<Entry> GetAsync(GetEntryRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var numbers = Numbers(request.NhsNumber, request.MergedNhsNumbers, v);
        var id = ParseEntryId(request.EntryId, "entry_id", v);
        v.ThrowIfAny();
        var row = await ForNumbers(numbers).SingleOrDefaultAsync(e => e.Id == id, ct)
            ?? throw new NotFoundException("entry");
        return EntryMapping.ToProto(row, clock.GetUtcNow());
    }

    public async Task<GetDocumentContentResponse> GetContentAsync(GetDocumentContentRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var numbers = Numbers(request.NhsNumber, request.MergedNhsNumbers, v);
        var id = ParseEntryId(request.EntryId, "entry_id", v);
        v.ThrowIfAny();
        var head = await ForNumbers(numbers)
            .Where(e => e.Id == id)
            .Select(e => new { e.Category, e.EnteredInError, e.Version, e.DocumentContentId })
            .SingleOrDefaultAsync(ct);
        if (head is null || head.EnteredInError)
        {
            throw new NotFoundException("entry");
        }

        if (head.Category != (short)RecordCategory.Documents || head.DocumentContentId is null)
        {
            throw new InvalidArgumentException("entry_id", "names an entry that is not a document");
        }

        var contentId = head.DocumentContentId.Value;
        var content = await db.DocumentContents.AsNoTracking().Where(c => c.Id == contentId)
            .Select(c => new { c.Data, c.ContentType, c.SizeBytes }).SingleAsync(ct);
        return new GetDocumentContentResponse
        {
            Content = new DocumentContent
            {
                Data = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(content.Data),
                ContentType = content.ContentType,
                SizeBytes = content.SizeBytes,
            },
            EntryVersion = head.Version,
        };
    }

    public async Task<ListEntryHistoryResponse> HistoryAsync(ListEntryHistoryRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var numbers = Numbers(request.NhsNumber, request.MergedNhsNumbers, v);
        var id = ParseEntryId(request.EntryId, "entry_id", v);
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = "history|" + request.EntryId;
        var before = Paging.DecodeToken<long?>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        if (!await ForNumbers(numbers).AnyAsync(e => e.Id == id, ct))
        {
            throw new NotFoundException("entry");
        }

        var query = db.EntryVersions.AsNoTracking().Where(x => x.EntryId == id);
        if (before is { } b)
        {
            query = query.Where(x => x.Version < b);
        }

        var rows = await query.OrderByDescending(x => x.Version).Take(size + 1).Select(x => new { x.Version, x.Snapshot }).ToListAsync(ct);
        var response = new ListEntryHistoryResponse();
        var now = clock.GetUtcNow();
        response.Versions.AddRange(rows.Take(size).Select(r => EntryMapping.FromSnapshot(r.Snapshot, now)));
        if (rows.Count > size)
        {
            response.NextPageToken = Paging.EncodeToken<long?>(rows[size - 1].Version, fingerprint);
        }

        return response;
    }

    /// <summary>The request's number and the numbers merged into it, validated (an invalid own number gives an empty set).</summary>
    private static IReadOnlyList<string> Numbers(string nhsNumber, IReadOnlyList<string> merged, FieldViolations v) =>
        NhsNumber.Validate(nhsNumber, v) ? MergedNumbers.From(nhsNumber, merged, v) : [];

    /// <summary>The entries recorded under any of <paramref name="numbers"/> (one number: an equality, as the indexes expect).</summary>
    private IQueryable<EntryRow> ForNumbers(IReadOnlyList<string> numbers)
    {
        var entries = db.Entries.AsNoTracking();
        if (numbers.Count == 1)
        {
            var nhs = numbers[0];
            return entries.Where(e => e.NhsNumber == nhs);
        }

        var list = numbers.ToList();
        return entries.Where(e => list.Contains(e.NhsNumber));
    }

    private sealed record Position(DateTimeOffset Time, Guid Id);
}
