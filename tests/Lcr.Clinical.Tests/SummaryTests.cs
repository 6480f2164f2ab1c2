using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Tests;

public class SummaryTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    [Fact]
    public async Task Summary_shows_what_is_current_in_each_category()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var resolved = Make.Problem(nhs, "p-uti", "68566005", "Urinary tract infectious disease", ProblemClinicalStatus.Resolved, Make.Date(2023, 1, 5));
        resolved.Entry.Problem.ResolutionDate = Make.Date(2023, 1, 20);
        await host.ContributeAsync("B86001",
            Make.Problem(nhs, "p-asthma", onset: Make.Date(2001, 1, 1)),
            Make.Problem(nhs, "p-t2dm", "44054006", "Diabetes mellitus type 2", onset: Make.Date(2019, 7, 1)),
            resolved,
            Make.Problem(nhs, "p-past", "38341003", "Hypertensive disorder", ProblemClinicalStatus.Inactive),
            Make.Medication(nhs, "m-metformin", start: Make.Date(2019, 8, 1)),
            Make.Medication(nhs, "m-ramipril", "39682611000001107", "Ramipril 2.5mg capsules", MedicationStatus.Stopped),
            Make.Medication(nhs, "m-amox", "39732311000001104", "Amoxicillin 500mg capsules", MedicationStatus.Completed),
            Make.Allergy(nhs, "a-pen"),
            Make.Allergy(nhs, "a-codeine", "387494007", "Codeine", AllergyVerificationStatus.Refuted),
            Make.Allergy(nhs, "a-latex", "111088007", "Latex", AllergyVerificationStatus.Unconfirmed));
        await host.ContributeAsync("RR8",
            Make.Result(nhs, "hba1c-2024", 58, Make.At(2024, 3, 1)),
            Make.Result(nhs, "hba1c-2026", 48, Make.At(2026, 3, 1)),
            Make.Result(nhs, "hba1c-2025", 52, Make.At(2025, 3, 1)),
            Make.Result(nhs, "chol-old", 5.9, Make.At(2025, 1, 1), "1005671000000105", "Serum cholesterol level", "mmol/L"),
            Make.Result(nhs, "chol-cancelled", 0, Make.At(2026, 6, 1), "1005671000000105", "Serum cholesterol level", "mmol/L", ResultStatus.Cancelled),
            Make.Document(nhs, "d-old", "old"u8.ToArray(), Make.At(2024, 1, 1), "Clinic letter 2024"),
            Make.Document(nhs, "d-new", "new"u8.ToArray(), Make.At(2026, 4, 1), "Discharge summary 2026"));

        var s = await host.SummaryAsync(nhs);
        Assert.Equal(["44054006", "195967001"], s.ActiveProblems.Select(e => e.Code.Code)); // most recent onset first
        Assert.Equal("39109611000001103", Assert.Single(s.CurrentMedications).Code.Code);
        Assert.Equal(["764146007", "111088007"], s.Allergies.Select(e => e.Code.Code).Order().Reverse());
        Assert.Equal(2, s.LatestResults.Count); // one per test; the cancelled cholesterol is not "latest"
        Assert.Equal(48, s.LatestResults[0].TestResult.Quantity.Value);
        Assert.Equal(5.9, s.LatestResults[1].TestResult.Quantity.Value);
        Assert.Equal(["Discharge summary 2026", "Clinic letter 2024"], s.RecentDocuments.Select(d => d.Document.Title));
        Assert.All(s.RecentDocuments, d => Assert.Equal(3, d.Document.SizeBytes));
        Assert.Equal(
            [(RecordCategory.Problems, 4), (RecordCategory.Medications, 3), (RecordCategory.Allergies, 3), (RecordCategory.TestResults, 5), (RecordCategory.Documents, 2)],
            s.CategoryCounts.Select(c => (c.Category, c.Count)));
        Assert.Contains(s.EntryCounts, c => c.Category == RecordCategory.TestResults && c.SourceOrganisationOdsCode == "RR8" && c.Count == 5);
        Assert.Equal(2, s.RecordVersion);
        Assert.All(s.ActiveProblems, e => Assert.Equal("B86001", e.Provenance.SourceOrganisation.OdsCode));
    }

    [Fact]
    public async Task A_contribution_invalidates_the_cached_summary_before_its_reply()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-1"));
        var before = await host.SummaryAsync(nhs);
        Assert.True(await host.Redis.KeyExistsAsync(host.SummaryKey(nhs)));
        var hits = host.Counter("lcr.clinical.summary_cache.hits");
        Assert.Equal(before, await host.SummaryAsync(nhs));
        Assert.Equal(hits + 1, host.Counter("lcr.clinical.summary_cache.hits"));

        await host.ContributeAsync("RR8", Make.Medication(nhs, "m-1"));
        Assert.False(await host.Redis.KeyExistsAsync(host.SummaryKey(nhs))); // gone by the time the reply arrived
        var after = await host.SummaryAsync(nhs);
        Assert.Single(after.CurrentMedications);
        Assert.Equal(before.RecordVersion + 1, after.RecordVersion);

        await host.Client.RetractEntryAsync(new RetractEntryRequest { NhsNumber = nhs, EntryId = after.CurrentMedications[0].Id, Reason = "wrong patient" },
            ClinicalHost.Feed("RR8"));
        Assert.Empty((await host.SummaryAsync(nhs)).CurrentMedications);
    }

    [Fact]
    public async Task A_repeated_summary_comes_from_the_replicas_memory_and_a_contribution_is_seen_at_once()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-1"));
        var first = await host.SummaryAsync(nhs);
        await host.Redis.KeyDeleteAsync(host.SummaryKey(nhs)); // Redis forgets it: memory still answers

        var memoryHits = host.Counter("lcr.clinical.summary_cache.hits|memory");
        var misses = host.Counter("lcr.clinical.summary_cache.misses");
        Assert.Equal(first, await host.SummaryAsync(nhs));
        Assert.Equal(memoryHits + 1, host.Counter("lcr.clinical.summary_cache.hits|memory"));
        Assert.Equal(misses, host.Counter("lcr.clinical.summary_cache.misses"));

        // A contribution makes a new record version: the remembered summary is never served again.
        await host.ContributeAsync("RR8", Make.Medication(nhs, "m-1"));
        var after = await host.SummaryAsync(nhs);
        Assert.Single(after.CurrentMedications);
        Assert.Equal(first.RecordVersion + 1, after.RecordVersion);
    }

    [Fact]
    public async Task The_cache_key_is_a_pseudonym_not_the_nhs_number()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-1"));
        await host.SummaryAsync(nhs);
        var key = host.SummaryKey(nhs);
        Assert.DoesNotContain(nhs, key, StringComparison.Ordinal);
        Assert.True(await host.Redis.KeyExistsAsync(key));
        var ttl = await host.Redis.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.True(ttl <= TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_summary_computed_before_a_commit_cannot_be_cached_after_the_invalidation()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-1"));
        var old = await host.SummaryAsync(nhs); // cached at record version 1
        await host.ContributeAsync("B86001", Make.Medication(nhs, "m-1")); // version 2, floor 2, key deleted

        // A slow reader that computed at version 1 now tries to store: refused by the floor.
        var cache = host.Services.GetService(typeof(Lcr.Clinical.Caching.SummaryCache)) as Lcr.Clinical.Caching.SummaryCache;
        await cache!.StoreAsync(nhs, old.RecordVersion, Google.Protobuf.MessageExtensions.ToByteArray(old));
        Assert.False(await host.Redis.KeyExistsAsync(host.SummaryKey(nhs)));
        Assert.Single((await host.SummaryAsync(nhs)).CurrentMedications);
    }

    [Fact]
    public async Task A_stale_summary_left_in_redis_is_never_served()
    {
        // As if an invalidation never reached Redis (down or partitioned during the contribution,
        // then back with its old data): the cached version no longer matches PostgreSQL's.
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-1"));
        var old = await host.SummaryAsync(nhs);
        var stale = await host.Redis.HashGetAllAsync(host.SummaryKey(nhs));
        await host.ContributeAsync("B86001", Make.Medication(nhs, "m-1"));
        await host.Redis.HashSetAsync(host.SummaryKey(nhs), stale);

        var misses = host.Counter("lcr.clinical.summary_cache.misses|stale");
        var now = await host.SummaryAsync(nhs);
        Assert.Single(now.CurrentMedications);
        Assert.Equal(old.RecordVersion + 1, now.RecordVersion);
        Assert.Equal(misses + 1, host.Counter("lcr.clinical.summary_cache.misses|stale"));
    }

    [Fact]
    public async Task Concurrent_misses_for_one_patient_share_computations()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-1"), Make.Medication(nhs, "m-1"));
        const int readers = 24;
        var computations = host.Counter("lcr.clinical.summary.computations");
        var summaries = await Task.WhenAll(Enumerable.Range(0, readers).Select(_ => host.SummaryAsync(nhs)));
        Assert.All(summaries, s => Assert.Equal(summaries[0].ActiveProblems, s.ActiveProblems));
        var computed = host.Counter("lcr.clinical.summary.computations") - computations;
        Assert.InRange(computed, 1, readers - 1);
    }
}
