using System.Security.Cryptography;
using Lcr.Clinical.Application;
using Lcr.Clinical.Domain;
using Lcr.Clinical.Persistence;
using Lcr.Common.V1;
using Lcr.Demographics.Application;
using Lcr.Demographics.Persistence;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Lcr.Bench.Seeding;

/// <summary>What one chunk wrote: the store's main rows (entries, patients) and all rows.</summary>
public readonly record struct ChunkRows(long Main, long All);

/// <summary>One service's database as the bulk loader fills it.</summary>
public interface IFillerStore
{
    /// <summary>"clinical", "demographics".</summary>
    string Name { get; }

    /// <summary>What <see cref="ChunkRows.Main"/> counts ("entries", "patients").</summary>
    string MainRows { get; }

    /// <summary>The tables written, for VACUUM/ANALYZE afterwards.</summary>
    IReadOnlyList<string> Tables { get; }

    /// <summary>Fails unless the service's migrations have made the schema: the loader never makes its own.</summary>
    Task RequireMigratedAsync(NpgsqlDataSource source, CancellationToken ct);

    /// <summary>The filler patients whose rows are already committed (a chunk commits all of a patient's rows at once).</summary>
    Task<HashSet<string>> LoadedAsync(NpgsqlDataSource source, CancellationToken ct);

    /// <summary>Writes every row of <paramref name="chunk"/>'s patients, in the connection's transaction.</summary>
    Task<ChunkRows> WriteAsync(NpgsqlConnection connection, IReadOnlyList<FillerPatient> chunk, CancellationToken ct);

    /// <summary>Deletes every filler patient's rows (never the cohort's: filler NHS numbers are a block of their own), in one transaction.</summary>
    Task<long> RemoveAllAsync(NpgsqlDataSource source, CancellationToken ct);
}

internal static class Stores
{
    public static async Task RequireMigratedAsync(DbContext context, string service, CancellationToken ct)
    {
        var pending = (await context.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (pending.Count > 0)
        {
            throw new InvalidOperationException(
                $"the {service} database is missing migrations ({string.Join(", ", pending)}): run the service's 'migrate' verb first");
        }
    }

    public static async Task<HashSet<string>> NhsNumbersAsync(NpgsqlDataSource source, string table, CancellationToken ct)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        await using var cmd = source.CreateCommand($"SELECT nhs_number FROM {table} WHERE nhs_number >= $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = FillerCohort.LowestNhsNumber, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Char });
        cmd.CommandTimeout = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    /// <summary>Runs <paramref name="statements"/> (each with $1 = the lowest filler NHS number) in one transaction; the rows statement <paramref name="counted"/> deleted.</summary>
    public static async Task<long> DeleteAsync(NpgsqlDataSource source, int counted, CancellationToken ct, params string[] statements)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long result = 0;
        for (var i = 0; i < statements.Length; i++)
        {
            await using var cmd = new NpgsqlCommand(statements[i], connection, tx) { CommandTimeout = 0 };
            cmd.Parameters.Add(new NpgsqlParameter { Value = FillerCohort.LowestNhsNumber, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Char });
            var n = await cmd.ExecuteNonQueryAsync(ct);
            result = i == counted ? n : result;
        }

        await tx.CommitAsync(ct);
        return result;
    }
}

/// <summary>
/// The clinical record: entries, their first version (history row), document contents and the
/// patients' record versions, made exactly as <c>UpsertEntries</c> makes them: each entry is
/// validated and canonicalised by <see cref="EntryValidator"/>, its row filled by
/// <see cref="ContributionService.Apply"/> and its history row by <see cref="ContributionService.NewVersion"/>,
/// as the contributing organisation's feed (practice or RR8). A patient's record version is the
/// number of organisations that contributed (one batch each).
/// </summary>
public sealed class ClinicalFiller : IFillerStore
{
    private readonly int _entriesPerPatient;
    private readonly CopyTable<DocumentContentRow> _contents;
    private readonly CopyTable<EntryRow> _entries;
    private readonly CopyTable<EntryVersionRow> _versions;
    private readonly CopyTable<PatientRecordRow> _records;

