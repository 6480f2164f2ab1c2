using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Demographics.Api;
using Lcr.Demographics.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Demographics.Tests;

/// <summary>The real demographics service, in memory, on its own fresh database.</summary>
public sealed class DemographicsHost : ServiceHost<DemographicsGrpcService>
{
    protected override string ConnectionName => "Demographics";

    public DemographicsService.DemographicsServiceClient Client => new(Channel);

    /// <summary>Metadata of a registration feed of a GP practice.</summary>
    public static Metadata Feed(string ods = "B86001", string id = "systmone-feed") => CallerHeaders.For(new Actor
    {
        Kind = ActorKind.System,
        Id = id,
        Organisation = new OrganisationReference { OdsCode = ods },
    });

    private static int _next = 100;

    /// <summary>A fresh valid NHS number in the test range, unique in this process.</summary>
    public static string NewNhsNumber()
    {
        while (true)
        {
            var nine = "998" + Interlocked.Increment(ref _next).ToString("000000", System.Globalization.CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                return nine + (char)('0' + check);
            }
        }
    }

    public static Patient NewPatient(string? nhs = null, string family = "Hart", string given = "Amelia", int year = 1984) => new()
    {
        NhsNumber = nhs ?? NewNhsNumber(),
        Name = new HumanName { Prefix = "Ms", Given = { given }, Family = family },
        BirthDate = new Date { Year = year, Month = 3, Day = 14 },
        Gender = AdministrativeGender.Female,
        Address = new Address { Lines = { "12 Beckett Street", "Leeds" }, Postcode = "ls97tf" },
        Telephones = { new Telephone { Kind = TelephoneKind.Mobile, Number = "07700 900123" } },
        Email = "amelia.hart@example.org",
        RegisteredPractice = new OrganisationReference { OdsCode = "b86001" },
    };

    public async Task<Patient> CreateAsync(Patient p) =>
        (await Client.CreatePatientAsync(new CreatePatientRequest { Patient = p }, Feed())).Patient;
}
