using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using Microsoft.IdentityModel.Tokens;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>The kinds of caller the front door must tell apart.</summary>
public enum CallerKind
{
    NoToken,
    GarbageToken,
    TamperedAccessToken,
    TamperedSystemToken,
    SessionToken,
    AccessTokenForAnotherPatient,
    SystemWithoutScope,
    SystemFeedWithScopes,
    SystemAuditWithScopes,
    GpDirectCare,
    ClerkWrongRole,
    IgOfficer,
    BreakGlass,
}

/// <summary>
/// The authorisation matrix: every public gateway method x every kind of caller, with the
/// status the gateway must answer (docs/architecture.md, "Gateway"). One table; one theory walks it.
/// </summary>
[Collection(PlatformCollection.Name)]
public class AuthorizationMatrixTests(PlatformFixture platform)
{
    private const StatusCode OK = StatusCode.OK;
    private const StatusCode U = StatusCode.Unauthenticated;
    private const StatusCode PD = StatusCode.PermissionDenied;
    private const StatusCode NF = StatusCode.NotFound;

    /// <summary>Column order of <see cref="Table"/>.</summary>
    private static readonly CallerKind[] Columns =
    [
        CallerKind.NoToken, CallerKind.GarbageToken, CallerKind.TamperedAccessToken, CallerKind.TamperedSystemToken,
        CallerKind.SessionToken, CallerKind.AccessTokenForAnotherPatient, CallerKind.SystemWithoutScope,
        CallerKind.SystemFeedWithScopes, CallerKind.SystemAuditWithScopes, CallerKind.GpDirectCare, CallerKind.ClerkWrongRole,
        CallerKind.IgOfficer, CallerKind.BreakGlass,
    ];

    // Callers:                                    none garb tAcc tSys sess othr noSc feed audt gp   clerk ig  glass
    private static readonly (string Method, StatusCode[] Expected)[] Table =
    [
        ("GatewayService.GetPatientRecord",         [U,   U,   U,   U,   U,   PD,  U,   U,   U,   OK,  PD,  PD,  OK]),
        ("GatewayService.ListRecordEntries",        [U,   U,   U,   U,   U,   PD,  U,   U,   U,   OK,  PD,  PD,  OK]),
        // The clerk's role has no clinical category: an entry outside the role is indistinguishable from an absent one.
        ("GatewayService.GetRecordEntry",           [U,   U,   U,   U,   U,   PD,  U,   U,   U,   OK,  NF,  PD,  OK]),
        ("GatewayService.GetDocumentContent",       [U,   U,   U,   U,   U,   PD,  U,   U,   U,   OK,  NF,  PD,  OK]),
        ("GatewayService.GetAccessLog",             [U,   U,   U,   U,   U,   PD,  U,   U,   U,   PD,  PD,  OK,  PD]),
        ("ClinicalRecordService.UpsertEntries",     [U,   U,   U,   U,   U,   U,   PD,  OK,  PD,  U,   U,   U,   U]),
        // Reads of the clinical service are never exposed: consent and audit are enforced only by GatewayService.
        // A call without a token that verifies is UNAUTHENTICATED first, internal-only or not (the authentication middleware and every method's policy).
        ("ClinicalRecordService.GetRecordSummary",  [U,   U,   U,   U,   PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD]),
        ("ClinicalRecordService.GetEntry",          [U,   U,   U,   U,   PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD]),
        ("DemographicsService.CreatePatient",       [U,   U,   U,   U,   U,   U,   PD,  OK,  PD,  U,   U,   U,   U]),
        ("DemographicsService.SearchPatients",      [U,   U,   U,   U,   OK,  U,   U,   U,   U,   U,   U,   U,   U]),
        ("DemographicsService.GetPatient",          [U,   U,   U,   U,   PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD]),
        ("ConsentService.AddRestriction",           [U,   U,   U,   U,   U,   PD,  PD,  OK,  PD,  PD,  PD,  OK,  PD]),
        ("ConsentService.GetConsent",               [U,   U,   U,   U,   U,   PD,  PD,  OK,  PD,  PD,  PD,  OK,  PD]),
        ("ConsentService.EvaluateAccess",           [U,   U,   U,   U,   PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD]),
        ("ConsentService.SealRecordAutomatically",  [U,   U,   U,   U,   PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD]),
        ("AuditService.ListEventsByPatient",        [U,   U,   U,   U,   U,   PD,  PD,  PD,  OK,  PD,  PD,  OK,  PD]),
        ("AuditService.ListEventsByActor",          [U,   U,   U,   U,   U,   U,   PD,  PD,  OK,  U,   U,   U,   U]),
        ("AuditService.RecordEvents",               [U,   U,   U,   U,   PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD,  PD]),
        ("IdentityService.RecordCareRelationship",  [U,   U,   U,   U,   U,   U,   PD,  OK,  PD,  U,   U,   U,   U]),
    ];