    public ClinicalFiller(int entriesPerPatient)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(entriesPerPatient);
        _entriesPerPatient = entriesPerPatient;
        using var context = Context(null);
        _contents = CopyTable<DocumentContentRow>.For(context);
        _entries = CopyTable<EntryRow>.For(context);
        _versions = CopyTable<EntryVersionRow>.For(context);
        _records = CopyTable<PatientRecordRow>.For(context);
        Tables = [_contents.Table, _entries.Table, _versions.Table, _records.Table];
    }

    public string Name => "clinical";

    public string MainRows => "entries";

    public IReadOnlyList<string> Tables { get; }

    public async Task RequireMigratedAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var context = Context(source);
        await Stores.RequireMigratedAsync(context, Name, ct);
    }

    public Task<HashSet<string>> LoadedAsync(NpgsqlDataSource source, CancellationToken ct) => Stores.NhsNumbersAsync(source, _records.Table, ct);

    public Task<long> RemoveAllAsync(NpgsqlDataSource source, CancellationToken ct) => Stores.DeleteAsync(source, 0, ct,
        $"DELETE FROM {_records.Table} WHERE nhs_number >= $1",
        $"DELETE FROM {_versions.Table} WHERE nhs_number >= $1",
        // An entry names its document content (restrict): both go in one statement.
        $"WITH gone AS (DELETE FROM {_entries.Table} WHERE nhs_number >= $1 RETURNING document_content_id) "
        + $"DELETE FROM {_contents.Table} WHERE id IN (SELECT document_content_id FROM gone)");

    public async Task<ChunkRows> WriteAsync(NpgsqlConnection connection, IReadOnlyList<FillerPatient> chunk, CancellationToken ct)
    {
        var now = EntryFacts.Truncate(TimeProvider.System.GetUtcNow());
        var contents = new List<DocumentContentRow>();
        var entries = new List<EntryRow>(chunk.Count * _entriesPerPatient);
        var versions = new List<EntryVersionRow>(chunk.Count * _entriesPerPatient);
        var records = new List<PatientRecordRow>(chunk.Count);
        var organisations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var patient in chunk)
        {
            organisations.Clear();
            foreach (var (ods, system, contribution) in FillerRecords.For(patient, _entriesPerPatient))
            {
                var v = new FieldViolations();
                var canonical = EntryValidator.Validate(contribution, "entries[0]", now, v);
                v.ThrowIfAny();
                ArgumentNullException.ThrowIfNull(canonical); // validation passed
                var hash = EntryMapping.InputHash(canonical, system);
                var row = ContributionService.NewEntryRow(canonical, ods, system, hash, now);
                string? contentType = null;
                long size = 0;
                if (contribution.DocumentContent is { } content)
                {
                    var contentRow = new DocumentContentRow
                    {
                        Id = Guid.CreateVersion7(),
                        EntryId = row.Id,
                        ContentType = content.ContentType,
                        SizeBytes = content.Data.Length,
                        Sha256 = SHA256.HashData(content.Data.Span),
                        Data = content.Data.ToByteArray(),
                        CreatedAt = now,
                    };
                    contents.Add(contentRow);
                    row.DocumentContentId = contentRow.Id;
                    (contentType, size) = (contentRow.ContentType, contentRow.SizeBytes);
                }

                ContributionService.Apply(row, canonical, system, hash, contentType, size, now);
                entries.Add(row);
                versions.Add(ContributionService.NewVersion(row, ChangeKinds.Created, Feed(ods), now));
                organisations.Add(ods);
            }

            records.Add(new PatientRecordRow { NhsNumber = patient.NhsNumber, RecordVersion = organisations.Count, UpdatedAt = now });
        }

        // In foreign-key order: an entry names its content, a version names its entry.
        var all = await _contents.WriteAsync(connection, contents, ct);
        var main = await _entries.WriteAsync(connection, entries, ct);
        all += main + await _versions.WriteAsync(connection, versions, ct);
        all += await _records.WriteAsync(connection, records, ct);
        return new ChunkRows(main, all);
    }

    private static readonly Dictionary<string, Actor> Feeds = new(StringComparer.Ordinal);

    private static Actor Feed(string ods)
    {
        lock (Feeds)
        {
            return Feeds.TryGetValue(ods, out var a) ? a : Feeds[ods] = new Actor
            {
                Kind = ActorKind.System,
                Id = "bulk-seed-" + ods.ToLowerInvariant(),
                Organisation = new OrganisationReference { OdsCode = ods },
            };
        }
    }

    private static ClinicalDbContext Context(NpgsqlDataSource? source)
    {
        var options = new DbContextOptionsBuilder<ClinicalDbContext>();
        (source is null ? options.UseNpgsql() : options.UseNpgsql(source)).UseSnakeCaseNamingConvention();
        return new ClinicalDbContext(options.Options);
    }
}

