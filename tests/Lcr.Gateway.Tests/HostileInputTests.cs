using System.Text.Json;
using Google.Protobuf;
using Google.Rpc;
using Status = Grpc.Core.Status;
using Grpc.Core;
using Grpc.Health.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults.DevData;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Bad and hostile input at the front door: each gets INVALID_ARGUMENT naming the field (or the
/// documented code), nothing is written, nothing the caller sent is echoed back, malformed wire
/// bytes get a status and leave the gateway healthy, and an unknown patient or entry cannot be
/// told apart from one the caller may not see.
/// </summary>
[Collection(PlatformCollection.Name)]
public class HostileInputTests(PlatformFixture platform, Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Patient = AuthorizationMatrixTests.Patient;
    private const string SqlInjection = "'; DROP TABLE patients;--";
    private const string LogInjection = "\r\n{\"level\":\"Error\",\"message\":\"forged\"}";
    private const string RightToLeftOverride = "Hart\u202Egnp.exe";
    private const string ZeroWidthJoiner = "Ha\u200Drt\u200B";

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    public static TheoryData<string> BadNhsNumbers() => new()
    {
        BadCheckDigit(),
        "99900ABCDE",
        Nhs(Patient) + "1",              // 11 digits
        Nhs(Patient)[..9],               // 9 digits
        Nhs(Patient)[..3] + " " + Nhs(Patient)[3..6] + " " + Nhs(Patient)[6..], // spaced, as printed on letters
        "",
        SqlInjection,
        LogInjection,
        "\u0669\u0669\u0669" + Nhs(Patient)[3..],  // Arabic-Indic digits
        new string('9', 5000),
    };

    private static string BadCheckDigit()
    {
        var nhs = Nhs(Patient);
        return nhs[..9] + (char)('0' + ((nhs[9] - '0' + 1) % 10));
    }

    public static TheoryData<string> MethodsTakingAnNhsNumber() => new()
    {
        "GetPatientRecord", "ListRecordEntries", "GetRecordEntry", "GetDocumentContent", "GetAccessLog",
        "Consent.GetConsent", "Consent.AddRestriction", "Audit.ListEventsByPatient", "Identity.IssueAccessToken",
    };

    public static IEnumerable<object[]> NhsCases() =>
        from object[] m in MethodsTakingAnNhsNumber() from object[] n in BadNhsNumbers() select new[] { m[0], n[0] };

    [Theory]
    [MemberData(nameof(NhsCases))]
    public async Task An_invalid_nhs_number_is_invalid_argument_naming_the_field_and_is_not_echoed(string method, string nhs)
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var consentEventsBefore = await ConsentEventsAsync();
        var gp = tokens.Headers(CallerKind.GpDirectCare);
        var ig = tokens.Headers(CallerKind.IgOfficer);
        var entry = tokens.ProblemEntryId;
        Func<Task> call = method switch
        {
            "GetPatientRecord" => () => RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, gp).ResponseAsync,
            "ListRecordEntries" => () => RecordsClient(Gateway).ListRecordEntriesAsync(
                new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems }, gp).ResponseAsync,
            "GetRecordEntry" => () => RecordsClient(Gateway).GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = entry }, gp).ResponseAsync,
            "GetDocumentContent" => () => RecordsClient(Gateway).GetDocumentContentAsync(
                new Lcr.Gateway.V1.GetDocumentContentRequest { NhsNumber = nhs, EntryId = tokens.DocumentEntryId }, gp).ResponseAsync,
            "GetAccessLog" => () => RecordsClient(Gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs }, ig).ResponseAsync,
            "Consent.GetConsent" => () => new ConsentService.ConsentServiceClient(Gateway).GetConsentAsync(new GetConsentRequest { NhsNumber = nhs }, ig).ResponseAsync,
            "Consent.AddRestriction" => () => new ConsentService.ConsentServiceClient(Gateway).AddRestrictionAsync(new AddRestrictionRequest
            {
                NhsNumber = nhs, RequestId = Guid.NewGuid().ToString(),
                Restriction = new Restriction { WithheldCategory = RecordCategory.Documents, Reason = "Asked by letter", Channel = ConsentChannel.Letter },
            }, ig).ResponseAsync,
            "Audit.ListEventsByPatient" => () => new Lcr.Audit.V1.AuditService.AuditServiceClient(Gateway).ListEventsByPatientAsync(
                new Lcr.Audit.V1.ListEventsByPatientRequest { NhsNumber = nhs }, ig).ResponseAsync,
            "Identity.IssueAccessToken" => async () => await IdentityClient(Gateway).IssueAccessTokenAsync(
                new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare }, Bearer(await SessionAsync(Gateway, "gp.b86001"))),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };

        var e = await InvalidFields(call, "nhs_number");
        AssertNotEchoed(e, nhs);
        Assert.Equal(consentEventsBefore, await ConsentEventsAsync());
    }

    [Fact]
    public async Task Unknown_enum_values_are_invalid_argument_naming_the_field()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var gp = tokens.Headers(CallerKind.GpDirectCare);
        var nhs = Nhs(Patient);
        await InvalidFields(() => RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs, Categories = { RecordCategory.Problems, (RecordCategory)77 } }, gp).ResponseAsync, "categories[1]");
        await InvalidFields(() => RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs, Categories = { (RecordCategory)(-1) } }, gp).ResponseAsync, "categories[0]");
        await InvalidFields(() => RecordsClient(Gateway).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = (RecordCategory)77 }, gp).ResponseAsync, "category");
        await InvalidFields(() => RecordsClient(Gateway).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Unspecified }, gp).ResponseAsync, "category");
        await InvalidFields(() => RecordsClient(Gateway).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems, Statuses = { (EntryStatus)999 } }, gp).ResponseAsync, "statuses[0]");
        var session = Bearer(await SessionAsync(Gateway, "gp.b86001"));
        await InvalidFields(() => new DemographicsService.DemographicsServiceClient(Gateway).SearchPatientsAsync(new SearchPatientsRequest
        {
            Family = "Hart", BirthDate = new Date { Year = 1970, Month = 1, Day = 1 }, Gender = (AdministrativeGender)42,
        }, session).ResponseAsync, "gender");

        var before = await ConsentEventsAsync();
        await InvalidFields(() => new ConsentService.ConsentServiceClient(Gateway).AddRestrictionAsync(new AddRestrictionRequest
        {
            NhsNumber = nhs, RequestId = Guid.NewGuid().ToString(),
            Restriction = new Restriction { WithheldCategory = (RecordCategory)77, Reason = "Asked by letter", Channel = (ConsentChannel)77 },
        }, tokens.Headers(CallerKind.IgOfficer)).ResponseAsync, "restriction.withheld_category", "restriction.channel");
        Assert.Equal(before, await ConsentEventsAsync());
    }

    [Fact]
    public async Task Negative_page_sizes_and_malformed_page_tokens_are_invalid_argument_naming_the_field()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var gp = tokens.Headers(CallerKind.GpDirectCare);
        var ig = tokens.Headers(CallerKind.IgOfficer);
        var nhs = Nhs(Patient);
        var records = RecordsClient(Gateway);
        await InvalidFields(() => records.ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems, PageSize = -1 }, gp).ResponseAsync, "page_size");
        await InvalidFields(() => records.ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems, PageSize = int.MinValue }, gp).ResponseAsync, "page_size");
        await InvalidFields(() => records.GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs, PageSize = -5 }, ig).ResponseAsync, "page_size");
        var session = Bearer(await SessionAsync(Gateway, "gp.b86001"));
        var search = new SearchPatientsRequest { Family = "Hart", BirthDate = new Date { Year = 1970, Month = 1, Day = 1 } };
        var demographics = new DemographicsService.DemographicsServiceClient(Gateway);
        await InvalidFields(() => demographics.SearchPatientsAsync(new SearchPatientsRequest(search) { PageSize = -1 }, session).ResponseAsync, "page_size");

        // A page token of another query: the token of a Medications page used for Problems.
        var medications = await records.ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Medications, PageSize = 1 }, gp);
        string[] badTokens = ["not-a-page-token", "AAAA", "%%%", SqlInjection, LogInjection, new string('A', 20_000), RightToLeftOverride];
        foreach (var token in badTokens.Append(medications.NextPageToken).Where(t => t.Length > 0))
        {
            var e = await InvalidFields(() => records.ListRecordEntriesAsync(
                new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Problems, PageToken = token }, gp).ResponseAsync, "page_token");
            AssertNotEchoed(e, token);
            e = await InvalidFields(() => records.GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs, PageToken = token }, ig).ResponseAsync, "page_token");
            AssertNotEchoed(e, token);
            e = await InvalidFields(() => demographics.SearchPatientsAsync(new SearchPatientsRequest(search) { PageToken = token }, session).ResponseAsync, "page_token");
            AssertNotEchoed(e, token);
        }
    }

    [Fact]
    public async Task Oversized_strings_are_invalid_argument_naming_the_field_and_nothing_is_written()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var gp = tokens.Headers(CallerKind.GpDirectCare);
        var nhs = Nhs(Patient);
        var huge = new string('x', 1_000_000);
        await InvalidFields(() => RecordsClient(Gateway).GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = new string('a', 101) }, gp).ResponseAsync, "entry_id");
        await InvalidFields(() => RecordsClient(Gateway).GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = huge }, gp).ResponseAsync, "entry_id");
        await InvalidFields(() => RecordsClient(Gateway).GetDocumentContentAsync(
            new Lcr.Gateway.V1.GetDocumentContentRequest { NhsNumber = nhs, EntryId = huge }, gp).ResponseAsync, "entry_id");
        await InvalidFields(() => RecordsClient(Gateway).GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = "" }, gp).ResponseAsync, "entry_id");

        var session = Bearer(await SessionAsync(Gateway, "gp.b86001"));
        await InvalidFields(() => new DemographicsService.DemographicsServiceClient(Gateway).SearchPatientsAsync(
            new SearchPatientsRequest { Family = huge, BirthDate = new Date { Year = 1970, Month = 1, Day = 1 } }, session).ResponseAsync, "family");

        var consentBefore = await ConsentEventsAsync();
        var e = await InvalidFields(() => new ConsentService.ConsentServiceClient(Gateway).AddRestrictionAsync(new AddRestrictionRequest
        {
            NhsNumber = nhs, RequestId = Guid.NewGuid().ToString(),
            Restriction = new Restriction { WithheldEntryId = Guid.NewGuid().ToString(), Reason = huge, Channel = ConsentChannel.Letter },
        }, tokens.Headers(CallerKind.IgOfficer)).ResponseAsync, "restriction.reason");
        AssertNotEchoed(e, huge[..200]);
        Assert.Equal(consentBefore, await ConsentEventsAsync());

        var patientsBefore = await PatientsAsync();
        var feed = tokens.Headers(CallerKind.SystemFeedWithScopes);
        var patient = AuthorizationMatrixTests.NewPatient(AuthorizationMatrixTests.UnusedNhsNumber());
        patient.Name.Family = huge;
        patient.Address.Lines.Add(huge);
        var bad = await Fails(StatusCode.InvalidArgument, () => new DemographicsService.DemographicsServiceClient(Gateway).CreatePatientAsync(
            new CreatePatientRequest { Patient = patient }, feed).ResponseAsync);
        var fields = FieldsOf(bad);
        Assert.Contains("patient.name.family", fields);
        AssertNotEchoed(bad, patient.NhsNumber);
        Assert.Equal(patientsBefore, await PatientsAsync());
    }

    [Fact]
    public async Task Bad_contributions_and_audit_queries_from_systems_are_invalid_argument_and_nothing_is_written()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var feed = tokens.Headers(CallerKind.SystemFeedWithScopes);
        var nhs = Nhs(Patient);
        var clinical = new ClinicalRecordService.ClinicalRecordServiceClient(Gateway);
        var entriesBefore = await EntriesAsync();
        EntryContribution Problem(string nhsNumber, RecordCategory category = RecordCategory.Problems) => new()
        {
            Entry = new Entry
            {
                NhsNumber = nhsNumber,
                Category = category,
                Code = new CodedConcept { System = "http://snomed.info/sct", Code = "38341003", Display = "Hypertensive disorder" },
                Provenance = new Provenance { SourceEntryId = "hostile-" + Guid.NewGuid().ToString("N") },
                Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active },
            },
        };

        // An oversized batch: refused whole.
        await InvalidFields(() => clinical.UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceSystem = "SystmOne", Entries = { Enumerable.Range(0, 101).Select(_ => Problem(nhs)) },
        }, feed).ResponseAsync, "entries");

        // One bad entry among good ones: nothing of the batch is written, and the bad field is named.
        var bad = BadCheckDigit();
        var e = await Fails(StatusCode.InvalidArgument, () => clinical.UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceSystem = "SystmOne", Entries = { Problem(nhs), Problem(bad), Problem(nhs, (RecordCategory)77) },
        }, feed).ResponseAsync);
        var fields = FieldsOf(e);
        Assert.Contains(fields, f => f.StartsWith("entries[1]", StringComparison.Ordinal) && f.EndsWith("nhs_number", StringComparison.Ordinal));
        Assert.Contains(fields, f => f.StartsWith("entries[2]", StringComparison.Ordinal));
        Assert.DoesNotContain(fields, f => f.StartsWith("entries[0]", StringComparison.Ordinal));
        AssertNotEchoed(e, bad);
        Assert.Equal(entriesBefore, await EntriesAsync());

        var audit = new Lcr.Audit.V1.AuditService.AuditServiceClient(Gateway);
        var reviewer = tokens.Headers(CallerKind.SystemAuditWithScopes);
        await InvalidFields(() => audit.ListEventsByActorAsync(new Lcr.Audit.V1.ListEventsByActorRequest { ActorId = "b86001-gp-feed", PageSize = -1 }, reviewer).ResponseAsync, "page_size");
        foreach (var token in new[] { SqlInjection, LogInjection, "not-a-page-token" })
        {
            e = await InvalidFields(() => audit.ListEventsByActorAsync(
                new Lcr.Audit.V1.ListEventsByActorRequest { ActorId = "b86001-gp-feed", PageToken = token }, reviewer).ResponseAsync, "page_token");
            AssertNotEchoed(e, token);
            e = await InvalidFields(() => audit.ListEventsByPatientAsync(
                new Lcr.Audit.V1.ListEventsByPatientRequest { NhsNumber = nhs, PageToken = token }, reviewer).ResponseAsync, "page_token");
            AssertNotEchoed(e, token);
        }
    }

    public static TheoryData<string> HostileStrings() => new() { SqlInjection, LogInjection, RightToLeftOverride, ZeroWidthJoiner, "Ö'Brïen-\u0000" };

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public async Task Injection_and_unicode_strings_are_refused_or_harmless_never_internal_never_echoed_never_logged_raw(string text)
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var gp = tokens.Headers(CallerKind.GpDirectCare);
        var nhs = Nhs(Patient);
        var patientsBefore = await PatientsAsync();
        var consentBefore = await ConsentEventsAsync();

        // As an entry id: NOT_FOUND like any absent entry, or INVALID_ARGUMENT naming entry_id.
        var e = await Assert.ThrowsAsync<RpcException>(() => RecordsClient(Gateway).GetRecordEntryAsync(
            new GetRecordEntryRequest { NhsNumber = nhs, EntryId = text }, gp).ResponseAsync);
        Assert.True(e.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument, $"entry_id: {e.StatusCode} {e.Status.Detail}");
        if (e.StatusCode == StatusCode.InvalidArgument)
        {
            Assert.Equal(["entry_id"], FieldsOf(e));
        }

        AssertNotEchoed(e, text);

        // As a search term: a search that finds nobody, or INVALID_ARGUMENT naming the field.
        var session = Bearer(await SessionAsync(Gateway, "gp.b86001"));
        var demographics = new DemographicsService.DemographicsServiceClient(Gateway);
        foreach (var request in new[]
                 {
                     new SearchPatientsRequest { Family = text, BirthDate = new Date { Year = 1970, Month = 1, Day = 1 } },
                     new SearchPatientsRequest { Family = "Hart", GivenPrefix = text, BirthDate = new Date { Year = 1970, Month = 1, Day = 1 } },
                     new SearchPatientsRequest { Family = "Hart", Postcode = text, BirthDate = new Date { Year = 1970, Month = 1, Day = 1 } },
                 })
        {
            try
            {
                var found = await demographics.SearchPatientsAsync(request, session);
                Assert.Empty(found.Patients);
            }
            catch (RpcException r)
            {
                Assert.Equal(StatusCode.InvalidArgument, r.StatusCode);
                Assert.Single(FieldsOf(r), f => f is "family" or "given_prefix" or "postcode");
                AssertNotEchoed(r, text);
            }
        }

        // As a consent reason (free text the IG officer types): accepted as text, or refused naming the field
        // (control characters such as NUL are refused by every service's request guard).
        try
        {
            await new ConsentService.ConsentServiceClient(Gateway).AddRestrictionAsync(new AddRestrictionRequest
            {
                NhsNumber = nhs, RequestId = Guid.NewGuid().ToString(),
                Restriction = new Restriction { WithheldEntryId = Guid.NewGuid().ToString(), Reason = text, Channel = ConsentChannel.Letter },
            }, tokens.Headers(CallerKind.IgOfficer));
            Assert.Equal(consentBefore + 1, await ConsentEventsAsync());
        }
        catch (RpcException r)
        {
            Assert.Equal(StatusCode.InvalidArgument, r.StatusCode);
            Assert.Equal(["restriction.reason"], FieldsOf(r));
            Assert.Equal(consentBefore, await ConsentEventsAsync());
        }

        Assert.Equal(patientsBefore, await PatientsAsync());

        // Every line the gateway logged is one well-formed JSON object: nothing forged a line or a level.
        foreach (var line in platform.Gateway.Logs.Lines)
        {
            var trimmed = line.TrimEnd('\r', '\n');
            Assert.DoesNotContain('\n', trimmed);
            Assert.DoesNotContain('\r', trimmed);
            using var json = JsonDocument.Parse(trimmed);
            Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
            Assert.DoesNotContain("forged", trimmed, StringComparison.Ordinal);
        }
    }

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    private static readonly Method<byte[], byte[]> RawGetPatientRecord = new(MethodType.Unary, "lcr.gateway.v1.GatewayService", "GetPatientRecord", Raw, Raw);
    private static readonly Method<byte[], byte[]> RawSearchPatients = new(MethodType.Unary, "lcr.demographics.v1.DemographicsService", "SearchPatients", Raw, Raw);
    private static readonly Method<byte[], byte[]> RawListRecordEntries = new(MethodType.Unary, "lcr.gateway.v1.GatewayService", "ListRecordEntries", Raw, Raw);
    private static readonly Method<byte[], byte[]> RawGetRecordEntry = new(MethodType.Unary, "lcr.gateway.v1.GatewayService", "GetRecordEntry", Raw, Raw);
    private static readonly Method<byte[], byte[]> RawGetConsent = new(MethodType.Unary, "lcr.consent.v1.ConsentService", "GetConsent", Raw, Raw);
    private static readonly Method<byte[], byte[]> RawGetAccessLog = new(MethodType.Unary, "lcr.gateway.v1.GatewayService", "GetAccessLog", Raw, Raw);
    private static readonly Method<byte[], byte[]> RawListEventsByPatient = new(MethodType.Unary, "lcr.audit.v1.AuditService", "ListEventsByPatient", Raw, Raw);
    private static readonly Method<byte[], byte[]> RawListEventsByActor = new(MethodType.Unary, "lcr.audit.v1.AuditService", "ListEventsByActor", Raw, Raw);
    private static readonly Method<byte[], byte[]> RawListPrivacyReviewCases = new(MethodType.Unary, "lcr.audit.v1.AuditService", "ListPrivacyReviewCases", Raw, Raw);

    /// <summary>
    /// Inputs per method: 120 in <c>make test</c>; <c>make fuzz</c> sets LCR_FUZZ_ITERATIONS (and
    /// LCR_FUZZ_SEED, default fixed, so a failure can be replayed) for a longer run.
    /// </summary>
    private static int FuzzIterations =>
        int.TryParse(Environment.GetEnvironmentVariable("LCR_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 120;

    private static int FuzzSeed =>
        int.TryParse(Environment.GetEnvironmentVariable("LCR_FUZZ_SEED"), out var n) ? n : 20261124;

    [Fact]
    public async Task Random_and_mutated_wire_bytes_get_a_status_promptly_and_the_gateway_stays_healthy()
    {
        // Read-only methods only (RunPrivacyReview writes cases, RecordCareRelationship grants access: their
        // timestamps are covered by BadInputTests): a mutated message that happens to be valid is served like any
        // other, and a fuzzed write could change consent or lock out an account other tests use.
        var entryId = (await MatrixTokens.GetAsync(platform)).ProblemEntryId;
        var invoker = Gateway.CreateCallInvoker();
        var random = new Random(FuzzSeed);
        var tried = 0;
        var nhs = Nhs(Patient);
        var patient = SyntheticCohort.Patients[Patient];
        var unparsable = 0;
        // Fresh tokens, renewed while the run lasts (access tokens live 10 minutes; make fuzz runs longer).
        var gp = new RenewingToken(async () => (await AccessAsync(Gateway, "gp.b86001", nhs)).AccessToken);
        var session = new RenewingToken(() => SessionAsync(Gateway, "gp.b86001"));
        var ig = new RenewingToken(async () => (await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance)).AccessToken);
        var reviewer = new RenewingToken(() => SystemAsync(Gateway, "platform-admin", "audit.read", "audit.review"));
        // Periods with real bounds, so that mutations reach the Timestamps' seconds and nanos (issue 17: out-of-range ones were INTERNAL).
        var period = new Period
        {
            StartTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            EndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)),
        };
        var cases = new (Method<byte[], byte[]> Method, byte[] Valid, RenewingToken Token, MessageParser Parser)[]
        {
            (RawGetPatientRecord, new GetPatientRecordRequest { NhsNumber = nhs, Categories = { RecordCategory.Problems } }.ToByteArray(),
                gp, GetPatientRecordRequest.Parser),
            (RawSearchPatients, new SearchPatientsRequest { Family = patient.Family, BirthDate = AuthorizationMatrixTests.ToDate(patient.BirthDate) }.ToByteArray(),
                session, SearchPatientsRequest.Parser),
            (RawListRecordEntries, new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Medications, PageSize = 5, PageToken = "", ClinicalPeriod = period }.ToByteArray(),
                gp, ListRecordEntriesRequest.Parser),
            (RawGetRecordEntry, new GetRecordEntryRequest { NhsNumber = nhs, EntryId = entryId }.ToByteArray(), gp, GetRecordEntryRequest.Parser),
            (RawGetConsent, new GetConsentRequest { NhsNumber = nhs }.ToByteArray(), ig, GetConsentRequest.Parser),
            (RawGetAccessLog, new GetAccessLogRequest { NhsNumber = nhs, Period = period, PageSize = 5 }.ToByteArray(), ig, GetAccessLogRequest.Parser),
            (RawListEventsByPatient, new Lcr.Audit.V1.ListEventsByPatientRequest { NhsNumber = nhs, Period = period, PageSize = 5 }.ToByteArray(),
                reviewer, Lcr.Audit.V1.ListEventsByPatientRequest.Parser),
            (RawListEventsByActor, new Lcr.Audit.V1.ListEventsByActorRequest { ActorId = "gp.b86001", Period = period, PageSize = 5 }.ToByteArray(),
                reviewer, Lcr.Audit.V1.ListEventsByActorRequest.Parser),
            (RawListPrivacyReviewCases, new Lcr.Audit.V1.ListPrivacyReviewCasesRequest { CreatePeriod = period, PageSize = 5 }.ToByteArray(),
                reviewer, Lcr.Audit.V1.ListPrivacyReviewCasesRequest.Parser),
        };
        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (method, valid, token, parser) in cases)
        {
            var statuses = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var perMethod = 0;
            foreach (var bytes in Fuzz(valid, random, FuzzIterations))
            {
                tried++;
                perMethod++;
                var headers = await token.HeadersAsync();
                var status = await CallRawAsync(invoker, method, bytes, headers);
                var hex = Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 64)));
                var parses = Parses(parser, bytes);
                var key = $"{(parses ? "parsed" : "unparsable")} {status.StatusCode}";
                statuses[key] = statuses.GetValueOrDefault(key) + 1;
                Assert.True(status.StatusCode is not (StatusCode.DeadlineExceeded or StatusCode.Cancelled),
                    $"{method.Name}: no answer within the deadline for {hex}");
                Assert.DoesNotContain(nhs, status.Detail, StringComparison.Ordinal);
                if (parses)
                {
                    // A well-formed message, however odd: validated and answered like any other request.
                    Assert.True(status.StatusCode is not (StatusCode.Internal or StatusCode.Unknown or StatusCode.Unavailable),
                        $"{method.Name}: {status.StatusCode} ({status.Detail}) for {hex}");
                }
                else
                {
                    // Bytes that are not a message: INVALID_ARGUMENT from the guarded request marshaller
                    // (Lcr.ServiceDefaults.RequestParsing), never UNKNOWN.
                    unparsable++;
                    Assert.True(status.StatusCode == StatusCode.InvalidArgument, $"{method.Name}: {status.StatusCode} ({status.Detail}) for {hex}");
                }
            }

            // Over the configured maximum message size (16 MiB).
            var oversized = await CallRawAsync(invoker, method, new byte[16 * 1024 * 1024 + 16], await token.HeadersAsync());
            Assert.Equal(StatusCode.ResourceExhausted, oversized.StatusCode);
            output.WriteLine($"fuzz {method.ServiceName}/{method.Name}: {perMethod} inputs + 1 oversized (RESOURCE_EXHAUSTED); " +
                string.Join(", ", statuses.Select(x => $"{x.Key} {x.Value}")));
        }

        output.WriteLine($"fuzz: {tried} inputs over {cases.Length} methods, seed {FuzzSeed}, {started.Elapsed.TotalSeconds:F0} s");
        Assert.True(tried >= cases.Length * FuzzIterations);
        Assert.True(unparsable > 0 && unparsable < tried, "the run tried both well-formed and malformed messages");
        var health = new Health.HealthClient(Gateway);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "liveness" }, deadline: DateTime.UtcNow.AddSeconds(10))).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "" }, deadline: DateTime.UtcNow.AddSeconds(10))).Status);

        // And still answers a real caller.
        var record = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, await gp.HeadersAsync());
        Assert.Equal(nhs, record.Patient.NhsNumber);
    }

    /// <summary>A token issued on first use and again once it is five minutes old.</summary>
    private sealed class RenewingToken(Func<Task<string>> issue)
    {
        private string? _token;
        private DateTime _issued;

        public async Task<Metadata> HeadersAsync()
        {
            if (_token is null || DateTime.UtcNow - _issued > TimeSpan.FromMinutes(5))
            {
                _token = await issue();
                _issued = DateTime.UtcNow;
            }

            return Bearer(_token);
        }
    }

    private static bool Parses(MessageParser parser, byte[] bytes)
    {
        try
        {
            parser.ParseFrom(bytes);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    private static async Task<Status> CallRawAsync(CallInvoker invoker, Method<byte[], byte[]> method, byte[] body, Metadata headers)
    {
        try
        {
            await invoker.AsyncUnaryCall(method, null, new CallOptions(headers, DateTime.UtcNow.AddSeconds(10)), body);
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }

    /// <summary>Random bytes, truncations, bit flips, splices, and hand-made malformed protobuf.</summary>
    private static IEnumerable<byte[]> Fuzz(byte[] valid, Random random, int count)
    {
        yield return [];
        yield return [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];                    // field 1, length far beyond the message
        yield return [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]; // an over-long varint
        yield return [0x0A, 0x02, 0xC3, 0x28];                                // invalid UTF-8 in a string field
        yield return [0x0F];                                                  // wire type 7 (invalid)
        yield return [0x0B, 0x0A, 0x00];                                      // a start-group never ended
        yield return Enumerable.Repeat((byte)0x12, 4096).ToArray();           // nested length prefixes
        yield return [.. valid, .. valid];
        for (var i = 0; i < count; i++)
        {
            switch (i % 4)
            {
                case 0:
                    var noise = new byte[random.Next(1, 512)];
                    random.NextBytes(noise);
                    yield return noise;
                    break;
                case 1:
                    yield return valid[..random.Next(0, valid.Length)];
                    break;
                case 2:
                    var flipped = (byte[])valid.Clone();
                    for (var f = random.Next(1, 4); f > 0; f--)
                    {
                        flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    yield return flipped;
                    break;
                default:
                    var at = random.Next(valid.Length);
                    var junk = new byte[random.Next(1, 16)];
                    random.NextBytes(junk);
                    yield return [.. valid[..at], .. junk, .. valid[at..]];
                    break;
            }
        }
    }

    [Fact]
    public async Task A_random_entry_id_a_withheld_entry_and_another_patients_entry_are_the_same_not_found()
    {
        var nhs = Nhs(Scenario.WithholdsMentalHealth);
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        var withheld = (string)(await platform.Clinical.Database.ScalarAsync(
            "select id::text from entries where nhs_number = @n and source_organisation = @o limit 1",
            ("n", nhs), ("o", SyntheticOrganisations.MentalHealthTrust)))!;
        var othersEntry = (await MatrixTokens.GetAsync(platform)).ProblemEntryId;
        var records = RecordsClient(Gateway);

        async Task<RpcException> Read(string id) => await Fails(StatusCode.NotFound, async () => await records.GetRecordEntryAsync(
            new GetRecordEntryRequest { NhsNumber = nhs, EntryId = id }, Bearer(gp.AccessToken)));
        async Task<RpcException> Document(string id) => await Fails(StatusCode.NotFound, async () => await records.GetDocumentContentAsync(
            new Lcr.Gateway.V1.GetDocumentContentRequest { NhsNumber = nhs, EntryId = id }, Bearer(gp.AccessToken)));

        foreach (var read in new Func<string, Task<RpcException>>[] { Read, Document })
        {
            var absent = await read(Guid.NewGuid().ToString());
            foreach (var hidden in new[] { await read(withheld), await read(othersEntry) })
            {
                Assert.Equal(absent.Status.Detail, hidden.Status.Detail);
                Assert.Equal(Reason(absent), Reason(hidden));
                Assert.Equal(Describe(absent.GetRpcStatus()), Describe(hidden.GetRpcStatus()));
            }
        }
    }

    [Fact]
    public async Task An_unknown_patient_and_a_patient_the_caller_may_not_see_are_indistinguishable()
    {
        var unknown = AuthorizationMatrixTests.UnusedNhsNumber();
        var tokens = await MatrixTokens.GetAsync(platform);
        var records = RecordsClient(Gateway);

        // A token for one patient, pointed at a patient who does not exist and at real ones it may not see.
        foreach (var header in new[] { tokens.Headers(CallerKind.GpDirectCare), tokens.Headers(CallerKind.BreakGlass) })
        {
            var notThere = await Fails(StatusCode.PermissionDenied, async () => await records.GetPatientRecordAsync(
                new GetPatientRecordRequest { NhsNumber = unknown }, header));
            foreach (var real in new[] { Nhs(Scenario.OptedOut), Nhs(Scenario.BlocksProfessional), Nhs(AuthorizationMatrixTests.OtherPatient) })
            {
                var hidden = await Fails(StatusCode.PermissionDenied, async () => await records.GetPatientRecordAsync(
                    new GetPatientRecordRequest { NhsNumber = real }, header));
                Assert.Equal(notThere.Status.Detail, hidden.Status.Detail);
                Assert.Equal(Describe(notThere.GetRpcStatus()), Describe(hidden.GetRpcStatus()));
                AssertNotEchoed(hidden, real);
            }
        }

        // Asking identity for a token: no relationship with a real patient looks the same as a patient who does not exist.
        var session = Bearer(await SessionAsync(Gateway, "ed.rr8"));
        var none = await Fails(StatusCode.PermissionDenied, async () => await IdentityClient(Gateway).IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = unknown, Purpose = PurposeOfUse.DirectCare }, session));
        var noRelationship = await Fails(StatusCode.PermissionDenied, async () => await IdentityClient(Gateway).IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = Nhs(Scenario.ExamplePatient + 6), Purpose = PurposeOfUse.DirectCare }, session));
        Assert.Equal(none.Status.Detail, noRelationship.Status.Detail);
        Assert.Equal(Describe(none.GetRpcStatus()), Describe(noRelationship.GetRpcStatus()));
        AssertNotEchoed(none, unknown);

        // A system's consent read of an unknown patient looks like one of a real patient its
        // organisation (B86001) is not linked to: both ORGANISATION_NOT_LINKED, word for word.
        var feed = tokens.Headers(CallerKind.SystemFeedWithScopes);
        var consent = new ConsentService.ConsentServiceClient(Gateway);
        var unknownConsent = await Fails(StatusCode.PermissionDenied, async () => await consent.GetConsentAsync(new GetConsentRequest { NhsNumber = unknown }, feed));
        var unlinkedConsent = await Fails(StatusCode.PermissionDenied, async () => await consent.GetConsentAsync(new GetConsentRequest { NhsNumber = Nhs(31) }, feed));
        Assert.Equal("ORGANISATION_NOT_LINKED", Reason(unknownConsent));
        Assert.Equal(unknownConsent.Status.Detail, unlinkedConsent.Status.Detail);
        Assert.Equal(Describe(unknownConsent.GetRpcStatus()), Describe(unlinkedConsent.GetRpcStatus()));
        AssertNotEchoed(unknownConsent, unknown);
        Assert.NotNull(await consent.GetConsentAsync(new GetConsentRequest { NhsNumber = Nhs(30) }, feed)); // registered at B86001
    }

    /// <summary>The error details with anything naming a request (trace ids) removed, for comparison.</summary>
    private static string Describe(Google.Rpc.Status? status)
    {
        if (status is null)
        {
            return "<none>";
        }

        var info = status.GetDetail<ErrorInfo>();
        var bad = status.GetDetail<BadRequest>();
        return $"{status.Code}|{info?.Reason}|{info?.Domain}|{string.Join(',', info?.Metadata.Where(m => !m.Key.Contains("trace", StringComparison.OrdinalIgnoreCase)).Select(m => m.Key + "=" + m.Value) ?? [])}|{bad}";
    }

    private static string[] FieldsOf(RpcException e) =>
        e.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations.Select(f => f.Field).ToArray() ?? [];

    private static async Task<RpcException> InvalidFields(Func<Task> call, params string[] fields)
    {
        var e = await Fails(StatusCode.InvalidArgument, call);
        Assert.True(fields.Order().SequenceEqual(FieldsOf(e).Order()),
            $"expected fields [{string.Join(", ", fields)}], got [{string.Join(", ", FieldsOf(e))}] ({e.Status.Detail})");
        return e;
    }

    /// <summary>Neither the message nor any detail repeats what the caller sent (beyond a trivially short value).</summary>
    private static void AssertNotEchoed(RpcException e, string sent)
    {
        var probe = sent.Trim();
        if (probe.Length < 4)
        {
            return;
        }

        probe = probe.Length > 64 ? probe[..64] : probe;
        Assert.DoesNotContain(probe, e.Status.Detail, StringComparison.Ordinal);
        var status = e.GetRpcStatus();
        if (status is not null)
        {
            var info = status.GetDetail<ErrorInfo>();
            var bad = status.GetDetail<BadRequest>();
            var texts = (info?.Metadata.Values ?? Enumerable.Empty<string>())
                .Concat(bad?.FieldViolations.SelectMany(f => new[] { f.Field, f.Description }) ?? []);
            Assert.DoesNotContain(texts, t => t.Contains(probe, StringComparison.Ordinal));
        }
    }

    private async Task<long> ConsentEventsAsync() =>
        (long)(await platform.Consent.Database.ScalarAsync("select count(*) from consent_events"))!;

    private async Task<long> EntriesAsync() =>
        (long)(await platform.Clinical.Database.ScalarAsync("select count(*) from entries"))!;

    private async Task<long> PatientsAsync() =>
        (long)(await platform.Demographics.Database.ScalarAsync("select count(*) from patients"))!;
}
