using System.Diagnostics;
using Lcr.Clinical.Application;
using Lcr.Clinical.Domain;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Lcr.Clinical.Tests;

/// <summary>
/// Issue 22: a summary rebuild (<see cref="SummaryBuilder"/>) is one round trip to PostgreSQL and
/// one snapshot. To prove the snapshot, a test session holds an exclusive lock on <c>entries</c>,
/// so the rebuild stops after reading the record version and before reading the sections; while it
/// waits (seen in <c>pg_locks</c>, no sleeping), the session changes the record and commits. A
/// rebuild in one snapshot still shows the record as it was at its version; one whose statements
/// each took their own snapshot would show the new entries under the old version.
/// </summary>
public class SummarySnapshotTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    private async Task<RecordSummary> ComputeAsync(IReadOnlyList<string> numbers, SummaryExclusions exclusions)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SummaryBuilder>().ComputeAsync(numbers, exclusions, CancellationToken.None);
    }

    /// <summary>
    /// Computes the summary of <paramref name="numbers"/> while a session holding an exclusive lock
    /// on <c>entries</c> runs <paramref name="change"/> and commits once the computation waits for it.
    /// </summary>
    private Task<RecordSummary> ComputeAcrossAsync(IReadOnlyList<string> numbers, SummaryExclusions exclusions, string change,
        params (string Name, object Value)[] parameters) => AcrossAsync(() => ComputeAsync(numbers, exclusions), change, parameters);

    /// <summary>Runs <paramref name="read"/> while a session holding an exclusive lock on <c>entries</c> runs <paramref name="change"/> and commits once the read waits for it.</summary>
    private async Task<T> AcrossAsync<T>(Func<Task<T>> read, string change, params (string Name, object Value)[] parameters)
    {
        await using var session = new NpgsqlConnection(host.Database.ConnectionString);
        await session.OpenAsync();
        await using var tx = await session.BeginTransactionAsync();
        await using (var lockEntries = new NpgsqlCommand("LOCK TABLE entries IN ACCESS EXCLUSIVE MODE", session, tx))
        {
            await lockEntries.ExecuteNonQueryAsync();
        }

        var computing = read();
        await using (var waiting = new NpgsqlCommand(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'entries'::regclass AND pid <> pg_backend_pid()", session, tx))
        {
            while ((long)(await waiting.ExecuteScalarAsync())! == 0)
            {
                Assert.False(computing.IsCompleted, "the summary was computed without waiting for the locked entries table");
                await Task.Delay(5);
            }
        }

        await using (var command = new NpgsqlCommand(change, session, tx))
        {
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            await command.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
        return await computing;
    }

    private static SummaryExclusions Exclusions(GetRecordSummaryRequest request)
    {
        var v = new FieldViolations();
        var exclusions = SummaryExclusions.From(request, v);
        v.ThrowIfAny();
        return exclusions;
    }

    private const string Retract = """
        UPDATE entries SET entered_in_error = true, version = version + 1 WHERE id = @id;
        UPDATE patient_records SET record_version = record_version + 1 WHERE nhs_number = @nhs
        """;

    private static int Listed(RecordSummary s) =>
        s.ActiveProblems.Count + s.CurrentMedications.Count + s.Allergies.Count + s.LatestResults.Count + s.RecentDocuments.Count + s.Alerts.Count;

    [Fact]
    public async Task A_change_committed_while_the_summary_is_read_never_shows_under_the_older_version()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var ids = (await host.ContributeAsync("RR8", Make.Problem(nhs, "p-asthma"), Make.Medication(nhs, "m-metformin"))).Results
            .ToDictionary(r => r.SourceEntryId.Split('/')[1], r => Guid.Parse(r.EntryId));
        var before = await ComputeAsync([nhs], SummaryExclusions.None);

        // The medication is retracted (and the record version moves on) while the rebuild waits.
        var during = await ComputeAcrossAsync([nhs], SummaryExclusions.None, Retract, ("id", ids["m-metformin"]), ("nhs", nhs));

        // Version, lists and counts all describe the record as it was at that version.
        Assert.Equal(before.RecordVersion, during.RecordVersion);
        Assert.Equal(ids["m-metformin"].ToString(), Assert.Single(during.CurrentMedications).Id);
        Assert.Equal(before.CategoryCounts, during.CategoryCounts);
        Assert.Equal(before.EntryCounts, during.EntryCounts);
        Assert.Equal(Listed(during), during.CategoryCounts.Sum(c => c.Count));

        var after = await ComputeAsync([nhs], SummaryExclusions.None);
        Assert.Equal(before.RecordVersion + 1, after.RecordVersion);
        Assert.Empty(after.CurrentMedications);
        Assert.DoesNotContain(after.CategoryCounts, c => c.Category == RecordCategory.Medications);
        Assert.Equal(Listed(after), after.CategoryCounts.Sum(c => c.Count));
    }

    [Fact]
    public async Task A_merged_set_is_read_in_one_snapshot_across_its_numbers()
    {
        var kept = ClinicalHost.NewNhsNumber();
        var away = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86003", Make.Problem(kept, "p-asthma"), Make.Allergy(kept, "a-pen"));
        var ids = (await host.ContributeAsync("RR8", Make.Problem(away, "p-fracture", "263204007", "Fracture of ankle"), Make.Medication(away, "m-metformin")))
            .Results.ToDictionary(r => r.SourceEntryId.Split('/')[1], r => Guid.Parse(r.EntryId));
        var before = await ComputeAsync([kept, away], SummaryExclusions.None);
        Assert.Equal(2, before.RecordVersion); // each number's version (1) summed
        Assert.Equal(new[] { kept, away }.Order(StringComparer.Ordinal), before.ActiveProblems.Select(e => e.NhsNumber).Order(StringComparer.Ordinal));

        // The merged-away number's medication is retracted while the rebuild waits before reading
        // the first number's sections: the second number is read in the same snapshot.
        var during = await ComputeAcrossAsync([kept, away], SummaryExclusions.None, Retract, ("id", ids["m-metformin"]), ("nhs", away));
        Assert.Equal(before.RecordVersion, during.RecordVersion);
        Assert.Equal(away, Assert.Single(during.CurrentMedications).NhsNumber);
        Assert.Equal(before.EntryCounts, during.EntryCounts);
        Assert.Equal(Listed(during), during.CategoryCounts.Sum(c => c.Count));

        // With exclusions too (the filtered statements run in the same batch).
        var exclusions = Exclusions(new GetRecordSummaryRequest { ExcludedSourceOrganisationOdsCodes = { "B86003" } });
        var filtered = await ComputeAcrossAsync([kept, away], exclusions, Retract, ("id", ids["p-fracture"]), ("nhs", away));
        Assert.Equal(before.RecordVersion + 1, filtered.RecordVersion);
        Assert.Equal(away, Assert.Single(filtered.ActiveProblems).NhsNumber);
        Assert.Empty(filtered.Allergies);
        Assert.Equal(Listed(filtered), filtered.CategoryCounts.Sum(c => c.Count));

        var after = await ComputeAsync([kept, away], SummaryExclusions.None);
        Assert.Equal(before.RecordVersion + 2, after.RecordVersion);
        Assert.Equal(kept, Assert.Single(after.ActiveProblems).NhsNumber);
        Assert.Empty(after.CurrentMedications);
    }

    private async Task<IReadOnlyList<EntryCount>?> CountExcludedAsync(IReadOnlyList<string> numbers, long version, IReadOnlySet<Guid> ids)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SummaryBuilder>().CountExcludedAsync(numbers, version, ids, CancellationToken.None);
    }

    [Fact]
    public async Task The_excluded_entries_are_counted_in_the_snapshot_of_the_version_they_are_checked_against()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var ids = (await host.ContributeAsync("RR8", Make.Problem(nhs, "p-asthma"), Make.Medication(nhs, "m-metformin"))).Results
            .ToDictionary(r => r.SourceEntryId.Split('/')[1], r => Guid.Parse(r.EntryId));
        var excluded = new HashSet<Guid>([ids["m-metformin"], ids["p-asthma"]]);
        var trace = ActivityTraceId.CreateRandom();
        IReadOnlyList<EntryCount>? before;
        using (new Activity("count-test").SetParentId(trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
        {
            before = await CountExcludedAsync([nhs], 1, excluded);
        }

        Assert.NotNull(before);
        Assert.Equal(2, before.Sum(c => c.Count));
        Assert.Single(host.Spans.ToArray(), s => s.TraceId == trace && s.Source.Name.StartsWith("Npgsql", StringComparison.Ordinal));
        Assert.Null(await CountExcludedAsync([nhs], 2, excluded)); // not at that version

        // Retracted while the count waits: counted as at version 1, which it was checked against.
        var during = await AcrossAsync(() => CountExcludedAsync([nhs], 1, excluded), Retract, ("id", ids["m-metformin"]), ("nhs", nhs));
        Assert.Equal(before.OrderBy(c => c.Category), during!.OrderBy(c => c.Category));

        Assert.Null(await CountExcludedAsync([nhs], 1, excluded));
        Assert.Equal(RecordCategory.Problems, Assert.Single((await CountExcludedAsync([nhs], 2, excluded))!).Category);
    }

    [Fact]
    public async Task A_rebuild_is_one_round_trip_to_postgresql_whatever_the_size_of_the_merged_set()
    {
        var numbers = Enumerable.Range(0, 3).Select(_ => ClinicalHost.NewNhsNumber()).ToArray();
        foreach (var nhs in numbers)
        {
            await host.ContributeAsync("RR8", Make.Problem(nhs, "p-asthma"), Make.Medication(nhs, "m-metformin"));
        }

        foreach (var set in new[] { numbers[..1], numbers })
        {
            foreach (var exclusions in new[] { SummaryExclusions.None, Exclusions(new GetRecordSummaryRequest { ExcludeSensitive = true }) })
            {
                var trace = ActivityTraceId.CreateRandom();
                RecordSummary summary;
                using (new Activity("rebuild-test").SetParentId(trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
                {
                    summary = await ComputeAsync(set, exclusions);
                }

                Assert.Equal(set.Length, summary.RecordVersion);
                Assert.Equal(set.Length, summary.ActiveProblems.Count);
                var statements = host.Spans.ToArray().Where(s => s.TraceId == trace && s.Source.Name.StartsWith("Npgsql", StringComparison.Ordinal)).ToList();
                Assert.Single(statements);
            }
        }
    }
}
