using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Fhir;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using static Lcr.Gateway.Tests.Callers;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Tests.Fhir;

/// <summary>One FHIR answer as received over HTTP: status, headers, the raw body and the parsed resource.</summary>
public sealed record FhirAnswer(HttpStatusCode Status, HttpResponseMessage Message, string Body, R4.Resource Resource)
{
    public R4.Bundle Bundle => Assert.IsType<R4.Bundle>(Resource);

    public R4.OperationOutcome Outcome => Assert.IsType<R4.OperationOutcome>(Resource);

    public string? AuditEventId => Message.Headers.TryGetValues(FhirApi.AuditEventHeader, out var v) ? v.Single() : null;

    /// <summary>Every audit event the answer names (<c>$everything</c> reads once per category it touches).</summary>
    public IReadOnlyList<Guid> AuditEventIds => AuditEventId is { } ids ? ids.Split(',').Select(Guid.Parse).ToList() : [];

    /// <summary>The resources of a Bundle that matched (not includes, not outcomes).</summary>
    public IReadOnlyList<R4.Resource> Matches => Bundle.Entry.Where(e => e.Search?.Mode == R4.Bundle.SearchEntryMode.Match).Select(e => e.Resource!).ToList();
}

/// <summary>The FHIR API as its clients reach it: raw HTTP through the gateway's in-memory server, or Firely's FhirClient.</summary>
internal static class FhirHttp
{
    /// <summary>The SDK's own strict JSON parser: a body it cannot read as R4 fails the test.</summary>
    private static readonly JsonSerializerOptions Json = new JsonSerializerOptions().ForFhir(R4.ModelInfo.ModelInspector);

    public static TestServer Server(GatewayHost gateway) => (TestServer)gateway.Services.GetRequiredService<IServer>();

    public static HttpClient Client(GatewayHost gateway, string? token)
    {
        var server = Server(gateway);
        var client = server.CreateClient();
        client.BaseAddress = new Uri(server.BaseAddress, "fhir/");
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        return client;
    }

