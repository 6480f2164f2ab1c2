using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Platform.Tests;

/// <summary>
/// JSON over HTTP/1.1 on the real gateway process's HTTP endpoint (Kestrel endpoint Http), with a
/// plain HttpClient: what an integrator without gRPC does.
/// </summary>
[Collection(nameof(HttpJsonTests))]
public sealed class HttpJsonTests
{
    private static readonly string Example = SyntheticCohort.Patients[0].NhsNumber;

    private static async Task<(HttpStatusCode Status, Version Version, JsonElement Body)> SendAsync(HttpClient http, HttpMethod method,
        string path, string? token = null, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Version, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>
    /// As <see cref="PlatformClient.WarmAsync{T}"/>: a freshly started platform's first calls pay JIT and
    /// connection set-up and may exceed the gateway's downstream deadline (503/504); retried a few times.
    /// </summary>
    private static async Task<(HttpStatusCode Status, Version Version, JsonElement Body)> WarmAsync(HttpClient http, HttpMethod method,
        string path, string? token = null, object? body = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var reply = await SendAsync(http, method, path, token, body);
            if (attempt >= 6 || reply.Status is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
            {
                return reply;
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    [Fact]
    public async Task A_GP_signs_in_gets_a_token_and_reads_the_example_record_as_json_over_http_1_1()
    {
        await using var platform = await RealPlatform.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(platform.GatewayHttpAddress), Timeout = TimeSpan.FromSeconds(30) };

        var signIn = await WarmAsync(http, HttpMethod.Post, "/v1/sessions:signIn", body: new { userName = "gp.b86001", password = platform.SeedPassword });
        Assert.Equal(HttpStatusCode.OK, signIn.Status);
        Assert.Equal(HttpVersion.Version11, signIn.Version);
        var session = signIn.Body.GetProperty("sessionToken").GetString();

        var issued = await WarmAsync(http, HttpMethod.Post, $"/v1/patients/{Example}/accessTokens:issue", session,
            new { purpose = "PURPOSE_OF_USE_DIRECT_CARE" });
        Assert.Equal(HttpStatusCode.OK, issued.Status);
        var token = issued.Body.GetProperty("accessToken").GetString();

        var record = await WarmAsync(http, HttpMethod.Get, $"/v1/patients/{Example}/record", token);
        Assert.True(record.Status == HttpStatusCode.OK, record.Body.ToString());
        Assert.Equal(Example, record.Body.GetProperty("patient").GetProperty("nhsNumber").GetString());
        Assert.NotEmpty(record.Body.GetProperty("auditEventId").GetString()!);

        var anonymous = await SendAsync(http, HttpMethod.Get, $"/v1/patients/{Example}/record");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal(16, anonymous.Body.GetProperty("code").GetInt32());

        var openApi = await http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);

        SmokeTests.AssertNoPatientDataIn(platform);
    }
}
