using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.Application;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Audit.Seed;

/// <summary>
/// A small access history for the synthetic cohort that matches the other seeds' story:
/// the GP viewing the example patient, the blocked hospital clerk refused three times,
/// nobody (emergency included) seeing the opted-out patient, an emergency access in the
/// emergency department, a consent change and a contribution. Recorded through the same
/// use case as the gateway's calls; idempotent (fixed event ids).
/// </summary>
internal sealed class AuditSeeder(IServiceScopeFactory scopes, TimeProvider clock) : IDevelopmentSeeder
{
    private static readonly Actor Gp = Professional("seed-prof-gp-b86001", "Dr Priya Shah", SyntheticOrganisations.BeckettStreetSurgery, "R8000");
    private static readonly Actor Clerk = Professional(SyntheticOrganisations.Scenario.BlockedClerkProfessionalId, "Mr Tom Reed", SyntheticOrganisations.TeachingHospitals, "R8008");
    private static readonly Actor EdDoctor = Professional("seed-prof-ed-rr8", "Dr Sam Okoro", SyntheticOrganisations.TeachingHospitals, "R8000");
    private static readonly Actor IgOfficer = Professional("seed-prof-ig-lcr", "Ms Jo Fenwick", "LCR", "R8003");
    private static readonly Actor PdsFeed = new()
    {
        Kind = ActorKind.System,
        Id = "lcr01-pds-feed",
        DisplayName = "PDS demographics and supersession feed",
        Organisation = new OrganisationReference { OdsCode = SyntheticOrganisations.PlatformOperator },
    };

    private static readonly Actor GpSystem = new()
    {
        Kind = ActorKind.System,
        Id = "systmone-feed",
        DisplayName = "SystmOne (Beckett Street Surgery)",
        Organisation = new OrganisationReference { OdsCode = SyntheticOrganisations.BeckettStreetSurgery },
    };

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var patients = SyntheticCohort.Patients;
        var example = patients[SyntheticOrganisations.Scenario.ExamplePatient].NhsNumber;
        var optedOut = patients[SyntheticOrganisations.Scenario.OptedOut].NhsNumber;
        var withholds = patients[SyntheticOrganisations.Scenario.WithholdsMentalHealth].NhsNumber;
        var blocks = patients[SyntheticOrganisations.Scenario.BlocksProfessional].NhsNumber;
        var emergency = patients[7].NhsNumber;
        var mergedAway = patients[SyntheticOrganisations.Scenario.MergedAway].NhsNumber;
        var mergedInto = patients[SyntheticOrganisations.Scenario.MergedInto].NhsNumber;
        var at = Timestamp.FromDateTimeOffset(clock.GetUtcNow().AddMinutes(-1));
        var merge = new SupersessionDetail { SupersededNhsNumber = mergedAway, CurrentNhsNumber = mergedInto, NoticeId = "seed-merge-0001" };

