using Lcr.Clinical.Caching;
using Lcr.Clinical.Domain;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Clinical.Tests;

public class DomainTests
{
    [Theory]
    [InlineData(ProblemClinicalStatus.Active, EntryStatus.Active)]
    [InlineData(ProblemClinicalStatus.Resolved, EntryStatus.Inactive)]
    [InlineData(ProblemClinicalStatus.Inactive, EntryStatus.Inactive)]
    public void Problem_status_is_normalised(ProblemClinicalStatus status, EntryStatus expected) =>
        Assert.Equal(expected, EntryFacts.StatusOf(new Entry { Problem = new Problem { ClinicalStatus = status } }));

    [Fact]
    public void Other_categories_are_normalised()
    {
        Assert.Equal(EntryStatus.Inactive, EntryFacts.StatusOf(new Entry { Medication = new Medication { Status = MedicationStatus.Stopped } }));
        Assert.Equal(EntryStatus.Inactive, EntryFacts.StatusOf(new Entry { Medication = new Medication { Status = MedicationStatus.Completed } }));
        Assert.Equal(EntryStatus.Active, EntryFacts.StatusOf(new Entry { Allergy = new Allergy { VerificationStatus = AllergyVerificationStatus.Unconfirmed } }));
        Assert.Equal(EntryStatus.Inactive, EntryFacts.StatusOf(new Entry { Allergy = new Allergy { VerificationStatus = AllergyVerificationStatus.Refuted } }));
        Assert.Equal(EntryStatus.Inactive, EntryFacts.StatusOf(new Entry { TestResult = new TestResult { Status = ResultStatus.Cancelled } }));
        Assert.Equal(EntryStatus.Active, EntryFacts.StatusOf(new Entry { Document = new Document() }));
    }

    [Fact]
    public void A_date_is_taken_at_midnight_in_london_summer_time_included()
    {
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 0, 0, 0, TimeSpan.FromHours(1)), EntryFacts.StartOfDay(new Date { Year = 2024, Month = 7, Day = 1 }));
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), EntryFacts.StartOfDay(new Date { Year = 2024, Month = 1, Day = 1 }));
        var fallback = DateTimeOffset.UnixEpoch;
        Assert.Equal(fallback, EntryFacts.ClinicalTimeOf(new Entry { Problem = new Problem() }, fallback));
    }

    [Fact]
    public void Validation_names_every_bad_field_with_its_full_path()
    {
        var v = new FieldViolations();
        var item = new EntryContribution
        {
            Entry = new Entry
            {
                NhsNumber = "9434765919",
                Category = RecordCategory.Problems,
                Code = new CodedConcept { System = "http://snomed.info/sct" },
                Provenance = new Provenance { SourceEntryId = "x" },
                Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = 2021, Month = 13, Day = 1 } },
            },
            ExpectedVersion = -1,
        };
        EntryValidator.Validate(item, "entries[3]", DateTimeOffset.UtcNow, v);
        Assert.Equal(["entries[3].entry.code.code", "entries[3].entry.problem.onset_date", "entries[3].expected_version"],
            v.Items.Select(i => i.Field).Order());
    }

    [Fact]
    public void Canonical_form_defaults_sensitivity_and_upper_cases_ods_codes()
    {
        var v = new FieldViolations();
        var item = new EntryContribution
        {
            Entry = new Entry
            {
                NhsNumber = "9434765919", Category = RecordCategory.Medications,
                Code = new CodedConcept { System = " https://dmd.nhs.uk ", Code = " 39109611000001103 " },
                Provenance = new Provenance { SourceEntryId = " m1 " },
                Medication = new Medication { DoseText = "500 mg", Status = MedicationStatus.Active, PrescribingOrganisation = new OrganisationReference { OdsCode = "rgd" } },
            },
        };
        var canonical = EntryValidator.Validate(item, "entries[0]", DateTimeOffset.UtcNow, v)!;
        Assert.False(v.Any);
        Assert.Equal(Sensitivity.Normal, canonical.Sensitivity);
        Assert.Equal("RGD", canonical.Medication.PrescribingOrganisation.OdsCode);
        Assert.Equal("39109611000001103", canonical.Code.Code);
        Assert.Equal("m1", canonical.Provenance.SourceEntryId);
    }

    [Fact]
    public async Task Single_flight_runs_one_computation_for_concurrent_callers_and_forgets_it_after()
    {
        var flights = new SingleFlight<string, int>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        var callers = Enumerable.Range(0, 20).Select(_ => flights.RunAsync("k", () =>
        {
            Interlocked.Increment(ref runs);
            return gate.Task;
        }, CancellationToken.None)).ToList();
        gate.SetResult(42);
        Assert.All(await Task.WhenAll(callers), r => Assert.Equal(42, r));
        Assert.Equal(1, runs);
        Assert.Equal(0, flights.InFlight);

        Assert.Equal(7, await flights.RunAsync("k", () => Task.FromResult(7), CancellationToken.None));
    }

    [Fact]
    public async Task Single_flight_caller_can_stop_waiting_without_cancelling_the_others()
    {
        var flights = new SingleFlight<string, int>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        var impatient = flights.RunAsync("k", () => gate.Task, cts.Token);
        var patient = flights.RunAsync("k", () => gate.Task, CancellationToken.None);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        gate.SetResult(1);
        Assert.Equal(1, await patient);
    }
}
