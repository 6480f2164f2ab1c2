using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Identity.Application;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Identity.Seed;

/// <summary>
/// The identity side of the dev story (see docs/services/identity.md): the synthetic
/// organisations, one professional per role, a feed client per organisation plus a platform
/// admin client, and the care relationships of the synthetic cohort. Idempotent; goes
/// through the same use cases the calls use. Passwords and client secrets are never in the
/// repository: one dev password (<c>Identity:SeedPassword</c>) and one dev client secret
/// (<c>Identity:SeedClientSecret</c>) come from configuration, and seeding refuses to run
/// without them. Re-seeding with new values resets the seeded accounts to them.
/// </summary>
internal sealed partial class IdentitySeeder(IServiceScopeFactory scopes, IConfiguration config, TimeProvider clock, ILogger<IdentitySeeder> logger)
    : IDevelopmentSeeder
{
    /// <summary>
    /// The seeded professionals: user name, title, given, family, role, organisation, teams, registration, and the
    /// subject the development OpenID Connect provider knows them by (tools/dev-oidc/people.json, same user names).
    /// </summary>
    public static readonly IReadOnlyList<SeedProfessional> Professionals =
    [
        new("gp.b86001", "Dr", "Priya", "Shah", RoleCatalogue.ClinicalPractitioner, SyntheticOrganisations.BeckettStreetSurgery, [], RegulatoryBody.Gmc, "7654321", "30cc8165-1dcd-5b7c-96f3-52bc438847a9"),
        new("clinician.rr8", "Dr", "Tom", "Wright", RoleCatalogue.ClinicalPractitioner, SyntheticOrganisations.TeachingHospitals, [WardTeam], RegulatoryBody.Gmc, "7123456", "b7aba96f-6f7b-5ac7-95f2-302a8b8dc87e"),
        new("ed.rr8", "Dr", "Sam", "Okoro", RoleCatalogue.ClinicalPractitioner, SyntheticOrganisations.TeachingHospitals, [], RegulatoryBody.Gmc, "7345678", "2f50c4b1-cfb2-56ae-91bf-8810d8f47e44"),
        new("clerk.rr8", "Mr", "Ben", "Carter", RoleCatalogue.AdminClinicalSupport, SyntheticOrganisations.TeachingHospitals, [OutpatientTeam], null, null, "d1e45dba-d2b7-58c6-baca-ca62ec255143"),
        new("socialworker.00da", "Ms", "Joanne", "Reid", RoleCatalogue.SocialCarePractitioner, SyntheticOrganisations.AdultSocialCare, [], RegulatoryBody.SocialWorkEngland, "SW123456", "1f83d1e8-1097-5e07-ae55-c513c644e678"),
        new("mhnurse.rgd", "Mr", "Liam", "Doyle", RoleCatalogue.NurseAccess, SyntheticOrganisations.MentalHealthTrust, [MentalHealthTeam], RegulatoryBody.Nmc, "12A3456E", "06dc77f4-19ae-5384-bfc3-9e3f4433f2d3"),
        new("ig.rr8", "Ms", "Fatima", "Ali", RoleCatalogue.InformationGovernanceOfficer, SyntheticOrganisations.TeachingHospitals, [], null, null, "aa573007-25a1-549e-8078-6c8799525c73"),
        new("ig.b86001", "Mr", "George", "Hill", RoleCatalogue.InformationGovernanceOfficer, SyntheticOrganisations.BeckettStreetSurgery, [], null, null, "f6ec6b5c-2ae0-5a94-a82a-b2348c91099b"),
        new("ig.platform", "Ms", "Helen", "Marsh", RoleCatalogue.InformationGovernanceOfficer, SyntheticOrganisations.PlatformOperator, [], null, null, "3b9c74a6-1966-56e8-bc76-40ff51ad0ec7"),
        new("privacy.rr8", "Ms", "Rachel", "Green", RoleCatalogue.PrivacyOfficer, SyntheticOrganisations.TeachingHospitals, [], null, null, "36513a80-fae7-5672-9782-751bc6ff96e4"),
        new("privacy.b86001", "Mr", "David", "Moss", RoleCatalogue.PrivacyOfficer, SyntheticOrganisations.BeckettStreetSurgery, [], null, null, "c0deb138-69c1-5d86-b4c8-bdb312fc9ba6"),
    ];

    public const string WardTeam = "RR8:WARD-12";
    public const string OutpatientTeam = "RR8:CARDIOLOGY-OP";
    public const string MentalHealthTeam = "RGD:CMHT-NORTH";
    public const string PlatformAdminClient = "platform-admin";

    /// <summary>The platform's PDS-like demographics feed: reports supersessions (merges) of NHS numbers and demographics updates.</summary>
    public const string PdsFeedClient = "lcr01-pds-feed";

    /// <summary>The seeded organisation that has switched self-claimed care relationships off for its staff.</summary>
    public const string SelfClaimsOffOrganisation = SyntheticOrganisations.MentalHealthTrust;

    private static readonly string[] GpFeedScopes = [Scopes.RecordContribute, Scopes.DemographicsWrite, Scopes.RelationshipsWrite, Scopes.RelationshipsRead, Scopes.ConsentWrite, Scopes.ConsentRead];
    private static readonly string[] ProviderFeedScopes = [Scopes.RecordContribute, Scopes.RelationshipsWrite, Scopes.RelationshipsRead];

    /// <summary>The seeded system clients: client id, organisation, scopes.</summary>
    public static readonly IReadOnlyList<(string ClientId, string Ods, string Name, string[] Scopes)> Clients =
    [
        ("b86001-gp-feed", SyntheticOrganisations.BeckettStreetSurgery, "Beckett Street Surgery GP system feed", GpFeedScopes),
        ("b86002-gp-feed", SyntheticOrganisations.RoundhayRoadMedicalCentre, "Roundhay Road Medical Centre GP system feed", GpFeedScopes),
        ("b86003-gp-feed", SyntheticOrganisations.KirkstallHealthCentre, "Kirkstall Health Centre GP system feed", GpFeedScopes),
        ("rr8-ppm-feed", SyntheticOrganisations.TeachingHospitals, "LTHT PPM+ admissions and results feed", ProviderFeedScopes),
        ("rgd-care-feed", SyntheticOrganisations.MentalHealthTrust, "LYPFT mental health record feed", ProviderFeedScopes),
        ("ry6-community-feed", SyntheticOrganisations.CommunityHealthcare, "LCH community services feed", ProviderFeedScopes),
        ("00da-social-care-feed", SyntheticOrganisations.AdultSocialCare, "Adult social care case management feed", ProviderFeedScopes),
        (PlatformAdminClient, SyntheticOrganisations.PlatformOperator, "Platform team administration",
            [Scopes.IdentityAdmin, Scopes.KeysRotate, Scopes.RelationshipsRead, Scopes.AuditRead, Scopes.AuditReview]),
        (PdsFeedClient, SyntheticOrganisations.PlatformOperator, "PDS demographics and supersession feed",
            [Scopes.DemographicsMerge, Scopes.DemographicsWrite]),
    ];

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var password = config["Identity:SeedPassword"];
        var secret = config["Identity:SeedClientSecret"];
        if (string.IsNullOrWhiteSpace(password) || password.Length < DirectoryService.MinPasswordLength ||
            string.IsNullOrWhiteSpace(secret) || secret.Length < 16)
        {
            throw new InvalidOperationException(
                "Refusing to seed identity: set Identity:SeedPassword (at least 12 characters) and Identity:SeedClientSecret " +
                "(at least 16 characters) in the environment (Identity__SeedPassword, Identity__SeedClientSecret); `make run` generates them.");
        }

        await using var scope = scopes.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var directory = sp.GetRequiredService<DirectoryService>();
        var clients = sp.GetRequiredService<SystemClientService>();
        var relationships = sp.GetRequiredService<RelationshipService>();
        var db = sp.GetRequiredService<IdentityDbContext>();

        foreach (var o in SyntheticOrganisations.All.Append(SyntheticOrganisations.Platform))
        {
            await directory.CreateOrganisationAsync(new Organisation { OdsCode = o.OdsCode, DisplayName = o.Name, Kind = KindOf(o.Kind) }, cancellationToken);
        }

        // The mental health trust has switched self-claimed care relationships off (ClaimCareRelationship: SELF_CLAIMS_DISABLED).
        await db.Organisations.Where(o => o.OdsCode == SelfClaimsOffOrganisation && !o.SelfClaimsDisabled)
            .ExecuteUpdateAsync(u => u.SetProperty(o => o.SelfClaimsDisabled, true), cancellationToken);

        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in Professionals)
        {
            var created = await directory.CreateProfessionalAsync(new CreateProfessionalRequest
            {
                RequestId = StableGuid("professional:" + p.UserName).ToString(),
                InitialPassword = password,
                Professional = new Professional
                {
                    UserName = p.UserName,
                    Title = p.Title,
                    GivenName = p.Given,
                    FamilyName = p.Family,
                    TeamIds = { p.Teams },
                    FederatedSubject = p.FederatedSubject,
                    Registration = p.Body is { } body ? new ProfessionalRegistration { Body = body, Number = p.Number } : null,
                },
            }, cancellationToken, p.UserName switch
            {
                "clerk.rr8" => Guid.Parse(Scenario.BlockedClerkProfessionalId),
                "gp.b86001" => Guid.Parse(Scenario.SealedRecordNamedProfessionalId), // named on the sealed patient's seal
                _ => null,
            });
            ids[p.UserName] = created.Id;
            await directory.CreateRoleAssignmentAsync(new RoleAssignment
            {
                ProfessionalId = created.Id,
                Organisation = new OrganisationReference { OdsCode = p.Ods },
                RoleCode = p.Role,
            }, cancellationToken);
        }

        await ResetSeededPasswordsAsync(db, sp.GetRequiredService<IPasswordHasher<ProfessionalRow>>(), password, cancellationToken);

        foreach (var (clientId, ods, name, scopeList) in Clients)
        {
            try
            {
                await clients.CreateAsync(new SystemClient
                {
                    ClientId = clientId,
                    DisplayName = name,
                    Organisation = new OrganisationReference { OdsCode = ods },
                    Scopes = { scopeList },
                }, cancellationToken, presetSecret: secret);
            }
            catch (AlreadyExistsException)
            {
                // Seeded before: the secret is reset below if it changed.
            }
        }

        await ResetSeededSecretsAsync(db, sp.GetRequiredService<IPasswordHasher<SystemClientRow>>(), secret, cancellationToken);

        var count = await SeedRelationshipsAsync(relationships, cancellationToken);
        LogSeeded(logger, SyntheticOrganisations.All.Count + 1, string.Join(", ", Professionals.Select(p => p.UserName)),
            string.Join(", ", Clients.Select(c => c.ClientId)), count);
    }

    private async Task<int> SeedRelationshipsAsync(RelationshipService relationships, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var registered = Min(new DateTimeOffset(2015, 4, 1, 0, 0, 0, TimeSpan.Zero), now.AddDays(-1));
        var recent = now.AddDays(-2).Date;
        var count = 0;

        async Task Record(string feedOds, string sourceId, int patient, CareRelationshipKind kind, Action<CareRelationship> subject, DateTimeOffset start)
        {
            var c = new CareRelationship
            {
                NhsNumber = SyntheticCohort.Patients[patient].NhsNumber,
                Kind = kind,
                StartTime = Timestamp.FromDateTimeOffset(start),
                Source = new Provenance { SourceEntryId = sourceId, SourceSystem = "dev-seed" },
            };
            subject(c);
            await relationships.RecordAsync(new RecordCareRelationshipRequest { CareRelationship = c },
                new SystemCaller("dev-seed", feedOds, new HashSet<string>()), ct);
            count++;
        }

        // Every patient is registered with their practice: an organisation-level relationship.
        for (var i = 0; i < SyntheticCohort.Patients.Count; i++)
        {
            var practice = SyntheticCohort.Patients[i].PracticeOds;
            await Record(practice, $"registration-{i:000}", i, CareRelationshipKind.RegisteredGp, c => c.OrganisationOdsCode = practice, registered);
        }

        // The example patient is an inpatient on ward 12 at the teaching hospital (the ward team,
        // so the hospital clinician has access and the ED doctor, not on the ward, has none).
        await Record(SyntheticOrganisations.TeachingHospitals, "admission-0001", Scenario.ExamplePatient,
            CareRelationshipKind.InpatientEpisode, c => c.TeamId = WardTeam, Min(recent, now));

        // Patients 1, 2 and 4 (registered elsewhere) were seen at the Beckett Street extended-access
        // clinic, so the seeded GP can show the opt-out, withheld-trust and sensitive-entry stories.
        // Patient 3 is registered at Beckett Street already.
        foreach (var i in new[] { Scenario.OptedOut, Scenario.WithholdsMentalHealth, Scenario.ReleasesSensitive })
        {
            if (SyntheticCohort.Patients[i].PracticeOds != SyntheticOrganisations.BeckettStreetSurgery)
            {
                await Record(SyntheticOrganisations.BeckettStreetSurgery, $"extended-access-{i:000}", i,
                    CareRelationshipKind.Referral, c => c.OrganisationOdsCode = SyntheticOrganisations.BeckettStreetSurgery, registered);
            }
        }

        // Patient 2 is under the community mental health team (whose entries they withhold).
        await Record(SyntheticOrganisations.MentalHealthTrust, "cmht-002", Scenario.WithholdsMentalHealth,
            CareRelationshipKind.MentalHealthCareTeam, c => c.TeamId = MentalHealthTeam, registered);

        // Patient 3 attends cardiology outpatients, whose clerk they have blocked: the clerk gets a
        // token (the relationship is real) and consent refuses the read at the gateway.
        await Record(SyntheticOrganisations.TeachingHospitals, "outpatient-0003", Scenario.BlocksProfessional,
            CareRelationshipKind.OutpatientEpisode, c => c.TeamId = OutpatientTeam, registered);

        // Patient 5: an open adult social care case and the community mental health team.
        await Record(SyntheticOrganisations.AdultSocialCare, "case-0005", Scenario.SocialCareCase,
            CareRelationshipKind.SocialCareCase, c => c.OrganisationOdsCode = SyntheticOrganisations.AdultSocialCare, registered);
        await Record(SyntheticOrganisations.MentalHealthTrust, "cmht-005", Scenario.SocialCareCase,
            CareRelationshipKind.MentalHealthCareTeam, c => c.TeamId = MentalHealthTeam, registered);

        // The merged pair: the hospital admitted the patient through its emergency department under
        // a temporary number, later superseded by the number kept (the demographics seed's merge).
        // The relationship stays recorded under the temporary number; while the merge stands the
        // gateway passes that number with the kept one, so the hospital's staff get tokens for it.
        await Record(SyntheticOrganisations.TeachingHospitals, "ed-attendance-0064", Scenario.MergedAway,
            CareRelationshipKind.InpatientEpisode, c => c.OrganisationOdsCode = SyntheticOrganisations.TeachingHospitals, Min(recent, now));
        return count;
    }

    private static async Task ResetSeededPasswordsAsync(IdentityDbContext db, IPasswordHasher<ProfessionalRow> hasher, string password, CancellationToken ct)
    {
        var names = Professionals.Select(p => p.UserName).ToList();
        foreach (var row in await db.Professionals.Where(p => names.Contains(p.UserName)).ToListAsync(ct))
        {
            // A database seeded before federated sign-in gets the development provider's subjects.
            var subject = Professionals.Single(p => p.UserName == row.UserName).FederatedSubject;
            if (row.FederatedSubject != subject)
            {
                row.FederatedSubject = subject;
                row.Version++;
            }

            if (hasher.VerifyHashedPassword(row, row.PasswordHash, password) == PasswordVerificationResult.Failed || row.LockedUntil is not null)
            {
                row.PasswordHash = hasher.HashPassword(row, password);
                row.FailedSignIns = 0;
                row.LockedUntil = null;
                row.SecurityStamp = Guid.NewGuid();
                row.Version++;
            }
        }

        await db.SaveChangesAsync(ct);
    }

    private static async Task ResetSeededSecretsAsync(IdentityDbContext db, IPasswordHasher<SystemClientRow> hasher, string secret, CancellationToken ct)
    {
        var ids = Clients.Select(c => c.ClientId).ToList();
        foreach (var row in await db.SystemClients.Where(c => ids.Contains(c.ClientId)).ToListAsync(ct))
        {
            if (hasher.VerifyHashedPassword(row, row.SecretHash, secret) == PasswordVerificationResult.Failed)
            {
                row.SecretHash = hasher.HashPassword(row, secret);
                row.Version++;
            }

            // A client seeded before its organisation changed (platform-admin acted for RR8 until issue 17) moves with the seed.
            var ods = Clients.Single(c => c.ClientId == row.ClientId).Ods;
            if (row.OrganisationOds != ods)
            {
                row.OrganisationOds = ods;
                row.Version++;
            }
        }

        await db.SaveChangesAsync(ct);
    }

    private static OrganisationKind KindOf(string kind) => kind switch
    {
        "GP_PRACTICE" => OrganisationKind.GpPractice,
        "ACUTE_HOSPITAL" => OrganisationKind.AcuteHospital,
        "MENTAL_HEALTH_TRUST" => OrganisationKind.MentalHealthTrust,
        "COMMUNITY" => OrganisationKind.CommunityServices,
        "ADULT_SOCIAL_CARE" => OrganisationKind.AdultSocialCare,
        "CHILDRENS_SOCIAL_CARE" => OrganisationKind.ChildrensSocialCare,
        "SHARED_CARE_RECORD_OPERATOR" => OrganisationKind.SharedCareRecordOperator,
        _ => throw new InvalidOperationException("Unknown synthetic organisation kind " + kind),
    };

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static Guid StableGuid(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes("lcr-identity-seed:" + name)).AsSpan(0, 16));

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Identity seeded: {Organisations} organisations; professionals {UserNames}; system clients {ClientIds}; {Relationships} care relationships")]
    private static partial void LogSeeded(ILogger logger, int organisations, string userNames, string clientIds, int relationships);
}

/// <summary>One seeded professional.</summary>
public sealed record SeedProfessional(
    string UserName, string Title, string Given, string Family, string Role, string Ods, string[] Teams, RegulatoryBody? Body, string? Number,
    string? FederatedSubject = null);