    public static TheoryData<string, CallerKind, StatusCode> Rows()
    {
        var data = new TheoryData<string, CallerKind, StatusCode>();
        foreach (var (method, expected) in Table)
        {
            Assert.Equal(Columns.Length, expected.Length);
            for (var i = 0; i < Columns.Length; i++)
            {
                data.Add(method, Columns[i], expected[i]);
            }
        }

        return data;
    }

    /// <summary>The patient every row is about (registered at B86001, no consent restrictions, has a clinic letter).</summary>
    internal const int Patient = 21;

    /// <summary>Another patient registered at B86001.</summary>
    internal const int OtherPatient = 24;

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Each_method_answers_each_kind_of_caller_as_the_table_says(string method, CallerKind caller, StatusCode expected)
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var headers = tokens.Headers(caller);
        var status = await StatusOfAsync(() => Invoke(method, tokens, headers));
        Assert.True(expected == status.StatusCode,
            $"{method} as {caller}: expected {expected}, got {status.StatusCode} ({status.Detail})");
    }

    [Fact]
    public void The_table_covers_every_method_once_and_every_kind_of_caller()
    {
        Assert.Equal(Table.Length, Table.Select(r => r.Method).Distinct().Count());
        Assert.Equal(System.Enum.GetValues<CallerKind>().Order(), Columns.Order());
    }

    private static async Task<Status> StatusOfAsync(Func<Task> call)
    {
        try
        {
            await call();
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    private Task Invoke(string method, MatrixTokens t, Metadata headers)
    {
        var gw = platform.Gateway.Channel;
        var nhs = Nhs(Patient);
        var unique = Guid.NewGuid().ToString("N");
        return method switch
        {
            "GatewayService.GetPatientRecord" => RecordsClient(gw).GetPatientRecordAsync(
                new GetPatientRecordRequest { NhsNumber = nhs, Categories = { RecordCategory.Problems } }, headers).ResponseAsync,
            "GatewayService.ListRecordEntries" => RecordsClient(gw).ListRecordEntriesAsync(
                new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems }, headers).ResponseAsync,
            "GatewayService.GetRecordEntry" => RecordsClient(gw).GetRecordEntryAsync(
                new GetRecordEntryRequest { NhsNumber = nhs, EntryId = t.ProblemEntryId }, headers).ResponseAsync,
            "GatewayService.GetDocumentContent" => RecordsClient(gw).GetDocumentContentAsync(
                new Lcr.Gateway.V1.GetDocumentContentRequest { NhsNumber = nhs, EntryId = t.DocumentEntryId }, headers).ResponseAsync,
            "GatewayService.GetAccessLog" => RecordsClient(gw).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs }, headers).ResponseAsync,
            "ClinicalRecordService.UpsertEntries" => new ClinicalRecordService.ClinicalRecordServiceClient(gw).UpsertEntriesAsync(new UpsertEntriesRequest
            {
                SourceSystem = "SystmOne",
                Entries =
                {
                    new EntryContribution
                    {
                        Entry = new Entry
                        {
                            NhsNumber = nhs,
                            Category = RecordCategory.Problems,
                            Code = new CodedConcept { System = "http://snomed.info/sct", Code = "38341003", Display = "Hypertensive disorder" },
                            Provenance = new Provenance { SourceEntryId = "matrix-" + unique },
                            Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = 2023, Month = 3, Day = 2 } },
                        },
                    },
                },
            }, headers).ResponseAsync,
            "ClinicalRecordService.GetRecordSummary" => new ClinicalRecordService.ClinicalRecordServiceClient(gw).GetRecordSummaryAsync(
                new GetRecordSummaryRequest { NhsNumber = nhs }, headers).ResponseAsync,
            "ClinicalRecordService.GetEntry" => new ClinicalRecordService.ClinicalRecordServiceClient(gw).GetEntryAsync(
                new GetEntryRequest { NhsNumber = nhs, EntryId = t.ProblemEntryId }, headers).ResponseAsync,
            "DemographicsService.CreatePatient" => new DemographicsService.DemographicsServiceClient(gw).CreatePatientAsync(
                new CreatePatientRequest { Patient = NewPatient(UnusedNhsNumber()) }, headers).ResponseAsync,
            "DemographicsService.SearchPatients" => new DemographicsService.DemographicsServiceClient(gw).SearchPatientsAsync(new SearchPatientsRequest
            {
                Family = SyntheticCohort.Patients[Patient].Family,
                BirthDate = ToDate(SyntheticCohort.Patients[Patient].BirthDate),
            }, headers).ResponseAsync,
            "DemographicsService.GetPatient" => new DemographicsService.DemographicsServiceClient(gw).GetPatientAsync(
                new GetPatientRequest { NhsNumber = nhs }, headers).ResponseAsync,
            "ConsentService.AddRestriction" => new ConsentService.ConsentServiceClient(gw).AddRestrictionAsync(new AddRestrictionRequest
            {
                NhsNumber = nhs,
                RequestId = Guid.NewGuid().ToString(),
                // An entry id that exists nowhere: the change is real but affects no other row of the table.
                Restriction = new Restriction { WithheldEntryId = Guid.NewGuid().ToString(), Reason = "Patient asked by letter", Channel = ConsentChannel.Letter },
            }, headers).ResponseAsync,
            "ConsentService.GetConsent" => new ConsentService.ConsentServiceClient(gw).GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, headers).ResponseAsync,
            "ConsentService.EvaluateAccess" => new ConsentService.ConsentServiceClient(gw).EvaluateAccessAsync(new EvaluateAccessRequest
            {
                NhsNumber = nhs, ViewerProfessionalId = Guid.NewGuid().ToString(), ViewerOrganisationOdsCode = "RR8", ViewerRoleCode = "R8000",
                RequestedCategories = { RecordCategory.Problems },
            }, headers).ResponseAsync,
            "ConsentService.SealRecordAutomatically" => new ConsentService.ConsentServiceClient(gw).SealRecordAutomaticallyAsync(
                new SealRecordAutomaticallyRequest { NhsNumber = nhs, DistinctViewers = 60, ReviewTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(7)) },
                headers).ResponseAsync,
            "AuditService.ListEventsByPatient" => new AuditService.AuditServiceClient(gw).ListEventsByPatientAsync(
                new ListEventsByPatientRequest { NhsNumber = nhs }, headers).ResponseAsync,
            "AuditService.ListEventsByActor" => new AuditService.AuditServiceClient(gw).ListEventsByActorAsync(
                new ListEventsByActorRequest { ActorId = "b86001-gp-feed" }, headers).ResponseAsync,
            "AuditService.RecordEvents" => new AuditService.AuditServiceClient(gw).RecordEventsAsync(new RecordEventsRequest
            {
                Events =
                {
                    new AuditEvent
                    {
                        EventId = Guid.CreateVersion7().ToString(),
                        OccurrenceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                        Action = AuditAction.ViewSummary,
                        Outcome = AuditOutcome.Permitted,
                        NhsNumber = nhs,
                        PurposeOfUse = PurposeOfUse.DirectCare,
                        Actor = new Actor { Kind = ActorKind.Professional, Id = Guid.NewGuid().ToString(), Organisation = new OrganisationReference { OdsCode = "RR8" } },
                    },
                },
            }, headers).ResponseAsync,
            "IdentityService.RecordCareRelationship" => IdentityClient(gw).RecordCareRelationshipAsync(new RecordCareRelationshipRequest
            {
                CareRelationship = new CareRelationship
                {
                    NhsNumber = nhs,
                    Kind = CareRelationshipKind.RegisteredGp,
                    OrganisationOdsCode = SyntheticOrganisations.BeckettStreetSurgery,
                    StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-30)),
                    Source = new Provenance { SourceEntryId = "matrix-" + unique, SourceSystem = "SystmOne" },
                },
            }, headers).ResponseAsync,
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "not in the matrix"),
        };
    }

    internal static Lcr.Common.V1.Date ToDate(DateOnly d) => new() { Year = d.Year, Month = d.Month, Day = d.Day };

    internal static Patient NewPatient(string nhsNumber) => new()
    {
        NhsNumber = nhsNumber,
        Name = new HumanName { Prefix = "Ms", Given = { "Matrix" }, Family = "Testcase" },
        BirthDate = new Lcr.Common.V1.Date { Year = 1980, Month = 6, Day = 15 },
        Gender = AdministrativeGender.Female,
        Address = new Address { Lines = { "1 Test Street", "Leeds" }, Postcode = "LS9 7TF" },
        RegisteredPractice = new OrganisationReference { OdsCode = SyntheticOrganisations.BeckettStreetSurgery },
    };

    private static int _nextCandidate = 999_600_000 + (Random.Shared.Next(0, 30_000) * 10); // stays nine digits

    /// <summary>A valid NHS number in the 999 test range that no seeded patient has.</summary>
    internal static string UnusedNhsNumber()
    {
        while (true)
        {
            var nine = Interlocked.Increment(ref _nextCandidate).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                return nine + (char)('0' + check);
            }
        }
    }
}