    public static async Task<FhirAnswer> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("application/fhir+json", response.Content.Headers.ContentType?.ToString() ?? string.Empty);
        var resource = JsonSerializer.Deserialize<R4.Resource>(body, Json)!;
        return new FhirAnswer(response.StatusCode, response, body, resource);
    }

    public static FhirClient FhirClient(GatewayHost gateway, string token)
    {
        var server = Server(gateway);
        var handler = new BearerHandler(token) { InnerHandler = server.CreateHandler() };
        return new FhirClient(new Uri(server.BaseAddress, "fhir"),
            new FhirClientSettings { PreferredFormat = ResourceFormat.Json, VerifyFhirVersion = false }, handler);
    }

    private sealed class BearerHandler(string token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Every resource of an answer (a Bundle's entries too) valid against base R4, with a generated narrative on each domain resource.</summary>
    public static void AssertValid(FhirValidation validation, R4.Resource resource)
    {
        var all = resource is R4.Bundle b ? b.Entry.Select(e => e.Resource!).Prepend(resource).ToList() : [resource];
        var errors = all.SelectMany(validation.Errors).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        foreach (var r in all.OfType<R4.DomainResource>())
        {
            Assert.Equal(R4.Narrative.NarrativeStatus.Generated, r.Text?.Status);
            Assert.StartsWith("<div xmlns=\"http://www.w3.org/1999/xhtml\">", r.Text!.Div);
        }

        foreach (var r in all.Where(r => r is not R4.Bundle and not R4.OperationOutcome))
        {
            Assert.False(string.IsNullOrEmpty(r.Meta?.VersionId), $"{r.TypeName}/{r.Id} has no meta.versionId");
            Assert.NotNull(r.Meta!.LastUpdated);
        }
    }

    /// <summary>The platform entry id a resource carries.</summary>
    public static string? EntryId(R4.Resource r) => r switch
    {
        R4.Condition c => c.Identifier.FirstOrDefault(i => i.System == FhirSystems.EntryId)?.Value,
        R4.MedicationStatement m => m.Identifier.FirstOrDefault(i => i.System == FhirSystems.EntryId)?.Value,
        R4.AllergyIntolerance a => a.Identifier.FirstOrDefault(i => i.System == FhirSystems.EntryId)?.Value,
        R4.Observation o => o.Identifier.FirstOrDefault(i => i.System == FhirSystems.EntryId)?.Value,
        R4.DocumentReference d => d.Identifier.FirstOrDefault(i => i.System == FhirSystems.EntryId)?.Value,
        R4.Flag f => f.Identifier.FirstOrDefault(i => i.System == FhirSystems.EntryId)?.Value,
        _ => null,
    };

    /// <summary>
    /// Contributes one entry of every category (risks and alerts included) from the GP practice (B86001), the result in a
    /// report, and a problem from the hospital (RR8); returns the GP's entry id per category
    /// and the hospital's problem.
    /// </summary>
    public static async Task<(Dictionary<RecordCategory, string> Gp, string Hospital)> ContributeStoryAsync(Grpc.Net.Client.GrpcChannel gateway, string nhs)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var at = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 1, 10, 9, 0, 0, TimeSpan.Zero));
        Entry Of(RecordCategory category, string code, string display) => new()
        {
            NhsNumber = nhs,
            Category = category,
            Code = new CodedConcept { System = "http://snomed.info/sct", Code = code, Display = display },
            Provenance = new Provenance { SourceEntryId = $"fhir-{category}-{tag}" },
            Comment = "Reviewed <b>today</b> & \"noted\"",
        };
        var problem = Of(RecordCategory.Problems, "195967001", "Asthma");
        problem.Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = 2019, Month = 3, Day = 4 } };
        var medication = Of(RecordCategory.Medications, "39732311000001104", "Salbutamol 100micrograms/dose inhaler");
        medication.Medication = new Medication { Status = MedicationStatus.Active, DoseText = "2 puffs", FrequencyText = "when required", StartDate = new Date { Year = 2024, Month = 5, Day = 1 } };
        var allergy = Of(RecordCategory.Allergies, "91936005", "Penicillin allergy");
        allergy.Allergy = new Allergy { Type = AllergyType.Allergy, Criticality = AllergyCriticality.High, VerificationStatus = AllergyVerificationStatus.Confirmed };
        var result = Of(RecordCategory.TestResults, "1107481000000106", "HbA1c level");
        result.TestResult = new TestResult
        {
            Quantity = new Clinical.V1.Quantity { Value = 48, Unit = "mmol/mol" }, AbnormalFlag = AbnormalFlag.High, EffectiveTime = at,
            Status = ResultStatus.Final, ReportId = "fhir-report-" + tag,
            ReportCode = new CodedConcept { System = "http://snomed.info/sct", Code = "1014371000000102", Display = "Diabetes blood tests" },
        };
        var document = Of(RecordCategory.Documents, "371531000", "Report of clinical encounter");
        document.Document = new Document { Type = DocumentType.ClinicLetter, Title = "Asthma review", Author = "Dr P Shah, GP", AuthoredTime = at };

        var alert = Of(RecordCategory.RisksAndAlerts, "718446003", "Difficult airway");
        alert.Alert = new Alert { Kind = AlertKind.Clinical, Severity = AlertSeverity.High, Status = AlertStatus.Active, StartDate = new Date { Year = 2024, Month = 6, Day = 1 } };

        var gp = await ContributeAsync(gateway, "b86001-gp-feed", "SystmOne", problem, medication, allergy, result, document, alert);
        var hospitalProblem = Of(RecordCategory.Problems, "22298006", "Myocardial infarction");
        hospitalProblem.Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active };
        var hospital = await ContributeAsync(gateway, "rr8-ppm-feed", "PPM+", hospitalProblem);
        var categories = new[] { RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.TestResults, RecordCategory.Documents, RecordCategory.RisksAndAlerts };
        return (categories.Zip(gp.Results.Select(r => r.EntryId)).ToDictionary(x => x.First, x => x.Second), hospital.Results[0].EntryId);
    }

    public static readonly byte[] LetterContent = "Clinic letter: reviewed today, plan unchanged."u8.ToArray();

    private static async Task<UpsertEntriesResponse> ContributeAsync(Grpc.Net.Client.GrpcChannel gateway, string feed, string system, params Entry[] entries) =>
        await new ClinicalRecordService.ClinicalRecordServiceClient(gateway).UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceSystem = system,
            Entries =
            {
                entries.Select(e => new EntryContribution
                {
                    Entry = e,
                    DocumentContent = e.Category == RecordCategory.Documents
                        ? new DocumentContent { ContentType = "text/plain", Data = ByteString.CopyFrom(LetterContent) }
                        : null,
                }),
            },
        }, Bearer(await SystemAsync(gateway, feed, "record.contribute")));
}
