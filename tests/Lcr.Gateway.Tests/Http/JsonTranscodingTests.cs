using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Lcr.ServiceDefaults.DevData;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Gateway.Tests.Http.JsonHttp;
using Orgs = Lcr.ServiceDefaults.DevData.SyntheticOrganisations;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests.Http;

/// <summary>
/// JSON over HTTP/1.1 (gRPC JSON transcoding of the protos' google.api.http routes) through the
/// real gateway: the same token, checks, audit and error details as gRPC.
/// </summary>
[Collection(PlatformCollection.Name)]
public class JsonTranscodingTests(PlatformFixture platform)
{
    private HttpClient Http() => platform.Gateway.CreateHttpClient();

    private async Task<long> AuditCountAsync(string where, params (string, object)[] parameters) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where " + where, parameters))!;

    [Fact]
    public async Task A_gp_reads_the_example_patients_record_as_json_and_the_view_is_audited()
    {
        using var http = Http();
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessTokenAsync(http, "gp.b86001", nhs);

        var record = Ok(await GetAsync(http, $"/v1/patients/{nhs}/record", token));

        Assert.Equal(nhs, record.GetProperty("patient").GetProperty("nhsNumber").GetString());
        Assert.NotEmpty(record.GetProperty("activeProblems").EnumerateArray());
        Assert.Contains("RECORD_CATEGORY_TEST_RESULTS", record.GetProperty("returnedCategories").EnumerateArray().Select(c => c.GetString()));
        var auditEventId = Guid.Parse(record.GetProperty("auditEventId").GetString()!);
        Assert.Equal(1, await AuditCountAsync("event_id = @id and outcome = 1", ("id", auditEventId)));
    }