/// <summary>Tokens of every kind of caller, obtained once per platform (through the gateway, as clients do).</summary>
internal sealed class MatrixTokens
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static (PlatformFixture Platform, MatrixTokens Tokens)? _cached;

    private readonly Dictionary<CallerKind, string?> _tokens = [];

    public string ProblemEntryId { get; private set; } = string.Empty;

    public string DocumentEntryId { get; private set; } = string.Empty;

    public Metadata Headers(CallerKind kind) => _tokens[kind] is { } token ? Bearer(token) : [];

    public static async Task<MatrixTokens> GetAsync(PlatformFixture platform)
    {
        await Gate.WaitAsync();
        try
        {
            if (_cached is { } c && ReferenceEquals(c.Platform, platform))
            {
                return c.Tokens;
            }

            var tokens = await CreateAsync(platform.Gateway.Channel);
            _cached = (platform, tokens);
            return tokens;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<MatrixTokens> CreateAsync(GrpcChannel gw)
    {
        var nhs = Nhs(AuthorizationMatrixTests.Patient);
        var t = new MatrixTokens();

        // The hospital's outpatient feed records an episode with the clerk's team, so the clerk gets a token at all.
        var ppm = await SystemAsync(gw, "rr8-ppm-feed", "relationships.write");
        await IdentityClient(gw).RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = nhs,
                Kind = CareRelationshipKind.OutpatientEpisode,
                TeamId = "RR8:CARDIOLOGY-OP",
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
                Source = new Provenance { SourceEntryId = "matrix-op-" + Guid.NewGuid().ToString("N"), SourceSystem = "PPM+" },
            },
        }, Bearer(ppm));

        var gp = (await AccessAsync(gw, "gp.b86001", nhs)).AccessToken;
        var other = (await AccessAsync(gw, "gp.b86001", Nhs(AuthorizationMatrixTests.OtherPatient))).AccessToken;
        var clerk = (await AccessAsync(gw, "clerk.rr8", nhs)).AccessToken;
        var ig = (await AccessAsync(gw, "ig.b86001", nhs, PurposeOfUse.InformationGovernance)).AccessToken;
        var edSession = await SessionAsync(gw, "ed.rr8");
        var glass = (await IdentityClient(gw).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhs, ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Collapsed in outpatients, authorisation matrix test",
        }, Bearer(edSession))).AccessToken;
        var noScope = await SystemAsync(gw, "rr8-ppm-feed", "relationships.read");

        t._tokens[CallerKind.NoToken] = null;
        t._tokens[CallerKind.GarbageToken] = "not-a-token";
        // The payload names another patient; the signature is the original one.
        t._tokens[CallerKind.TamperedAccessToken] = Tamper(gp, payload => payload.Replace(nhs, Nhs(Scenario.BlocksProfessional), StringComparison.Ordinal));
        // A feed's token with the scopes it lacks written in.
        t._tokens[CallerKind.TamperedSystemToken] = Tamper(noScope, payload => payload.Replace("relationships.read",
            "relationships.read record.contribute demographics.write consent.write consent.read audit.read audit.review relationships.write", StringComparison.Ordinal));
        t._tokens[CallerKind.SessionToken] = await SessionAsync(gw, "gp.b86001");
        t._tokens[CallerKind.AccessTokenForAnotherPatient] = other;
        t._tokens[CallerKind.SystemWithoutScope] = noScope;
        t._tokens[CallerKind.SystemFeedWithScopes] = await SystemAsync(gw, "b86001-gp-feed",
            "record.contribute", "demographics.write", "relationships.write", "relationships.read", "consent.write", "consent.read");
        t._tokens[CallerKind.SystemAuditWithScopes] = await SystemAsync(gw, "platform-admin", "relationships.read", "audit.read", "audit.review");
        t._tokens[CallerKind.GpDirectCare] = gp;
        t._tokens[CallerKind.ClerkWrongRole] = clerk;
        t._tokens[CallerKind.IgOfficer] = ig;
        t._tokens[CallerKind.BreakGlass] = glass;

        var records = RecordsClient(gw);
        t.ProblemEntryId = (await records.ListRecordEntriesAsync(new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems }, Bearer(gp)))
            .Entries.First().Id;
        t.DocumentEntryId = (await records.ListRecordEntriesAsync(new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Documents }, Bearer(gp)))
            .Entries.First().Id;
        return t;
    }

    internal static string Tamper(string jwt, Func<string, string> edit)
    {
        var parts = jwt.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var edited = edit(payload);
        Assert.NotEqual(payload, edited);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(edited)}.{parts[2]}";
    }
}
