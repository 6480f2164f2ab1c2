using System.Net;
using Hl7.Fhir.Rest;
using Microsoft.Extensions.DependencyInjection;
using Lcr.Common.V1;
using Lcr.Gateway.Fhir;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Gateway.Tests.Fhir.FhirHttp;
using R4 = Hl7.Fhir.Model;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests.Fhir;

/// <summary>The FHIR R4 read API end to end through the in-memory gateway, raw HTTP and Firely's FhirClient; every answer validated.</summary>
[Collection(PlatformCollection.Name)]
public class FhirApiTests(PlatformFixture platform, FhirValidation validation) : IClassFixture<FhirValidation>
{
    /// <summary>Registered at B86001; no other test class contributes to it.</summary>
    private const int Patient = 171;

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private async Task<(HttpClient Http, string Token, string Nhs, string Id)> GpAsync(int patient = Patient)
    {
        var nhs = Nhs(patient);
        var token = (await AccessAsync(Gateway, "gp.b86001", nhs)).AccessToken;
        return (Client(platform.Gateway, token), token, nhs, FhirValues.PatientId(nhs));
    }

    private async Task<FhirAnswer> ValidAsync(HttpClient http, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var answer = await GetAsync(http, url);
        Assert.True(expected == answer.Status, $"{url}: {answer.Status} {answer.Body}");
        AssertValid(validation, answer.Resource);
        return answer;
    }