    [Fact]
    public async Task A_category_list_and_one_entry_are_read_with_query_and_path_parameters()
    {
        using var http = Http();
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessTokenAsync(http, "gp.b86001", nhs);

        var list = Ok(await GetAsync(http, $"/v1/patients/{nhs}/entries?category=RECORD_CATEGORY_MEDICATIONS&pageSize=2", token));
        var entries = list.GetProperty("entries").EnumerateArray().ToList();
        Assert.InRange(entries.Count, 1, 2);
        var id = entries[0].GetProperty("id").GetString()!;

        var one = Ok(await GetAsync(http, $"/v1/patients/{nhs}/entries/{id}", token));
        Assert.Equal(id, one.GetProperty("entry").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_call_without_a_token_is_401_with_the_status_as_json()
    {
        using var http = Http();
        var (status, body) = await GetAsync(http, $"/v1/patients/{Nhs(Scenario.ExamplePatient)}/record");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(16, Status(body).Code); // UNAUTHENTICATED
    }

    [Fact]
    public async Task A_bad_nhs_number_is_400_naming_the_field_without_echoing_it()
    {
        using var http = Http();
        var token = await AccessTokenAsync(http, "gp.b86001", Nhs(Scenario.ExamplePatient));
        var (status, body) = await GetAsync(http, "/v1/patients/1234567890/record", token);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(3, Status(body).Code); // INVALID_ARGUMENT
        Assert.Contains("nhs_number", ViolatedFields(body));
        Assert.DoesNotContain("1234567890", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_for_another_patient_is_403_with_the_same_reason_as_grpc()
    {
        using var http = Http();
        var token = await AccessTokenAsync(http, "gp.b86001", Nhs(Scenario.ExamplePatient));
        var (status, body) = await GetAsync(http, $"/v1/patients/{Nhs(Scenario.WithholdsMentalHealth)}/record", token);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var s = Status(body);
        Assert.Equal(7, s.Code); // PERMISSION_DENIED
        Assert.Equal("PATIENT_MISMATCH", s.Reason);
    }

    [Fact]
    public async Task An_opted_out_patient_is_403_with_reason_patient_opted_out()
    {
        using var http = Http();
        var nhs = Nhs(Scenario.OptedOut);
        var reply = await PostAsync(http, $"/v1/patients/{nhs}/accessTokens:issue", """{"purpose":"PURPOSE_OF_USE_DIRECT_CARE"}""",
            await SessionAsync(http, "gp.b86001"));
        var token = reply.Status == HttpStatusCode.OK ? reply.Body.GetProperty("accessToken").GetString() : null;
        var (status, body) = token is null ? reply : await GetAsync(http, $"/v1/patients/{nhs}/record", token);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("PATIENT_OPTED_OUT", Status(body).Reason);
    }

    [Theory]
    [InlineData("{\"userName\": \"ZQX-caller-text-9434765919\", \"password\": ")] // truncated
    [InlineData("{\"userName\": [\"ZQX-caller-text-9434765919\"]}")] // wrong type
    [InlineData("{\"ZQX-caller-text-9434765919\": 1}")] // unknown field
    [InlineData("not json at all ZQX-caller-text-9434765919")]
    public async Task A_malformed_json_body_is_400_invalid_argument_quoting_none_of_it(string json)
    {
        using var http = Http();
        var (status, body) = await PostAsync(http, "/v1/sessions:signIn", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(3, Status(body).Code);
        Assert.DoesNotContain("ZQX", body.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("9434765919", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_enum_name_is_400_quoting_none_of_it()
    {
        using var http = Http();
        var (status, body) = await PostAsync(http, $"/v1/patients/{Nhs(Scenario.ExamplePatient)}/accessTokens:issue",
            """{"purpose":"ZQX_NOT_A_PURPOSE"}""", await SessionAsync(http, "gp.b86001"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.DoesNotContain("ZQX", body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal((3, "MALFORMED_REQUEST"), (Status(body).Code, Status(body).Reason));
    }

    [Theory]
    [InlineData("category=ZQX_NOT_A_CATEGORY")]
    [InlineData("category=RECORD_CATEGORY_MEDICATIONS&pageSize=ZQX")]
    public async Task A_query_parameter_that_does_not_convert_is_400_quoting_none_of_it(string query)
    {
        using var http = Http();
        var nhs = Nhs(Scenario.ExamplePatient);
        var (status, body) = await GetAsync(http, $"/v1/patients/{nhs}/entries?{query}", await AccessTokenAsync(http, "gp.b86001", nhs));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal((3, "MALFORMED_REQUEST"), (Status(body).Code, Status(body).Reason));
        Assert.DoesNotContain("ZQX", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_feed_creates_a_patient_and_records_their_opt_out_as_json_and_bad_fields_are_named()
    {
        using var http = Http();
        var feed = await SystemTokenAsync(http, "b86003-gp-feed", "demographics.write", "consent.write", "consent.read");
        var nhs = AuthorizationMatrixTests.UnusedNhsNumber();
        var patient = AuthorizationMatrixTests.NewPatient(nhs);
        patient.RegisteredPractice = new Lcr.Common.V1.OrganisationReference { OdsCode = Orgs.KirkstallHealthCentre };

        var created = Ok(await PostAsync(http, "/v1/patients", JsonFormatter.Default.Format(patient), feed));
        Assert.Equal(nhs, created.GetProperty("patient").GetProperty("nhsNumber").GetString());

        // A write with a field missing: 400 naming it; nothing changed.
        var (status, body) = await PostAsync(http, $"/v1/patients/{nhs}/consent:recordOptOut", """{"reason":"Letter ref IG/7"}""", feed);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("channel", ViolatedFields(body));

        Ok(await PostAsync(http, $"/v1/patients/{nhs}/consent:recordOptOut",
            """{"channel":"CONSENT_CHANNEL_LETTER","reason":"Letter ref IG/7"}""", feed));
        var consent = Ok(await GetAsync(http, $"/v1/patients/{nhs}/consent", feed));
        Assert.True(consent.GetRawText().Contains("optedOut\":true", StringComparison.Ordinal) ||
            consent.GetRawText().Contains("OPTED_OUT", StringComparison.Ordinal), consent.GetRawText());
        Assert.Equal(1, await AuditCountAsync("nhs_number = @n and action = 10 and outcome = 1", ("n", nhs)));

        // Another organisation's feed: the same refusal as over gRPC.
        var other = await SystemTokenAsync(http, "b86002-gp-feed", "consent.write");
        var refused = await PostAsync(http, $"/v1/patients/{nhs}/consent:withdrawOptOut",
            """{"channel":"CONSENT_CHANNEL_LETTER","reason":"Letter ref IG/8"}""", other);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("ORGANISATION_NOT_LINKED", Status(refused.Body).Reason);
    }

    [Fact]
    public async Task The_server_streaming_subject_access_export_streams_json_messages_header_chunks_trailer()
    {
        using var http = Http();
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessTokenAsync(http, "ig.b86001", nhs, "PURPOSE_OF_USE_SUBJECT_ACCESS_REQUEST");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/patients/{nhs}:exportSubjectAccess")
        {
            Content = new StringContent("""{"organisationOdsCode":"B86001"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text[^Math.Min(600, text.Length)..]}");

        // One JSON message per stream message, in order.
        var parts = new List<JsonElement>();
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            parts.Add(JsonElement.ParseValue(ref reader));
        }

        Assert.True(parts[0].TryGetProperty("header", out _), parts[0].ToString());
        Assert.True(parts[^1].TryGetProperty("trailer", out _), parts[^1].ToString());
        var bundle = string.Concat(parts.Where(p => p.TryGetProperty("bundleChunk", out _))
            .Select(p => System.Text.Encoding.UTF8.GetString(p.GetProperty("bundleChunk").GetBytesFromBase64())));
        using var fhir = JsonDocument.Parse(bundle);
        Assert.Equal("Bundle", fhir.RootElement.GetProperty("resourceType").GetString());
    }

    [Fact]
    public async Task A_json_caller_over_its_rate_gets_429_with_retry_info_from_the_same_rate_limiter()
    {
        await using var strict = platform.CreateGateway(s => s.Configure<Lcr.Gateway.RateLimiting.RateLimitOptions>(o =>
        {
            o.PermitsPerSecond = 1;
            o.Burst = 2;
        }));
        using var http = strict.CreateHttpClient();
        var nhs = Nhs(Scenario.ExamplePatient);
        var token = await AccessAsync(platform.Gateway.Channel, "gp.b86001", nhs);
        var replies = new List<(HttpStatusCode Status, JsonElement Body)>();
        for (var i = 0; i < 5; i++)
        {
            replies.Add(await GetAsync(http, $"/v1/patients/{nhs}/record", token.AccessToken));
        }

        Assert.Equal(HttpStatusCode.OK, replies[0].Status);
        var limited = replies.First(r => r.Status == HttpStatusCode.TooManyRequests);
        Assert.Equal(8, Status(limited.Body).Code); // RESOURCE_EXHAUSTED
        Assert.Contains(limited.Body.GetProperty("details").EnumerateArray(),
            d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.RetryInfo");
    }

    [Fact]
    public async Task A_json_body_over_the_message_size_limit_is_refused_without_quoting_it()
    {
        using var http = Http();
        var huge = "ZQX" + new string('a', 17 * 1024 * 1024);
        var (status, body) = await PostAsync(http, "/v1/sessions:signIn", JsonSerializer.Serialize(new { userName = huge, password = "x" }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal((8, "REQUEST_TOO_LARGE"), (Status(body).Code, Status(body).Reason)); // RESOURCE_EXHAUSTED, as over gRPC
        Assert.DoesNotContain("ZQX", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_internal_only_method_has_no_http_route()
    {
        using var http = Http();
        var (status, _) = await SendAsync(http, HttpMethod.Post, "/v1/patients/" + Nhs(Scenario.ExamplePatient) + "/consent:evaluateAccess", json: "{}");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }
}
