using System.Text.Json;
using Hl7.Fhir.Serialization;
using Microsoft.Net.Http.Headers;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>The FHIR API speaks JSON only: what counts as asking for JSON, and the writing of a resource with the SDK's serializer.</summary>
public static class FhirFormat
{
    public const string ContentType = "application/fhir+json; fhirVersion=4.0; charset=utf-8";

    private static readonly JsonSerializerOptions Compact = new JsonSerializerOptions().ForFhir(R4.ModelInfo.ModelInspector);
    private static readonly JsonSerializerOptions Indented = new JsonSerializerOptions().ForFhir(R4.ModelInfo.ModelInspector).Pretty();

    private static readonly string[] JsonTypes = ["json", "application/json", "application/fhir+json", "text/json"];

    /// <summary>A <c>_format</c> value (or media type) that means JSON.</summary>
    public static bool IsJson(string format)
    {
        var semicolon = format.IndexOf(';', StringComparison.Ordinal);
        var type = (semicolon < 0 ? format : format[..semicolon]).Trim();
        return JsonTypes.Contains(type, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Whether the Accept header lets us answer JSON (no header, a JSON type, or a wildcard).</summary>
    public static bool AcceptsJson(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted) || accepted.Count == 0)
        {
            return true;
        }

        return accepted.Any(a => a.MediaType.Value is { } t && (t == "*/*" || t.Equals("application/*", StringComparison.OrdinalIgnoreCase) || IsJson(t)));
    }

    public static async Task WriteAsync(HttpContext http, R4.Resource resource, int status)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = ContentType;
        var pretty = http.Request.Query["_pretty"] is { Count: > 0 } p && string.Equals(p[0], "true", StringComparison.OrdinalIgnoreCase);
        await JsonSerializer.SerializeAsync(http.Response.Body, resource, resource.GetType(), pretty ? Indented : Compact, http.RequestAborted);
    }
}
