using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using static Lcr.Gateway.Tests.Callers;
using Scopes = Lcr.Security.Scopes;

namespace Lcr.Gateway.Tests;

/// <summary>
/// The gateway gives audit what privacy review compares (the viewer's own NHS number, family
/// name and home address; the patient's family name and address) on every record view, so
/// the own-record, shared-family-name and shared-address rules fire on real traffic.
/// </summary>
[Collection(PlatformCollection.Name)]
public class ViewerContextTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    /// <summary>Patients no other test reads (their access logs are compared elsewhere).</summary>
    private const int FirstUnused = 150;

    /// <summary>A Beckett Street patient (so the practice's professionals have a relationship) with no consent story.</summary>
    private static readonly int OwnIndex = Enumerable.Range(FirstUnused, SyntheticCohort.Size - FirstUnused)
        .First(i => SyntheticCohort.Patients[i].PracticeOds == SyntheticOrganisations.BeckettStreetSurgery && !SyntheticCohort.Patients[i].Restricted);

    private static SyntheticPatient Own => SyntheticCohort.Patients[OwnIndex];

    /// <summary>Another Beckett Street patient sharing nothing with <see cref="Own"/>.</summary>
    private static SyntheticPatient Ordinary => SyntheticCohort.Patients
        .Where((p, i) => i >= FirstUnused && i != OwnIndex && p.PracticeOds == SyntheticOrganisations.BeckettStreetSurgery && !p.Restricted)
        .First(p => p.Family != Own.Family && p.Postcode != Own.Postcode);

    private static string NewNhsNumber()
    {
        while (true)
        {
            var nine = "9995" + Random.Shared.Next(0, 100_000).ToString("00000", System.Globalization.CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                return nine + (char)('0' + check);
            }
        }
    }

    /// <summary>A GP at Beckett Street who is themselves the patient <see cref="Own"/> (identity knows their NHS number).</summary>
    private async Task<(string UserName, string Id)> CreateProfessionalWhoIsAPatientAsync()
    {
        var admin = Bearer(await SystemAsync(Gateway, IdentitySeederClients.PlatformAdmin, Scopes.IdentityAdmin));
        var userName = "own." + Guid.NewGuid().ToString("N")[..10];
        var created = (await IdentityClient(Gateway).CreateProfessionalAsync(new CreateProfessionalRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            InitialPassword = PlatformFixture.Password,
            Professional = new Professional
            {
                UserName = userName, Title = "Dr", GivenName = Own.Given, FamilyName = Own.Family, PersonalNhsNumber = Own.NhsNumber,
            },
        }, admin)).Professional;
        await IdentityClient(Gateway).CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment
            {
                ProfessionalId = created.Id,
                Organisation = new OrganisationReference { OdsCode = SyntheticOrganisations.BeckettStreetSurgery },
                RoleCode = "R8000",
            },
        }, admin);
        return (userName, created.Id);
    }

    /// <summary>A new patient registered at Beckett Street, through the GP feed as a real registration arrives.</summary>
    private async Task<string> RegisterPatientAsync(string family, IEnumerable<string> lines, string postcode)
    {
        var feed = Bearer(await SystemAsync(Gateway, "b86001-gp-feed", Scopes.DemographicsWrite, Scopes.RelationshipsWrite));
        var nhs = NewNhsNumber();
        await new DemographicsService.DemographicsServiceClient(Gateway).CreatePatientAsync(new CreatePatientRequest
        {
            Patient = new Patient
            {
                NhsNumber = nhs,
                Name = new HumanName { Prefix = "Ms", Given = { "Ada" }, Family = family },
                BirthDate = new Date { Year = 1980, Month = 3, Day = 14 },
                Gender = AdministrativeGender.Female,
                Address = new Address { Lines = { lines }, Postcode = postcode },
                RegisteredPractice = new OrganisationReference { OdsCode = SyntheticOrganisations.BeckettStreetSurgery },
            },
        }, feed);
        await IdentityClient(Gateway).RecordCareRelationshipAsync(new RecordCareRelationshipRequest
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
        return nhs;
    }

    private async Task<string> ViewSummaryAsync(string userName, string nhs, params RecordCategory[] categories)
    {
        var token = await AccessAsync(Gateway, userName, nhs);
        return (await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs, Categories = { categories } },
            Bearer(token.AccessToken))).AuditEventId;
    }

    private async Task<(bool? SamePerson, bool? SameFamily, bool? SameAddress)> MatchOfAsync(string eventId)
    {
        async Task<bool?> Column(string name) => await platform.Audit.Database.ScalarAsync(
            $"select {name} from audit_events where event_id = @id", ("id", Guid.Parse(eventId))) as bool?;
        return (await Column("match_same_person"), await Column("match_same_family_name"), await Column("match_same_address"));
    }

    [Fact]
    public async Task Own_record_shared_family_name_and_shared_address_are_flagged_by_privacy_review_and_an_ordinary_view_is_not()
    {
        var (userName, professionalId) = await CreateProfessionalWhoIsAPatientAsync();
        var relative = await RegisterPatientAsync(Own.Family, ["3 Quarry Mount", "Leeds"], "LS6 2JA");
        var neighbour = await RegisterPatientAsync("Featherstonehaugh", Own.AddressLines, Own.Postcode);

        // Own record: a summary and a category list. A relative: one category. The neighbour:
        // demographics only. Someone unrelated: the summary.
        var ownSummary = await ViewSummaryAsync(userName, Own.NhsNumber);
        var ownToken = await AccessAsync(Gateway, userName, Own.NhsNumber);
        var ownList = (await RecordsClient(Gateway).ListRecordEntriesAsync(new ListRecordEntriesRequest
        {
            NhsNumber = Own.NhsNumber, Category = RecordCategory.Problems,
        }, Bearer(ownToken.AccessToken))).AuditEventId;
        var relativeToken = await AccessAsync(Gateway, userName, relative);
        var relativeList = (await RecordsClient(Gateway).ListRecordEntriesAsync(new ListRecordEntriesRequest
        {
            NhsNumber = relative, Category = RecordCategory.Medications,
        }, Bearer(relativeToken.AccessToken))).AuditEventId;
        var neighbourDemographics = await ViewSummaryAsync(userName, neighbour, RecordCategory.Demographics);
        var ordinary = await ViewSummaryAsync(userName, Ordinary.NhsNumber);

        // What the audit service recorded from the context (only these booleans, never the details).
        Assert.Equal((true, true, true), await MatchOfAsync(ownSummary));
        Assert.Equal((true, true, true), await MatchOfAsync(ownList));
        Assert.Equal((false, true, false), await MatchOfAsync(relativeList));
        Assert.Equal((false, false, true), await MatchOfAsync(neighbourDemographics));
        Assert.Equal((false, false, false), await MatchOfAsync(ordinary));

        var review = Bearer(await SystemAsync(Gateway, IdentitySeederClients.PlatformAdmin, Scopes.AuditReview));
        var now = DateTimeOffset.UtcNow;
        var cases = (await new AuditService.AuditServiceClient(Gateway).RunPrivacyReviewAsync(new RunPrivacyReviewRequest
        {
            Period = new Period { StartTime = Timestamp.FromDateTimeOffset(now.AddDays(-1)), EndTime = Timestamp.FromDateTimeOffset(now.AddMinutes(1)) },
            Rules = { PrivacyRule.OwnRecord, PrivacyRule.SharedFamilyName, PrivacyRule.SharedAddress },
            PageSize = 1000,
        }, review)).Cases.Where(c => c.Actor.Id == professionalId).ToList();

        var own = Assert.Single(cases, c => c.NhsNumber == Own.NhsNumber);
        Assert.Equal(PrivacyRule.OwnRecord, own.Rule);
        Assert.Equal(PrivacySeverity.High, own.Severity);
        Assert.Equal(2, own.EventCount);
        var family = Assert.Single(cases, c => c.NhsNumber == relative);
        Assert.Equal(PrivacyRule.SharedFamilyName, family.Rule);
        var address = Assert.Single(cases, c => c.NhsNumber == neighbour);
        Assert.Equal(PrivacyRule.SharedAddress, address.Rule);
        Assert.DoesNotContain(cases, c => c.NhsNumber == Ordinary.NhsNumber);
        Assert.Equal(3, cases.Count);

        // None of the compared details reaches a log line or a span of any host.
        var text = string.Join('\n', new[]
        {
            Join(platform.Gateway.Logs.Lines, platform.Gateway.Spans),
            Join(platform.Identity.Logs.Lines, platform.Identity.Spans),
            Join(platform.Demographics.Logs.Lines, platform.Demographics.Spans),
            Join(platform.Audit.Logs.Lines, platform.Audit.Spans),
        });
        Assert.Contains("GetPatientRecord", text, StringComparison.Ordinal); // the capture works
        foreach (var secret in new[] { Own.NhsNumber, Own.Family, Own.Postcode, Own.AddressLines[0], relative, neighbour, "Featherstonehaugh", "Quarry Mount" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_professional_without_a_known_nhs_number_is_still_compared_by_family_name()
    {
        // The seeded GP (Dr Priya Shah) has no personal NHS number: her token carries only her family name.
        var patient = SyntheticCohort.Patients.Skip(FirstUnused).Last(p => p.PracticeOds == SyntheticOrganisations.BeckettStreetSurgery && p.Family != "Shah");
        var id = await ViewSummaryAsync("gp.b86001", patient.NhsNumber);
        Assert.Equal((false, false, false), await MatchOfAsync(id));
    }

    private static string Join(IEnumerable<string> logs, List<Activity> spans) =>
        string.Join('\n', logs) + '\n' + string.Join('\n', Lcr.Testing.SpanText.Of(spans.ToArray()));
}

internal static class IdentitySeederClients
{
    public const string PlatformAdmin = "platform-admin";
}
