using Lcr.Common.V1;
using Lcr.Demographics.Application;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Demographics.Seed;

/// <summary>Registers the synthetic cohort through the same use case a registration feed calls. Idempotent.</summary>
internal sealed class DemographicsSeeder(IServiceScopeFactory scopes) : IDevelopmentSeeder
{
    private static readonly Actor Seeder = new()
    {
        Kind = ActorKind.Platform,
        Id = "dev-seed",
        Organisation = new OrganisationReference { OdsCode = "LCR" },
    };

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
    }
}
