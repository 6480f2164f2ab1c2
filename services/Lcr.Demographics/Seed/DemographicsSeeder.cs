using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Demographics.Application;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Demographics.Seed;

/// <summary>
/// Registers the synthetic cohort through the same use cases a registration feed and the PDS
/// feed call, then tells issue 21's stories: <see cref="SyntheticOrganisations.Scenario.MergedAway"/>
/// superseded by <see cref="SyntheticOrganisations.Scenario.MergedInto"/>, and
/// <see cref="SyntheticOrganisations.Scenario.Deceased"/> given a date of death. Idempotent.
/// </summary>
internal sealed class DemographicsSeeder(IServiceScopeFactory scopes, TimeProvider clock) : IDevelopmentSeeder
{
    private static readonly Actor Seeder = new()
    {
        Kind = ActorKind.Platform,
        Id = "dev-seed",
        Organisation = new OrganisationReference { OdsCode = "LCR" },
    };

    /// <summary>The seeded merge's notice id: a re-seed re-sends it and changes nothing.</summary>
    public const string MergeNoticeId = "seed-merge-0001";

    /// <summary>How long before the seed runs the seeded deceased patient died.</summary>
    public const int DaysSinceDeath = 30;

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<PatientService>();
        foreach (var s in SyntheticCohort.Patients)
        {
            var patient = new Patient
            {
                NhsNumber = s.NhsNumber,
                Name = new HumanName { Prefix = s.Prefix, Given = { s.Given }, Family = s.Family },
                BirthDate = new Date { Year = s.BirthDate.Year, Month = s.BirthDate.Month, Day = s.BirthDate.Day },
                Gender = s.Female ? AdministrativeGender.Female : AdministrativeGender.Male,
                Address = new Address { Lines = { s.AddressLines }, Postcode = s.Postcode },
                Telephones = { new Telephone { Kind = TelephoneKind.Mobile, Number = s.Mobile } },
                RegisteredPractice = new OrganisationReference { OdsCode = s.PracticeOds },
                Restricted = s.Restricted,
            };
            try
            {
                await service.CreateAsync(patient, Seeder, cancellationToken);
            }
            catch (AlreadyExistsException)
            {
                // Changed since an earlier seed (e.g. contact details updated while exploring): keep it.
            }
        }

        await RecordDeathAsync(service, cancellationToken);
        await scope.ServiceProvider.GetRequiredService<SupersessionService>().ReportAsync(new ReportSupersessionRequest
        {
            NoticeId = MergeNoticeId,
            SupersededNhsNumber = SyntheticCohort.Patients[SyntheticOrganisations.Scenario.MergedAway].NhsNumber,
            NhsNumber = SyntheticCohort.Patients[SyntheticOrganisations.Scenario.MergedInto].NhsNumber,
        }, Seeder, cancellationToken);
    }

    /// <summary>The deceased patient's date of death, as an UPDATED version, unless one is already recorded.</summary>
    private async Task RecordDeathAsync(PatientService service, CancellationToken ct)
    {
        var nhs = SyntheticCohort.Patients[SyntheticOrganisations.Scenario.Deceased].NhsNumber;
        var current = await service.GetAsync(nhs, ct);
        if (current.DeathDate is not null)
        {
            return;
        }

        var died = PatientRules.Today(clock).AddDays(-DaysSinceDeath);
        await service.UpdateAsync(new UpdatePatientRequest
        {
            Patient = new Patient { NhsNumber = nhs, DeathDate = PatientMapping.ToDate(died) },
            UpdateMask = new FieldMask { Paths = { "death_date" } },
            Etag = current.Etag,
        }, Seeder, ct);
    }
}