/// <summary>
/// Demographics: the patient row and its first history version, made exactly as
/// <c>CreatePatient</c> makes them (<see cref="PatientRules.Validate"/>, <see cref="PatientService.NewVersion"/>),
/// as the platform's own registration (the cohort seeder's actor, under its own id).
/// </summary>
public sealed class DemographicsFiller : IFillerStore
{
    private static readonly Actor Registration = new()
    {
        Kind = ActorKind.Platform,
        Id = "bulk-seed",
        Organisation = new OrganisationReference { OdsCode = "LCR" },
    };

    private readonly CopyTable<PatientRow> _patients;
    private readonly CopyTable<PatientVersionRow> _versions;

    public DemographicsFiller()
    {
        using var context = Context(null);
        _patients = CopyTable<PatientRow>.For(context);
        _versions = CopyTable<PatientVersionRow>.For(context);
        Tables = [_patients.Table, _versions.Table];
    }

    public string Name => "demographics";

    public string MainRows => "patients";

    public IReadOnlyList<string> Tables { get; }

    public async Task RequireMigratedAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var context = Context(source);
        await Stores.RequireMigratedAsync(context, Name, ct);
    }

    public Task<HashSet<string>> LoadedAsync(NpgsqlDataSource source, CancellationToken ct) => Stores.NhsNumbersAsync(source, _patients.Table, ct);

    public Task<long> RemoveAllAsync(NpgsqlDataSource source, CancellationToken ct) => Stores.DeleteAsync(source, 1, ct,
        $"DELETE FROM {_versions.Table} WHERE nhs_number >= $1",
        $"DELETE FROM {_patients.Table} WHERE nhs_number >= $1");

    public async Task<ChunkRows> WriteAsync(NpgsqlConnection connection, IReadOnlyList<FillerPatient> chunk, CancellationToken ct)
    {
        var now = TimeProvider.System.GetUtcNow();
        var today = PatientRules.Today(TimeProvider.System);
        var patients = new List<PatientRow>(chunk.Count);
        var versions = new List<PatientVersionRow>(chunk.Count);
        foreach (var p in chunk)
        {
            var v = new FieldViolations();
            var apply = PatientRules.Validate(FillerCohort.Demographics(p), PatientRules.UpdatableFields, today, v, "patient.");
            v.ThrowIfAny();
            var row = PatientService.NewPatientRow(p.NhsNumber, now);
            apply(row);
            patients.Add(row);
            versions.Add(PatientService.NewVersion(row, ChangeKind.Created, Registration, now));
        }

        var main = await _patients.WriteAsync(connection, patients, ct);
        return new ChunkRows(main, main + await _versions.WriteAsync(connection, versions, ct));
    }

    private static DemographicsDbContext Context(NpgsqlDataSource? source)
    {
        var options = new DbContextOptionsBuilder<DemographicsDbContext>();
        (source is null ? options.UseNpgsql() : options.UseNpgsql(source)).UseSnakeCaseNamingConvention();
        return new DemographicsDbContext(options.Options);
    }
}
