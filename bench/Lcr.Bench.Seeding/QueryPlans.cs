using System.Data.Common;
using System.Diagnostics;
using System.Text;
using Lcr.Clinical.Application;
using Lcr.Clinical.Domain;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.Application;
using Lcr.Demographics.Persistence;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Lcr.Bench.Seeding;

/// <summary>
/// Where the read path's database time goes at a given store size: runs the services' own read
/// code (<see cref="PatientService.GetAsync"/>, <see cref="SummaryBuilder.ComputeAsync"/> as on a
/// summary cache miss, <see cref="RecordReader.ListAsync"/> as the <c>list</c> scenario calls it)
/// against the store, and before each statement they send runs <c>EXPLAIN (ANALYZE, BUFFERS)</c>
/// of exactly that statement with its parameters, in its transaction. The plans therefore show
/// the queries as the service sends them, not a hand-written copy.
/// </summary>
public static class QueryPlans
{
    // Reads only: the patient version store is off (no Redis), nothing is marked.
    private static readonly PatientVersionStore NoVersions = new(null,
        new PatientPseudonymiser(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), new PatientVersionOptions(),
        NullLogger<PatientVersionStore>.Instance);

    public static async Task<string> ExplainReadPathAsync(NpgsqlDataSource clinical, NpgsqlDataSource demographics, string nhsNumber, CancellationToken ct)
    {
        var output = new StringBuilder();
        var explain = new ExplainInterceptor(output);

        output.AppendLine("-- demographics GetPatient");
        var demographicsOptions = new DbContextOptionsBuilder<DemographicsDbContext>();
        demographicsOptions.UseNpgsql(demographics).UseSnakeCaseNamingConvention().AddInterceptors(explain);
        await using (var db = new DemographicsDbContext(demographicsOptions.Options))
        {
            try
            {
                await new PatientService(db, new NhsNumberResolver(db), NoVersions, TimeProvider.System).GetAsync(nhsNumber, ct);
            }
            catch (NotFoundException)
            {
                output.AppendLine("(no such patient in this store)").AppendLine();
            }
        }

        var clinicalOptions = new DbContextOptionsBuilder<ClinicalDbContext>();
        clinicalOptions.UseNpgsql(clinical).UseSnakeCaseNamingConvention().AddInterceptors(explain);
        // The summary is one Npgsql batch, not EF commands: explain each of its statements (as
        // SummaryQueries builds them, with their typed parameters) in one REPEATABLE READ snapshot.
        output.AppendLine("-- clinical GetRecordSummary, cache miss (SummaryBuilder: one batch)");
        await using (var connection = await clinical.OpenConnectionAsync(ct))
        {
            await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
            await using var batch = new NpgsqlBatch(connection);
            SummaryQueries.Add(batch, nhsNumber, SummaryExclusions.None, DateTimeOffset.UtcNow);
            foreach (var statement in batch.BatchCommands)
            {
                await using var plan = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + statement.CommandText, connection, tx);
                foreach (NpgsqlParameter p in statement.Parameters)
                {
                    plan.Parameters.Add(p.Clone());
                }

                output.AppendLine(statement.CommandText.Trim()).AppendLine();
                await using var reader = await plan.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    output.Append("    ").AppendLine(reader.GetString(0));
                }

                output.AppendLine();
            }

            await tx.CommitAsync(ct);
        }

        output.AppendLine("-- clinical ListEntries, medications, first page of 20 (the list scenario)");
        await using (var db = new ClinicalDbContext(clinicalOptions.Options))
        {
            await new RecordReader(db, TimeProvider.System).ListAsync(new ListEntriesRequest
            {
                NhsNumber = nhsNumber,
                Categories = { RecordCategory.Medications },
                PageSize = 20,
            }, ct);
        }

        return output.ToString();
    }

    /// <summary>
    /// Times the read path's database work, one call at a time, as the services run it (their own
    /// classes, a fresh context per call): GetPatient, a summary computed on a cache miss, the first
    /// page of medications. <paramref name="rounds"/> passes over <paramref name="patients"/>: the
    /// first pass reports as "first read" (whatever PostgreSQL and the OS had cached before), the
    /// others as "repeat reads".
    /// </summary>
    public static async Task<List<QueryTiming>> TimeReadPathAsync(NpgsqlDataSource clinical, NpgsqlDataSource demographics, string group,
        IReadOnlyList<string> patients, int rounds, CancellationToken ct)
    {
        var demographicsOptions = new DbContextOptionsBuilder<DemographicsDbContext>();
        demographicsOptions.UseNpgsql(demographics).UseSnakeCaseNamingConvention();
        var clinicalOptions = new DbContextOptionsBuilder<ClinicalDbContext>();
        clinicalOptions.UseNpgsql(clinical).UseSnakeCaseNamingConvention();
        var calls = new (string Name, Func<string, Task> Call)[]
        {
            ("GetPatient", async nhs =>
            {
                await using var db = new DemographicsDbContext(demographicsOptions.Options);
                await new PatientService(db, new NhsNumberResolver(db), NoVersions, TimeProvider.System).GetAsync(nhs, ct);
            }),
            ("summary (cache miss)", async nhs =>
            {
                await using var db = new ClinicalDbContext(clinicalOptions.Options);
                await new SummaryBuilder(db, TimeProvider.System).ComputeAsync(nhs, ct);
            }),
            ("list medications (20)", async nhs =>
            {
                await using var db = new ClinicalDbContext(clinicalOptions.Options);
                await new RecordReader(db, TimeProvider.System).ListAsync(new ListEntriesRequest { NhsNumber = nhs, Categories = { RecordCategory.Medications }, PageSize = 20 }, ct);
            }),
        };
        var first = calls.Select(_ => new List<double>()).ToArray();
        var repeat = calls.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var nhs in patients)
            {
                for (var c = 0; c < calls.Length; c++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await calls[c].Call(nhs);
                    (round == 0 ? first : repeat)[c].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        }

        var result = new List<QueryTiming>();
        for (var c = 0; c < calls.Length; c++)
        {
            result.Add(QueryTiming.Of(calls[c].Name, group, "first read", first[c]));
            if (repeat[c].Count > 0)
            {
                result.Add(QueryTiming.Of(calls[c].Name, group, "repeat reads", repeat[c]));
            }
        }

        return result;
    }

    /// <summary>Runs EXPLAIN (ANALYZE, BUFFERS) of every query before it executes, on the same connection and transaction.</summary>
    private sealed class ExplainInterceptor(StringBuilder output) : DbCommandInterceptor
    {
        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            var source = (NpgsqlCommand)command;
            await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + source.CommandText, source.Connection, source.Transaction);
            foreach (NpgsqlParameter p in source.Parameters)
            {
                explain.Parameters.Add(p.Clone());
            }

            output.AppendLine(source.CommandText.Trim()).AppendLine();
            await using var reader = await explain.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                output.Append("    ").AppendLine(reader.GetString(0));
            }

            output.AppendLine();
            return result;
        }
    }
}

/// <summary>Latency of one kind of read-path call over a group of patients, in milliseconds.</summary>
public sealed record QueryTiming(string Query, string Patients, string Reads, int Count, double MedianMs, double P90Ms, double P99Ms, double MaxMs)
{
    public static QueryTiming Of(string query, string patients, string reads, List<double> ms)
    {
        ms.Sort();
        double P(double q) => Math.Round(ms[Math.Clamp((int)Math.Ceiling(q * ms.Count) - 1, 0, ms.Count - 1)], 3);
        return new QueryTiming(query, patients, reads, ms.Count, P(0.5), P(0.9), P(0.99), Math.Round(ms[^1], 3));
    }
}