        var events = new List<AuditEvent>
        {
            View("gp-views-example", Gp, example, at, "seed-rel-gp-example",
                [RecordCategory.Demographics, RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies]),
            Denied("clerk-rr8-blocked-1", Clerk, blocks, at, AuditDenialReason.ProfessionalBlocked),
            Denied("clerk-rr8-blocked-2", Clerk, blocks, at, AuditDenialReason.ProfessionalBlocked),
            Denied("clerk-rr8-blocked-3", Clerk, blocks, at, AuditDenialReason.ProfessionalBlocked),
            Denied("ed-opted-out", EdDoctor, optedOut, at, AuditDenialReason.PatientOptedOut),
            new()
            {
                EventId = SeedId("ed-emergency-token"), OccurrenceTime = at, Action = AuditAction.EmergencyAccess,
                Outcome = AuditOutcome.Permitted, Actor = EdDoctor, NhsNumber = emergency, PurposeOfUse = PurposeOfUse.EmergencyCare,
                EmergencyAccess = new EmergencyAccessDetail
                {
                    ReasonCode = EmergencyAccessReason.ClinicalEmergency,
                    ReasonText = "Unconscious on arrival in the emergency department; no history available.",
                },
            },
            new()
            {
                EventId = SeedId("ed-emergency-view"), OccurrenceTime = at, Action = AuditAction.ViewSummary,
                Outcome = AuditOutcome.Permitted, Actor = EdDoctor, NhsNumber = emergency, PurposeOfUse = PurposeOfUse.EmergencyCare,
                EmergencyAccess = new EmergencyAccessDetail
                {
                    ReasonCode = EmergencyAccessReason.ClinicalEmergency,
                    ReasonText = "Unconscious on arrival in the emergency department; no history available.",
                },
                ReturnedCategories = { RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.Problems },
            },
            new()
            {
                EventId = SeedId("ig-consent-change"), OccurrenceTime = at, Action = AuditAction.ConsentChange,
                Outcome = AuditOutcome.Permitted, Actor = IgOfficer, NhsNumber = withholds,
                PurposeOfUse = PurposeOfUse.InformationGovernance,
            },
            new()
            {
                EventId = SeedId("gp-feed-contribution"), OccurrenceTime = at, Action = AuditAction.Contribution,
                Outcome = AuditOutcome.Permitted, Actor = GpSystem, NhsNumber = example, PurposeOfUse = PurposeOfUse.RecordContribution,
            },

            // The merged pair: the emergency department viewed the temporary number before PDS
            // superseded it (one supersession event under each number); the kept number's log,
            // listed with the merged number, shows both.
            View("ed-views-merged-away", EdDoctor, mergedAway, at, "seed-rel-ed-merged-away", [RecordCategory.Demographics, RecordCategory.Allergies]),
            new()
            {
                EventId = SeedId("pds-supersession-away"), OccurrenceTime = at, Action = AuditAction.NhsNumberSuperseded,
                Outcome = AuditOutcome.Permitted, Actor = PdsFeed, NhsNumber = mergedAway, Supersession = merge,
            },
            new()
            {
                EventId = SeedId("pds-supersession-into"), OccurrenceTime = at, Action = AuditAction.NhsNumberSuperseded,
                Outcome = AuditOutcome.Permitted, Actor = PdsFeed, NhsNumber = mergedInto, Supersession = merge,
            },
        };

        await using var scope = scopes.CreateAsyncScope();
        var log = scope.ServiceProvider.GetRequiredService<AuditLog>();
        foreach (var e in events)
        {
            try
            {
                await log.RecordAsync(new RecordEventsRequest { Events = { e } }, cancellationToken);
            }
            catch (AlreadyExistsException)
            {
                // Seeded on an earlier run (at another time): keep the original.
            }
        }
    }

    private static AuditEvent View(string name, Actor actor, string nhs, Timestamp at, string relationship, RecordCategory[] categories) => new()
    {
        EventId = SeedId(name), OccurrenceTime = at, Action = AuditAction.ViewSummary, Outcome = AuditOutcome.Permitted,
        Actor = actor, NhsNumber = nhs, PurposeOfUse = PurposeOfUse.DirectCare, CareRelationshipId = relationship,
        ReturnedCategories = { categories },
    };

    private static AuditEvent Denied(string name, Actor actor, string nhs, Timestamp at, AuditDenialReason reason) => new()
    {
        EventId = SeedId(name), OccurrenceTime = at, Action = AuditAction.ViewSummary, Outcome = AuditOutcome.Denied,
        DenialReason = reason, Actor = actor, NhsNumber = nhs, PurposeOfUse = PurposeOfUse.DirectCare,
    };

    private static Actor Professional(string id, string name, string ods, string role) => new()
    {
        Kind = ActorKind.Professional,
        Id = id,
        DisplayName = name,
        Organisation = new OrganisationReference { OdsCode = ods },
        RoleCode = role,
    };

    /// <summary>A fixed UUID per seeded event (name-based, version 8), so a re-seed is a retry.</summary>
    private static string SeedId(string name)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("lcr-audit-seed|" + name)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString("D");
    }
}
