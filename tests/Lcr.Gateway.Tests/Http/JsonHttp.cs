using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lcr.Gateway.Tests.Http;

/// <summary>Plain HTTP/JSON calls to the gateway, as an integrator without gRPC would make them.</summary>
internal static class JsonHttp
{
    public static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient http, HttpMethod method, string path,
        string? token = null, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, body);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient http, string path, string? token = null) =>
        SendAsync(http, HttpMethod.Get, path, token);

    public static Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string path, string json, string? token = null) =>
        SendAsync(http, HttpMethod.Post, path, token, json);

    /// <summary>A success, or fails showing the google.rpc.Status the gateway answered.</summary>
    public static JsonElement Ok((HttpStatusCode Status, JsonElement Body) reply)
    {
        Assert.True(reply.Status == HttpStatusCode.OK, $"{(int)reply.Status}: {reply.Body}");
        return reply.Body;
    }

    public static async Task<string> SessionAsync(HttpClient http, string userName) =>
        Ok(await PostAsync(http, "/v1/sessions:signIn",
            JsonSerializer.Serialize(new { userName, password = PlatformFixture.Password }))).GetProperty("sessionToken").GetString()!;

    public static async Task<string> AccessTokenAsync(HttpClient http, string userName, string nhs, string purpose = "PURPOSE_OF_USE_DIRECT_CARE") =>
        Ok(await PostAsync(http, $"/v1/patients/{nhs}/accessTokens:issue", JsonSerializer.Serialize(new { purpose }),
            await SessionAsync(http, userName))).GetProperty("accessToken").GetString()!;

    public static async Task<string> SystemTokenAsync(HttpClient http, string clientId, params string[] scopes) =>
        Ok(await PostAsync(http, "/v1/systemTokens:issue",
            JsonSerializer.Serialize(new { clientId, clientSecret = PlatformFixture.ClientSecret, scopes }))).GetProperty("systemToken").GetString()!;

    /// <summary>The google.rpc.Status JSON of an error: its code and its ErrorInfo reason (if any).</summary>
    public static (int Code, string Message, string? Reason) Status(JsonElement body)
    {
        string? reason = null;
        if (body.TryGetProperty("details", out var details))
        {
            foreach (var d in details.EnumerateArray())
            {
                if (d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.ErrorInfo")
                {
                    reason = d.GetProperty("reason").GetString();
                }
            }
        }

        return (body.GetProperty("code").GetInt32(), body.GetProperty("message").GetString() ?? "", reason);
    }

    /// <summary>The fields named by the google.rpc.BadRequest detail of an error.</summary>
    public static IReadOnlyList<string> ViolatedFields(JsonElement body) =>
        body.TryGetProperty("details", out var details)
            ? [.. details.EnumerateArray()
                .Where(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest")
                .SelectMany(d => d.GetProperty("fieldViolations").EnumerateArray())
                .Select(v => v.GetProperty("field").GetString()!)]
            : [];
}