    [Fact]
    public async Task Metadata_says_exactly_what_is_served_and_needs_no_token()
    {
        var answer = await ValidAsync(Client(platform.Gateway, null), "metadata");
        var statement = Assert.IsType<R4.CapabilityStatement>(answer.Resource);
        var rest = Assert.Single(statement.Rest);
        Assert.Equal(["AllergyIntolerance", "Binary", "Condition", "DiagnosticReport", "DocumentReference", "Flag", "MedicationStatement", "Observation", "Patient"],
            rest.Resource.Select(r => r.Type).Order(StringComparer.Ordinal));
        Assert.Contains(rest.Resource.Single(r => r.Type == "Patient").Operation, o => o.Name == "everything");
        Assert.All(rest.Resource.SelectMany(r => r.Interaction), i =>
            Assert.True(i.Code is R4.CapabilityStatement.TypeRestfulInteraction.Read or R4.CapabilityStatement.TypeRestfulInteraction.SearchType));
        Assert.Equal(["application/fhir+json", "json"], statement.Format.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Patient_read_and_identifier_search_give_the_tokens_patient_audited()
    {
        var (http, _, nhs, id) = await GpAsync(Scenario.ExamplePatient);
        var read = await ValidAsync(http, $"Patient/{id}");
        var patient = Assert.IsType<R4.Patient>(read.Resource);
        Assert.Equal(nhs, patient.Identifier.Single(i => i.System == FhirSystems.NhsNumber).Value);
        Assert.NotEmpty(patient.Address);
        Assert.Contains(nhs, patient.Text!.Div);
        Assert.NotNull(read.AuditEventId);

        var search = await ValidAsync(http, $"Patient?identifier={Uri.EscapeDataString(FhirSystems.NhsNumber + "|" + nhs)}");
        Assert.Equal(1, search.Bundle.Total);
        Assert.Equal(id, Assert.Single(search.Matches).Id);
    }

    [Fact]
    public async Task Another_patients_nhs_number_finds_nobody_and_the_attempt_is_audited_as_refused()
    {
        var (http, _, _, _) = await GpAsync(Scenario.ExamplePatient);
        var other = Nhs(Patient);
        var before = (long)(await platform.Audit.Database.ScalarAsync(
            "select count(*) from audit_events where nhs_number = @n and outcome = 2 and denial_reason = 6", ("n", other)))!;
        var answer = await ValidAsync(http, $"Patient?identifier={Uri.EscapeDataString(FhirSystems.NhsNumber + "|" + other)}");
        Assert.Equal(0, answer.Bundle.Total);
        Assert.Empty(answer.Bundle.Entry);
        var after = (long)(await platform.Audit.Database.ScalarAsync(
            "select count(*) from audit_events where nhs_number = @n and outcome = 2 and denial_reason = 6", ("n", other)))!;
        Assert.Equal(before + 1, after);
    }

    [Fact]
    public async Task Searches_page_through_next_links_and_every_page_is_audited_with_exactly_its_entries()
    {
        var (http, token, nhs, id) = await GpAsync();
        var (gp, hospital) = await ContributeStoryAsync(Gateway, nhs);
        var seen = new List<string>();
        var url = $"Condition?patient={id}&_count=1";
        var pages = 0;
        while (url is not null)
        {
            var page = await ValidAsync(http, url);
            var ids = page.Matches.Select(EntryId).ToList();
            Assert.Single(ids);
            var audited = (string[])(await platform.Audit.Database.ScalarAsync(
                "select returned_entry_ids from audit_events where event_id = @id and outcome = 1", ("id", Guid.Parse(page.AuditEventId!))))!;
            Assert.Equal(ids.Order(), audited.Order());
            seen.AddRange(ids!);
            var next = page.Bundle.Link.SingleOrDefault(l => l.Relation == "next")?.Url;
            Assert.True(next is null || page.Bundle.Total is null, "a total is given only when the result is complete");
            url = next is null ? null! : next[next.IndexOf("Condition?", StringComparison.Ordinal)..];
            pages++;
        }

        Assert.True(pages >= 2);
        Assert.Contains(gp[RecordCategory.Problems], seen);
        Assert.Contains(hospital, seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());

        // The same through Firely's FhirClient, following Bundle.link next itself.
        var client = FhirClient(platform.Gateway, token);
        var bundle = await client.SearchAsync<R4.Condition>([$"patient={id}"], pageSize: 1);
        var viaClient = new List<string>();
        while (bundle is not null)
        {
            viaClient.AddRange(bundle.Entry.Where(e => e.Search?.Mode == R4.Bundle.SearchEntryMode.Match).Select(e => EntryId(e.Resource!)!));
            bundle = await client.ContinueAsync(bundle);
        }

        Assert.Equal(seen.Order(), viaClient.Order());
    }

    [Fact]
    public async Task Search_parameters_filter_by_status_category_and_date()
    {
        var (http, _, nhs, id) = await GpAsync();
        var (gp, _) = await ContributeStoryAsync(Gateway, nhs);
        var active = await ValidAsync(http, $"Condition?patient={id}&clinical-status=active&category=problem-list-item");
        Assert.Contains(gp[RecordCategory.Problems], active.Matches.Select(EntryId));
        var inactive = await ValidAsync(http, $"Condition?patient={id}&clinical-status=inactive");
        Assert.DoesNotContain(gp[RecordCategory.Problems], inactive.Matches.Select(EntryId));

        var inJanuary = await ValidAsync(http, $"Observation?patient=Patient/{id}&category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory&date=ge2025-01-10&date=lt2025-01-11");
        Assert.Contains(gp[RecordCategory.TestResults], inJanuary.Matches.Select(EntryId));
        var later = await ValidAsync(http, $"Observation?subject={id}&date=gt2025-01");
        Assert.DoesNotContain(gp[RecordCategory.TestResults], later.Matches.Select(EntryId));

        var reports = await ValidAsync(http, $"DiagnosticReport?patient={id}");
        var report = Assert.Single(reports.Matches.OfType<R4.DiagnosticReport>(), r => r.Result.Any(x => x.Reference == "Observation/" + gp[RecordCategory.TestResults]));
        Assert.Contains(reports.Bundle.Entry, e => e.Search?.Mode == R4.Bundle.SearchEntryMode.Include && EntryId(e.Resource!) == gp[RecordCategory.TestResults]);
        Assert.Equal("Diabetes blood tests", report.Code.Text);
    }

    [Fact]
    public async Task A_document_is_listed_with_a_binary_link_and_its_content_is_read_audited()
    {
        var (http, token, nhs, id) = await GpAsync();
        var (gp, _) = await ContributeStoryAsync(Gateway, nhs);
        var documents = await ValidAsync(http, $"DocumentReference?patient={id}");
        var doc = documents.Matches.OfType<R4.DocumentReference>().Single(d => EntryId(d) == gp[RecordCategory.Documents]);
        var url = doc.Content[0].Attachment.Url;
        Assert.EndsWith("/fhir/Binary/" + gp[RecordCategory.Documents], url);

        var binary = await ValidAsync(http, $"Binary/{gp[RecordCategory.Documents]}");
        Assert.Equal(LetterContent, Assert.IsType<R4.Binary>(binary.Resource).Data);
        var audited = (string[])(await platform.Audit.Database.ScalarAsync(
            "select returned_entry_ids from audit_events where event_id = @id and outcome = 1", ("id", Guid.Parse(binary.AuditEventId!))))!;
        Assert.Equal([gp[RecordCategory.Documents]], audited);

        var viaClient = await FhirClient(platform.Gateway, token).ReadAsync<R4.Binary>(url!);
        Assert.Equal(LetterContent, viaClient!.Data);
    }

    [Fact]
    public async Task Everything_returns_the_whole_visible_record_with_narratives_audited_exactly()
    {
        var (http, token, nhs, id) = await GpAsync();
        var (gp, _) = await ContributeStoryAsync(Gateway, nhs);
        var everything = await ValidAsync(http, $"Patient/{id}/$everything");
        var resources = everything.Matches;
        Assert.IsType<R4.Patient>(resources[0]);
        Assert.Equal(resources.Count(r => r is not R4.DiagnosticReport), everything.Bundle.Total);
        Assert.DoesNotContain(everything.Bundle.Link, l => l.Relation == "next");
        var entryIds = resources.Select(EntryId).OfType<string>().ToList();
        foreach (var category in gp.Keys)
        {
            Assert.Contains(gp[category], entryIds); // every category the GP may see, not only the summary's
        }

        // One audit event for the Patient, one per category read; together exactly what was returned.
        Assert.True(everything.AuditEventIds.Count >= 2);
        Assert.Equal(entryIds.Order(), (await AuditedEntryIdsAsync(everything.AuditEventIds)).Order());

        // Caller-contributed text is escaped in the narrative, never markup.
        var condition = resources.OfType<R4.Condition>().Single(c => EntryId(c) == gp[RecordCategory.Problems]);
        Assert.Contains("Reviewed &lt;b&gt;today&lt;/b&gt; &amp; &quot;noted&quot;", condition.Text!.Div);

        var viaClient = Assert.IsType<R4.Bundle>(await FhirClient(platform.Gateway, token)
            .InstanceOperationAsync(new Uri($"Patient/{id}", UriKind.Relative), "everything", useGet: true));
        Assert.Equal(everything.Bundle.Total, viaClient.Total);
    }

    [Fact]
    public async Task Everything_pages_through_next_links_each_page_audited_and_a_forged_page_token_is_refused()
    {
        var (http, _, nhs, id) = await GpAsync();
        await ContributeStoryAsync(Gateway, nhs);
        var whole = (await ValidAsync(http, $"Patient/{id}/$everything")).Matches.Select(EntryId).OfType<string>().Order().ToList();

        var seen = new List<string>();
        var url = $"Patient/{id}/$everything?_count=2";
        var pages = 0;
        while (url is not null)
        {
            var page = await ValidAsync(http, url);
            var ids = page.Matches.Select(EntryId).OfType<string>().ToList();
            Assert.True(ids.Count <= 2);
            Assert.Equal(ids.Order(), (await AuditedEntryIdsAsync(page.AuditEventIds)).Order());
            seen.AddRange(ids);
            pages++;
            var next = page.Bundle.Link.FirstOrDefault(l => l.Relation == "next")?.Url;
            if (next is not null)
            {
                Assert.Null(page.Bundle.Total); // never a total for part of the record
            }

            url = next is null ? null : next[(next.IndexOf("/fhir/", StringComparison.Ordinal) + "/fhir/".Length)..];
        }

        Assert.True(pages > 1);
        Assert.Equal(whole, seen.Order().ToList());

        foreach (var forged in new[] { "not-a-token", "ZTF8OTl8", Convert.ToBase64String("e1|-1|x"u8.ToArray()) })
        {
            var refused = await ValidAsync(http, $"Patient/{id}/$everything?_page_token={Uri.EscapeDataString(forged)}", HttpStatusCode.BadRequest);
            Assert.DoesNotContain(forged, refused.Body, StringComparison.Ordinal);
            Assert.Contains("_page_token", refused.Body, StringComparison.Ordinal);
        }

        var badCount = await ValidAsync(http, $"Patient/{id}/$everything?_count=0", HttpStatusCode.BadRequest);
        Assert.Contains("_count", badCount.Body, StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<string>> AuditedEntryIdsAsync(IReadOnlyList<Guid> eventIds)
    {
        var audited = new List<string>();
        foreach (var eventId in eventIds)
        {
            audited.AddRange((string[])(await platform.Audit.Database.ScalarAsync(
                "select returned_entry_ids from audit_events where event_id = @id and outcome = 1", ("id", eventId)))!);
        }

        return audited;
    }

    [Fact]
    public async Task Without_a_valid_token_the_answer_is_401_with_a_challenge()
    {
        var (_, token, _, id) = await GpAsync(Scenario.ExamplePatient);
        foreach (var bearer in new string?[] { null, "not-a-token", token[..^4] + "AAAA" })
        {
            var answer = await ValidAsync(Client(platform.Gateway, bearer), $"Patient/{id}", HttpStatusCode.Unauthorized);
            Assert.Equal(R4.OperationOutcome.IssueType.Login, answer.Outcome.Issue[0].Code);
            Assert.StartsWith("Bearer", answer.Message.Headers.WwwAuthenticate.ToString());
        }
    }

    [Theory]
    [InlineData("Condition?patient={id}&_has:Observation:patient:code=1234", "_has")]
    [InlineData("Condition?patient={id}&_include=Condition:subject", "_include")]
    [InlineData("Condition?patient={id}&_revinclude=Provenance:target", "_revinclude")]
    [InlineData("Condition?subject.name=Smith", "subject")]
    [InlineData("Condition?code=195967001", "code")]
    [InlineData("Observation?code=secret-value-123", "code")]
    [InlineData("Condition?patient={id}&clinical-status=secret-value-123", "clinical-status")]
    [InlineData("Condition?patient={id}&date=secret-value-123", "date")]
    [InlineData("Condition?patient={id}&_count=1000", "_count")]
    [InlineData("Condition?patient={id}&_format=xml", "_format")]
    [InlineData("DocumentReference?date=2024", "patient")]
    [InlineData("Patient?name=secret-value-123", "name")]
    [InlineData("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|1234567890", "identifier")]
    public async Task Unsupported_or_bad_parameters_are_400_naming_the_parameter_never_its_value(string query, string parameter)
    {
        var (http, _, _, id) = await GpAsync(Scenario.ExamplePatient);
        var answer = await ValidAsync(http, query.Replace("{id}", id, StringComparison.Ordinal), HttpStatusCode.BadRequest);
        Assert.Contains(answer.Outcome.Issue, i => i.Expression.Contains(parameter));
        Assert.DoesNotContain("secret-value-123", answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Smith", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Xml_is_refused_clearly()
    {
        var (http, _, _, id) = await GpAsync(Scenario.ExamplePatient);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"Patient/{id}");
        request.Headers.Accept.Clear();
        request.Headers.Accept.ParseAdd("application/fhir+xml");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.StartsWith("application/fhir+json", response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Unknown_ids_and_unserved_paths_are_the_same_404_and_writes_are_405()
    {
        var (http, _, _, id) = await GpAsync(Scenario.ExamplePatient);
        var bodies = new List<string>();
        foreach (var url in new[] { $"Patient/{Guid.NewGuid()}", $"Patient/{Guid.NewGuid()}/$everything", $"Binary/{Guid.NewGuid()}", "Binary/not-a-uuid", $"Condition/{Guid.NewGuid()}", "Practitioner" })
        {
            var answer = await ValidAsync(http, url, HttpStatusCode.NotFound);
            bodies.Add(answer.Body);
        }

        Assert.Single(bodies.Distinct());
        var post = await http.PostAsync($"Patient/{id}", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Fact]
    public async Task FhirClient_reads_the_patient_and_sees_errors_as_operation_outcomes()
    {
        var (_, token, nhs, id) = await GpAsync(Scenario.ExamplePatient);
        var client = FhirClient(platform.Gateway, token);
        var patient = await client.ReadAsync<R4.Patient>($"Patient/{id}");
        Assert.Equal(nhs, patient!.Identifier[0].Value);
        var found = await client.SearchAsync<R4.Patient>([$"identifier={FhirSystems.NhsNumber}|{nhs}"]);
        Assert.Equal(1, found!.Total);

        var e = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<R4.Patient>($"Patient/{Guid.NewGuid()}"));
        Assert.Equal(HttpStatusCode.NotFound, e.Status);
        Assert.Equal(R4.OperationOutcome.IssueType.NotFound, Assert.IsType<R4.OperationOutcome>(e.Outcome).Issue[0].Code);
        var capabilities = await client.CapabilityStatementAsync();
        Assert.Equal(R4.FHIRVersion.N4_0_1, capabilities!.FhirVersion);
    }

    [Fact]
    public async Task A_caller_over_its_rate_gets_429_as_on_grpc()
    {
        await using var strict = platform.CreateGateway(s => s.Configure<Lcr.Gateway.RateLimiting.RateLimitOptions>(o =>
        {
            o.PermitsPerSecond = 1;
            o.Burst = 2;
        }));
        var (_, token, _, id) = await GpAsync(Scenario.ExamplePatient);
        var http = Client(strict, token);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            var answer = await GetAsync(http, $"Patient/{id}");
            AssertValid(validation, answer.Resource);
            statuses.Add(answer.Status);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    [Fact]
    public async Task No_patient_data_reaches_logs_or_spans_from_fhir_requests()
    {
        var (http, _, nhs, id) = await GpAsync(Scenario.ExamplePatient);
        await ValidAsync(http, $"Patient?identifier={Uri.EscapeDataString(FhirSystems.NhsNumber + "|" + nhs)}");
        await ValidAsync(http, $"Patient/{id}/$everything");
        await ValidAsync(http, $"Condition?patient={id}&code={nhs}", HttpStatusCode.BadRequest);
        var telemetry = platform.Telemetry().Select(t => (t.Source, Lines: t.Lines.ToList())).ToList();
        Assert.Contains(telemetry.Single(t => t.Source == "gateway spans").Lines, l => l.Contains("/fhir", StringComparison.Ordinal)); // FHIR requests are traced
        foreach (var (source, lines) in telemetry)
        {
            PatientDataScan.AssertNone(source, lines);
        }
    }
}
