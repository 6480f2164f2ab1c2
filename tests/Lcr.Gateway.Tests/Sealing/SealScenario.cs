using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using static Lcr.Gateway.Tests.Callers;
using Scopes = Lcr.Security.Scopes;

namespace Lcr.Gateway.Tests.Sealing;

/// <summary>What the sealed-record tests set up through the gateway, as feeds and administrators do: new patients, professionals and seals.</summary>
internal static class SealScenario
{
    public const string Justification = "Cardiac arrest in the emergency department; the sealed history is needed to treat";

    public static string NewNhsNumber()
    {
        while (true)
        {
            var nine = "9996" + Random.Shared.Next(0, 100_000).ToString("00000", System.Globalization.CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                return nine + (char)('0' + check);
            }
        }
    }

    /// <summary>A new patient registered at Beckett Street (so its professionals have an organisation relationship), with a unique family name.</summary>
    public static async Task<(string Nhs, string Family)> RegisterPatientAsync(GrpcChannel gateway)
    {
        var feed = Bearer(await SystemAsync(gateway, "b86001-gp-feed", Scopes.DemographicsWrite, Scopes.RelationshipsWrite));
        var nhs = NewNhsNumber();
        var family = "Sealtest" + Guid.NewGuid().ToString("N")[..8];
        await new DemographicsService.DemographicsServiceClient(gateway).CreatePatientAsync(new CreatePatientRequest
        {
            Patient = new Patient
            {
                NhsNumber = nhs,
                Name = new HumanName { Prefix = "Ms", Given = { "Imogen" }, Family = family },
                BirthDate = new Date { Year = 1979, Month = 6, Day = 2 },
                Gender = AdministrativeGender.Female,
                Address = new Address { Lines = { "7 Sealed Row", "Leeds" }, Postcode = "LS7 3QX" },
                RegisteredPractice = new OrganisationReference { OdsCode = SyntheticOrganisations.BeckettStreetSurgery },
            },
        }, feed);
        await IdentityClient(gateway).RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = nhs,
                Kind = CareRelationshipKind.RegisteredGp,
                OrganisationOdsCode = SyntheticOrganisations.BeckettStreetSurgery,
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
                Source = new Provenance { SourceEntryId = "registration-" + nhs, SourceSystem = "test" },
            },
        }, feed);
        return (nhs, family);
    }

    /// <summary>A new professional in <paramref name="role"/> at <paramref name="ods"/>; returns their user name and platform id.</summary>
    public static async Task<(string UserName, string Id)> NewProfessionalAsync(GrpcChannel gateway, string ods = SyntheticOrganisations.BeckettStreetSurgery,
        string role = "R8000", params string[] teams)
    {
        var admin = Bearer(await SystemAsync(gateway, IdentitySeederClients.PlatformAdmin, Scopes.IdentityAdmin));
        var userName = "seal." + Guid.NewGuid().ToString("N")[..10];
        var created = (await IdentityClient(gateway).CreateProfessionalAsync(new CreateProfessionalRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            InitialPassword = PlatformFixture.Password,
            Professional = new Professional { UserName = userName, Title = "Dr", GivenName = "Alex", FamilyName = "Viewer", TeamIds = { teams } },
        }, admin)).Professional;
        await IdentityClient(gateway).CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment
            {
                ProfessionalId = created.Id, Organisation = new OrganisationReference { OdsCode = ods }, RoleCode = role,
            },
        }, admin);
        return (userName, created.Id);
    }

    /// <summary>Seals the record as the practice's GP system (consent.write, linked by registration).</summary>
    public static async Task SealAsync(GrpcChannel gateway, string nhs, IEnumerable<string> professionals, IEnumerable<string>? teams = null)
    {
        var feed = Bearer(await SystemAsync(gateway, "b86001-gp-feed", Scopes.ConsentWrite));
        await new ConsentService.ConsentServiceClient(gateway).SealRecordAsync(new SealRecordRequest
        {
            NhsNumber = nhs,
            Seal = new Seal
            {
                Reason = SealReason.StaffAsPatient,
                AllowedProfessionalIds = { professionals },
                AllowedTeamIds = { teams ?? [] },
                Note = "Member of staff at the practice",
                ReviewTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(30)),
            },
        }, feed);
    }

    public static async Task UnsealAsync(GrpcChannel gateway, string nhs)
    {
        var feed = Bearer(await SystemAsync(gateway, "b86001-gp-feed", Scopes.ConsentWrite));
        await new ConsentService.ConsentServiceClient(gateway).UnsealRecordAsync(
            new UnsealRecordRequest { NhsNumber = nhs, Reason = "Review complete" }, feed);
    }

    /// <summary>The patient's consent state, as the practice's GP system reads it.</summary>
    public static async Task<ConsentState> ConsentAsync(GrpcChannel gateway, string nhs)
    {
        var feed = Bearer(await SystemAsync(gateway, "b86001-gp-feed", Scopes.ConsentRead));
        return (await new ConsentService.ConsentServiceClient(gateway).GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, feed)).Consent;
    }

    public static async Task<string> EmergencyAsync(GrpcChannel gateway, string userName, string nhs, string justification = "")
    {
        var session = await SessionAsync(gateway, userName);
        return (await IdentityClient(gateway).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhs,
            ReasonCode = EmergencyAccessReason.ClinicalEmergency,
            ReasonText = "Brought in unconscious, no history available",
            SealedRecordJustification = justification,
        }, Bearer(session))).AccessToken;
    }
}
