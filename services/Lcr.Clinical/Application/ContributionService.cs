using System.Security.Cryptography;
using Lcr.Clinical.Caching;
using Lcr.Clinical.Domain;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Lcr.Clinical.Application;

/// <summary>
/// UpsertEntries and RetractEntry. Everything is validated before anything is written; a
/// batch is one transaction; every changed entry gets a new version and a history row; every
/// changed patient's record version goes up in the same transaction; after the commit, and
/// before the reply, the changed patients' cached summaries are invalidated.
/// <para>
/// Every write is announced to the readers that keep records in memory (the gateway): each
/// patient of the request is marked in the version store (<see cref="PatientVersionStore"/>,
/// kind Record) after validation and before the transaction, and published after the commit and
/// before the reply. Without Redis the write is refused (UNAVAILABLE, VERSION_STORE_UNAVAILABLE)
/// before anything is written.
/// </para>
/// <para>
/// The source organisation of a contribution is the calling system's organisation (the
/// <c>x-lcr-actor-org</c> the gateway asserts from the system's token): a request naming
/// another organisation is PERMISSION_DENIED, so no system can write, overwrite or retract
/// entries in another organisation's name.
/// </para>
/// </summary>
public sealed partial class ContributionService(
    ClinicalDbContext db,
    SummaryCache cache,
    ClinicalMetrics metrics,
    PatientVersionStore versions,
    TimeProvider clock,
    ILogger<ContributionService> logger)
{
    private const int MaxAttempts = 3;

    public async Task<UpsertEntriesResponse> UpsertAsync(UpsertEntriesRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        var org = EntryValidator.NormaliseOds(request.SourceOrganisationOdsCode);
        if (string.IsNullOrWhiteSpace(request.SourceOrganisationOdsCode))
        {
            v.Add("source_organisation_ods_code", "is required");
        }
        else
        {
            v.Check(org is not null, "source_organisation_ods_code", "must be an ODS code: 3 to 12 letters and digits");
        }

        var system = request.SourceSystem?.Trim() ?? string.Empty;
        v.RequireText(system, "source_system", Limits.MaxSourceSystemLength);
        if (request.Entries.Count == 0)
        {
            v.Add("entries", "must contain at least one entry");
        }
        else if (request.Entries.Count > Limits.MaxBatchSize)
        {
            v.Add("entries", $"must contain at most {Limits.MaxBatchSize} entries; split the batch");
        }

        v.ThrowIfAny();
        RequireContributor(org!, actor);

        var now = EntryFacts.Truncate(clock.GetUtcNow());
        var items = new List<Item>(request.Entries.Count);
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < request.Entries.Count; i++)
        {
            var path = $"entries[{i}]";
            var contribution = request.Entries[i];
            var canonical = EntryValidator.Validate(contribution, path, now, v);
            var sourceId = canonical?.Provenance?.SourceEntryId;
            if (sourceId is not null && !firstIndex.TryAdd(sourceId, i))
            {
                v.Add(path + ".entry.provenance.source_entry_id", $"repeats entries[{firstIndex[sourceId]}]; send each source entry id once per batch");
            }

            items.Add(new Item(i, path, contribution, canonical!));
        }

        v.ThrowIfAny();

        // One mark for every patient of the batch (an unchanged entry's patient too: simplest, and harmless).
        var write = await versions.BeginWriteAsync(PatientDataKind.Record, items.Select(i => i.Canonical.NhsNumber), ct);
        try
        {
            return await UpsertMarkedAsync(items, org!, system, actor, now, write, ct);
        }
        finally
        {
            await write.CompleteAsync();
        }
    }

    private async Task<UpsertEntriesResponse> UpsertMarkedAsync(
        List<Item> items, string org, string system, Actor actor, DateTimeOffset now, PatientWrite write, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (response, changed) = await ApplyAsync(items, org, system, actor, now, write, ct);
                await cache.InvalidateAsync(changed);
                LogContribution(logger, org, response.Results.Count(r => r.Outcome == UpsertOutcome.Created),
                    response.Results.Count(r => r.Outcome == UpsertOutcome.Updated),
                    response.Results.Count(r => r.Outcome == UpsertOutcome.Unchanged), changed.Count);
                return response;
            }
            catch (Exception e) when (attempt < MaxAttempts && IsRaceWithoutExpectation(e, items))
            {
                // Another writer committed one of these entries between our read and our write
                // (a concurrent re-send, typically). Nobody asked for a version check, so read
                // again and re-apply: the re-send then becomes UNCHANGED or a new version.
                db.ChangeTracker.Clear();
                now = EntryFacts.Truncate(clock.GetUtcNow());
            }
            catch (DbUpdateConcurrencyException)
            {
                throw Stale("One or more entries changed since the versions you sent were read; read them again and re-send.");
            }
            catch (DbUpdateException e) when (IsUniqueViolation(e))
            {
                throw Stale("Another contribution of the same entries was committed at the same moment; re-send the batch.");
            }
        }
    }

    private async Task<(UpsertEntriesResponse Response, List<(string, long)> Changed)> ApplyAsync(
        List<Item> items, string org, string system, Actor actor, DateTimeOffset now, PatientWrite write, CancellationToken ct)
    {
        // A long-lived context (a seeder, a bulk loader) must not drag earlier batches' rows along.
        db.ChangeTracker.Clear();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var sourceIds = items.Select(x => x.Canonical.Provenance.SourceEntryId).ToList();
        var existing = await db.Entries
            .Where(e => e.SourceOrganisation == org && sourceIds.Contains(e.SourceEntryId))
            .ToDictionaryAsync(e => e.SourceEntryId, StringComparer.Ordinal, ct);
        var contentIds = existing.Values.Where(e => e.DocumentContentId is not null).Select(e => e.DocumentContentId!.Value).ToList();
        var contents = contentIds.Count == 0
            ? []
            : await db.DocumentContents.AsNoTracking().Where(c => contentIds.Contains(c.Id))
                .Select(c => new { c.Id, c.Sha256, c.ContentType, c.SizeBytes }) // never the data
                .ToDictionaryAsync(c => c.Id, ct);

        // Checks that need the stored entries, still before anything is written.
        var v = new FieldViolations();
        var retracted = new List<int>();
        var stale = new List<int>();
        foreach (var item in items)
        {
            var row = existing.GetValueOrDefault(item.Canonical.Provenance.SourceEntryId);
            if (row is null)
            {
                v.Check(item.Canonical.Category != RecordCategory.Documents || item.Contribution.DocumentContent is not null,
                    item.Path + ".document_content", "is required for a new document");
                if (item.Contribution.ExpectedVersion != 0)
                {
                    stale.Add(item.Index);
                }

                continue;
            }

            v.Check(row.NhsNumber == item.Canonical.NhsNumber, item.Path + ".entry.nhs_number",
                "differs from the patient of the entry already contributed under this source entry id; retract that entry and contribute under a new id");
            v.Check(row.Category == (short)item.Canonical.Category, item.Path + ".entry.category",
                "differs from the category of the entry already contributed under this source entry id");
            if (row.EnteredInError)
            {
                retracted.Add(item.Index);
            }
            else if (item.Contribution.ExpectedVersion != 0 && item.Contribution.ExpectedVersion != row.Version)
            {
                stale.Add(item.Index);
            }
        }

        v.ThrowIfAny();
        if (retracted.Count > 0)
        {
            throw new FailedPreconditionException("ENTRY_RETRACTED",
                "One or more entries were retracted as entered in error; contribute them under new source entry ids.")
            {
                Metadata = { ["entries"] = string.Join(',', retracted) },
            };
        }

        if (stale.Count > 0)
        {
            var e = Stale("One or more entries are not at the expected_version you sent; read them again and re-send.");
            e.Metadata["entries"] = string.Join(',', stale);
            throw e;
        }

        var response = new UpsertEntriesResponse();
        var changedPatients = new HashSet<string>(StringComparer.Ordinal);
        int created = 0, updated = 0;
        foreach (var item in items)
        {
            var canonical = item.Canonical;
            var hash = EntryMapping.InputHash(canonical, system);
            var content = item.Contribution.DocumentContent;
            var contentSha = content is null ? null : SHA256.HashData(content.Data.Span);
            var row = existing.GetValueOrDefault(canonical.Provenance.SourceEntryId);
            var outcome = UpsertOutcome.Unchanged;
            if (row is null)
            {
                row = NewEntryRow(canonical, org, system, hash, now);
                db.Entries.Add(row);
                outcome = UpsertOutcome.Created;
            }
            else
            {
                var current = row.DocumentContentId is { } cid ? contents[cid] : null;
                var sameContent = content is null || (current is not null && current.Sha256.AsSpan().SequenceEqual(contentSha)
                                                                          && current.ContentType == content.ContentType);
                if (!row.InputHash.AsSpan().SequenceEqual(hash) || !sameContent)
                {
                    outcome = UpsertOutcome.Updated;
                }
            }

            if (outcome != UpsertOutcome.Unchanged)
            {
                string? contentType = null;
                long size = 0;
                if (content is not null)
                {
                    var contentRow = new DocumentContentRow
                    {
                        Id = Guid.CreateVersion7(),
                        EntryId = row.Id,
                        ContentType = content.ContentType,
                        SizeBytes = content.Data.Length,
                        Sha256 = contentSha!,
                        Data = content.Data.ToByteArray(),
                        CreatedAt = now,
                    };
                    db.DocumentContents.Add(contentRow);
                    row.DocumentContentId = contentRow.Id;
                    (contentType, size) = (contentRow.ContentType, contentRow.SizeBytes);
                }
                else if (row.DocumentContentId is { } keep)
                {
                    (contentType, size) = (contents[keep].ContentType, contents[keep].SizeBytes);
                }

                Apply(row, canonical, system, hash, contentType, size, now);
                db.EntryVersions.Add(NewVersion(row, outcome == UpsertOutcome.Created ? ChangeKinds.Created : ChangeKinds.Updated, actor, now));
                changedPatients.Add(row.NhsNumber);
                created += outcome == UpsertOutcome.Created ? 1 : 0;
                updated += outcome == UpsertOutcome.Updated ? 1 : 0;
            }

            response.Results.Add(new UpsertEntryResult
            {
                SourceEntryId = row.SourceEntryId,
                EntryId = row.Id.ToString(),
                Version = row.Version,
                Outcome = outcome,
            });
        }

        var changed = await BumpRecordVersionsAsync(changedPatients, now, ct);
        await db.SaveChangesAsync(ct);
        write.EnsureCovered();
        await tx.CommitAsync(ct);
        metrics.Contributed("created", created);
        metrics.Contributed("updated", updated);
        metrics.Contributed("unchanged", items.Count - created - updated);
        return (response, changed);
    }

    public async Task<Entry> RetractAsync(RetractEntryRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var id = RecordReader.ParseEntryId(request.EntryId, "entry_id", v);
        v.RequireText(request.Reason, "reason", Limits.MaxReasonLength);
        v.Check(request.ExpectedVersion >= 0, "expected_version", "must not be negative");
        v.ThrowIfAny();

        var write = await versions.BeginWriteAsync(PatientDataKind.Record, request.NhsNumber, ct);
        try
        {
            return await RetractMarkedAsync(request, id, actor, write, ct);
        }
        finally
        {
            await write.CompleteAsync();
        }
    }

    private async Task<Entry> RetractMarkedAsync(RetractEntryRequest request, Guid id, Actor actor, PatientWrite write, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.Entries.SingleOrDefaultAsync(e => e.Id == id && e.NhsNumber == request.NhsNumber, ct)
            ?? throw new NotFoundException("entry");
        if (row.SourceOrganisation != EntryValidator.NormaliseOds(actor.Organisation?.OdsCode))
        {
            throw new PermissionDeniedException("NOT_CONTRIBUTOR", "Only the organisation that contributed an entry may retract it.");
        }

        if (row.EnteredInError)
        {
            return EntryMapping.ToProto(row, clock.GetUtcNow());
        }

        if (request.ExpectedVersion != 0 && request.ExpectedVersion != row.Version)
        {
            throw Stale("The entry changed since the version you sent; read it again.");
        }

        var now = EntryFacts.Truncate(clock.GetUtcNow());
        row.EnteredInError = true;
        row.RetractionReason = request.Reason.Trim();
        row.Version += 1;
        row.RecordedAt = now;
        db.EntryVersions.Add(NewVersion(row, ChangeKinds.Retracted, actor, now));
        var changed = await BumpRecordVersionsAsync([row.NhsNumber], now, ct);
        try
        {
            await db.SaveChangesAsync(ct);
            write.EnsureCovered();
            await tx.CommitAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw Stale("The entry changed while it was being retracted; read it again.");
        }

        await cache.InvalidateAsync(changed);
        metrics.Contributed("retracted", 1);
        return EntryMapping.ToProto(row, now);
    }

    /// <summary>A new entry's row before its first version is applied (also used by the bulk loader in bench/).</summary>
    internal static EntryRow NewEntryRow(Entry canonical, string organisation, string system, byte[] hash, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(),
        NhsNumber = canonical.NhsNumber,
        Category = (short)canonical.Category,
        CodeSystem = string.Empty,
        Code = string.Empty,
        SourceOrganisation = organisation,
        SourceSystem = system,
        SourceEntryId = canonical.Provenance.SourceEntryId,
        Detail = "{}",
        InputHash = hash,
        CreatedAt = now,
        Version = 0,
    };

    /// <summary>Writes a validated entry onto its row as the next version (also used by the bulk loader in bench/).</summary>
    internal static void Apply(EntryRow row, Entry canonical, string system, byte[] hash, string? contentType, long size, DateTimeOffset now)
    {
        var detail = canonical.Clone();
        if (detail.DetailCase == Entry.DetailOneofCase.Document)
        {
            detail.Document.ContentType = contentType ?? string.Empty;
            detail.Document.SizeBytes = size;
        }

        row.CodeSystem = canonical.Code.System;
        row.Code = canonical.Code.Code;
        row.CodeDisplay = string.IsNullOrEmpty(canonical.Code.Display) ? null : canonical.Code.Display;
        row.Status = (short)EntryFacts.StatusOf(canonical);
        row.ClinicalTime = EntryFacts.ClinicalTimeOf(canonical, row.CreatedAt);
        row.ActiveUntil = AlertRules.ActiveUntil(canonical);
        row.AlertSeverity = canonical.DetailCase == Entry.DetailOneofCase.Alert ? (short)canonical.Alert.Severity : (short)0;
        row.SourceSystem = system;
        row.Sensitivity = (short)canonical.Sensitivity;
        row.Comment = string.IsNullOrEmpty(canonical.Comment) ? null : canonical.Comment;
        row.Detail = EntryMapping.DetailJson(detail);
        row.InputHash = hash;
        row.Version += 1;
        row.RecordedAt = now;
    }

    /// <summary>The history row of the version <paramref name="row"/> is at (also used by the bulk loader in bench/).</summary>
    internal static EntryVersionRow NewVersion(EntryRow row, short kind, Actor actor, DateTimeOffset now) => new()
    {
        EntryId = row.Id,
        NhsNumber = row.NhsNumber,
        Version = row.Version,
        ChangeKind = kind,
        Snapshot = EntryMapping.Snapshot(EntryMapping.ToProto(row, now)),
        DocumentContentId = row.DocumentContentId,
        ActorKind = (short)actor.Kind,
        ActorId = actor.Id,
        ActorOrganisation = EntryValidator.NormaliseOds(actor.Organisation?.OdsCode),
        RecordedAt = now,
    };

    /// <summary>
    /// +1 on each changed patient's record version, in the contribution's transaction. The row
    /// lock this takes also queues concurrent contributions for one patient behind each other.
    /// Patients are locked in NHS number order so two batches never deadlock.
    /// </summary>
    private async Task<List<(string, long)>> BumpRecordVersionsAsync(IEnumerable<string> patients, DateTimeOffset now, CancellationToken ct)
    {
        var result = new List<(string, long)>();
        var sorted = patients.Order(StringComparer.Ordinal).ToArray();
        if (sorted.Length == 0)
        {
            return result;
        }

        // One statement for the whole batch, in the contribution's transaction.
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO patient_records (nhs_number, record_version, updated_at)
            SELECT n, 1, @now FROM unnest(@patients) WITH ORDINALITY AS p(n, i) ORDER BY i
            ON CONFLICT (nhs_number) DO UPDATE SET record_version = patient_records.record_version + 1, updated_at = excluded.updated_at
            RETURNING nhs_number, record_version
            """, connection, (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction());
        cmd.Parameters.Add(new NpgsqlParameter("patients", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Char) { Value = sorted });
        cmd.Parameters.Add(new NpgsqlParameter("now", now));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return result;
    }

    private static void RequireContributor(string org, Actor actor)
    {
        if (org != EntryValidator.NormaliseOds(actor.Organisation?.OdsCode))
        {
            throw new PermissionDeniedException("SOURCE_ORGANISATION_MISMATCH",
                "source_organisation_ods_code must be the calling system's own organisation.");
        }
    }

    private static bool IsRaceWithoutExpectation(Exception e, List<Item> items) =>
        (e is DbUpdateConcurrencyException || (e is DbUpdateException u && IsUniqueViolation(u)))
        && items.All(i => i.Contribution.ExpectedVersion == 0);

    private static bool IsUniqueViolation(DbUpdateException e) =>
        e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    private static ConcurrencyConflictException Stale(string message) => new(message);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Contribution from {SourceOrganisation}: {Created} created, {Updated} updated, {Unchanged} unchanged; {Patients} patient record(s) changed")]
    private static partial void LogContribution(ILogger logger, string sourceOrganisation, int created, int updated, int unchanged, int patients);

    private sealed record Item(int Index, string Path, EntryContribution Contribution, Entry Canonical);
}
