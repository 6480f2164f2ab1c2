using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Consent.Application;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Consent.Seed;

/// <summary>
/// The consent side of the dev scenarios (<see cref="SyntheticOrganisations.Scenario"/>),
/// recorded through the same use cases an IG officer's calls reach. Idempotent: opt-outs are
/// idempotent by nature, restrictions by fixed request ids, the seal by sealing only an
/// unsealed record.
/// </summary>
internal sealed class ConsentSeeder(IServiceScopeFactory scopes) : IDevelopmentSeeder
{
    /// <summary>
    /// The platform id of the seeded hospital admin clerk at RR8 whom patient 3 blocks (the
    /// identity seed's user name <see cref="BlockedProfessionalUserName"/>, Mr Ben Carter).
    /// The identity seed creates that professional with this id (shared through DevData).
    /// </summary>
    public const string BlockedProfessionalId = SyntheticOrganisations.Scenario.BlockedClerkProfessionalId;

    public const string BlockedProfessionalUserName = "clerk.rr8";

    private static readonly Actor IgOfficer = new()
    {
        Kind = ActorKind.Platform,
        Id = "dev-seed",
        Organisation = new OrganisationReference { OdsCode = "LCR" },
    };

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var consent = scope.ServiceProvider.GetRequiredService<ConsentUseCases>();
        var patients = SyntheticCohort.Patients;

        await consent.RecordOptOutAsync(new RecordOptOutRequest
        {
            NhsNumber = patients[SyntheticOrganisations.Scenario.OptedOut].NhsNumber,
            Channel = ConsentChannel.Telephone,
            Reason = "Telephone call to the IG team, ref IG/DEV-0001",
        }, IgOfficer, cancellationToken);

        await AddAsync(consent, SyntheticOrganisations.Scenario.WithholdsMentalHealth, "5eed0000-0000-4000-8000-000000000002",
            new Restriction
            {
                WithheldOrganisation = new OrganisationReference { OdsCode = SyntheticOrganisations.MentalHealthTrust },
                Channel = ConsentChannel.Letter,
                Reason = "Letter from the patient, ref IG/DEV-0002",
            }, cancellationToken);

        await AddAsync(consent, SyntheticOrganisations.Scenario.BlocksProfessional, "5eed0000-0000-4000-8000-000000000003",
            new Restriction
            {
                BlockedProfessionalId = BlockedProfessionalId,
                Channel = ConsentChannel.InPerson,
                Reason = "Patient knows the professional personally, ref IG/DEV-0003",
            }, cancellationToken);

        await AddAsync(consent, SyntheticOrganisations.Scenario.BlocksProfessional, "5eed0000-0000-4000-8000-000000000033",
            new Restriction
            {
                WithheldCategory = RecordCategory.Documents,
                Channel = ConsentChannel.InPerson,
                Reason = "Patient asked for letters not to be shared, ref IG/DEV-0003",
            }, cancellationToken);

        await AddAsync(consent, SyntheticOrganisations.Scenario.ReleasesSensitive, "5eed0000-0000-4000-8000-000000000004",
            new Restriction
            {
                SensitiveEntriesRelease = new SensitiveEntriesRelease(),
                Channel = ConsentChannel.InPerson,
                Reason = "Explicit consent given at clinic, ref IG/DEV-0004",
            }, cancellationToken);

        // A member of staff at the teaching hospital, also a patient: sealed, only their GP named.
        var sealedPatient = patients[SyntheticOrganisations.Scenario.Sealed].NhsNumber;
        if ((await consent.GetAsync(new GetConsentRequest { NhsNumber = sealedPatient }, cancellationToken)).Consent.Seal is null)
        {
            await consent.SealAsync(new SealRecordRequest
            {
                NhsNumber = sealedPatient,
                Seal = new Seal
                {
                    Reason = SealReason.StaffAsPatient,
                    Note = "Member of staff at RR8; sealed at their request, ref IG/DEV-0018",
                    ReviewTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(180)),
                    AllowedProfessionalIds = { SyntheticOrganisations.Scenario.SealedRecordNamedProfessionalId },
                },
            }, IgOfficer, cancellationToken);
        }
    }

    private static Task AddAsync(ConsentUseCases consent, int patient, string requestId, Restriction restriction, CancellationToken ct) =>
        consent.AddRestrictionAsync(new AddRestrictionRequest
        {
            NhsNumber = SyntheticCohort.Patients[patient].NhsNumber,
            RequestId = requestId,
            Restriction = restriction,
        }, IgOfficer, ct);
}
