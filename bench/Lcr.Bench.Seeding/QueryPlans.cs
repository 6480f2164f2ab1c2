using System.Data.Common;
using System.Text;
using Lcr.Clinical.Application;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.Application;
using Lcr.Demographics.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
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
    public static async Task<string> ExplainReadPathAsync(NpgsqlDataSource clinical, NpgsqlDataSource demographics, string nhsNumber, CancellationToken ct)
    {
        var output = new StringBuilder();
        var explain = new ExplainInterceptor(output);

        output.AppendLine("-- demographics GetPatient");
        var demographicsOptions = new DbContextOptionsBuilder<DemographicsDbContext>();
        demographicsOptions.UseNpgsql(demographics).UseSnakeCaseNamingConvention().AddInterceptors(explain);
        await using (var db = new DemographicsDbContext(demographicsOptions.Options))
        {
            await new PatientService(db, TimeProvider.System).GetAsync(nhsNumber, ct);
        }

        var clinicalOptions = new DbContextOptionsBuilder<ClinicalDbContext>();
        clinicalOptions.UseNpgsql(clinical).UseSnakeCaseNamingConvention().AddInterceptors(explain);
        output.AppendLine("-- clinical GetRecordSummary, cache miss (SummaryBuilder)");
        await using (var db = new ClinicalDbContext(clinicalOptions.Options))
        {
            await new SummaryBuilder(db, TimeProvider.System).ComputeAsync(nhsNumber, ct);
        }

        output.AppendLine("-- clinical ListEntries, medications, first page of 20 (the list scenario)");
        await using (var db = new ClinicalDbContext(clinicalOptions.Options))
        {
            await new RecordReader(db).ListAsync(new ListEntriesRequest
            {
                NhsNumber = nhsNumber,
                Categories = { RecordCategory.Medications },
                PageSize = 20,
            }, ct);
        }

        return output.ToString();
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
