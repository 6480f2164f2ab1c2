using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Api;
using Google.Protobuf.Reflection;

namespace Lcr.Gateway.Tests.Http;

/// <summary>
/// The OpenAPI document the gateway serves is generated from the protos, covers every HTTP route
/// they declare, and is the one committed under docs/openapi/ (regenerate it with
/// <c>LCR_UPDATE_OPENAPI=1 dotnet test tests/Lcr.Gateway.Tests --filter OpenApiTests</c>).
/// </summary>
[Collection(PlatformCollection.Name)]
public partial class OpenApiTests(PlatformFixture platform)
{
    /// <summary>Every service the gateway maps (Extensions.MapGatewayEndpoints).</summary>
    private static readonly ServiceDescriptor[] GatewayServices =
    [
        Lcr.Gateway.V1.GatewayService.Descriptor, Lcr.Gateway.V1.SubjectAccessService.Descriptor,
        Lcr.Identity.V1.IdentityService.Descriptor, Lcr.Clinical.V1.ClinicalRecordService.Descriptor,
        Lcr.Demographics.V1.DemographicsService.Descriptor, Lcr.Consent.V1.ConsentService.Descriptor,
        Lcr.Audit.V1.AuditService.Descriptor,
    ];

    /// <summary>The methods the gateway refuses to external callers (internal to the platform): no HTTP route.</summary>
    private static readonly HashSet<string> InternalOnly =
    [
        "lcr.identity.v1.IdentityService.CheckOrganisationLink", "lcr.identity.v1.IdentityService.ListActiveRoleAssignments",
        "lcr.consent.v1.ConsentService.EvaluateAccess", "lcr.consent.v1.ConsentService.SealRecordAutomatically",
        "lcr.audit.v1.AuditService.RecordEvents", "lcr.clinical.v1.ClinicalRecordService.GetRecordSummary",
        "lcr.clinical.v1.ClinicalRecordService.ListEntries", "lcr.clinical.v1.ClinicalRecordService.GetEntry",
        "lcr.clinical.v1.ClinicalRecordService.GetDocumentContent", "lcr.clinical.v1.ClinicalRecordService.ListEntryHistory",
        "lcr.demographics.v1.DemographicsService.ResolveNhsNumber",
    ];

    private static IEnumerable<(MethodDescriptor Method, HttpRule? Rule)> Methods() =>
        GatewayServices.SelectMany(s => s.Methods).Select(m => (m, m.GetOptions()?.GetExtension(AnnotationsExtensions.Http)));

    private static (string Verb, string Path) Route(HttpRule rule) => rule.PatternCase switch
    {
        HttpRule.PatternOneofCase.Get => ("get", rule.Get),
        HttpRule.PatternOneofCase.Post => ("post", rule.Post),
        HttpRule.PatternOneofCase.Patch => ("patch", rule.Patch),
        HttpRule.PatternOneofCase.Put => ("put", rule.Put),
        HttpRule.PatternOneofCase.Delete => ("delete", rule.Delete),
        _ => throw new InvalidOperationException(rule.PatternCase.ToString()),
    };

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Parameter();

    private static string Shape(string path) => Parameter().Replace(path, "{}");

    [Fact]
    public void Every_external_method_has_an_http_route_and_internal_ones_have_none()
    {
        foreach (var (method, rule) in Methods())
        {
            Assert.True(InternalOnly.Contains(method.FullName) == (rule is null),
                $"{method.FullName}: {(rule is null ? "no google.api.http route" : "internal-only but routed")}");
        }

        var routes = Methods().Where(m => m.Rule is not null).Select(m => Route(m.Rule!)).Select(r => $"{r.Verb} {Shape(r.Path)}").ToList();
        Assert.Equal(routes.Count, routes.Distinct().Count());
        Assert.All(routes, r => Assert.Contains(" /v1/", r, StringComparison.Ordinal));
    }

    private async Task<string> ServedAsync()
    {
        using var http = platform.Gateway.CreateHttpClient();
        using var response = await http.GetAsync(new Uri(Lcr.Gateway.Http.HttpApiExtensions.OpenApiPath, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task The_served_document_lists_every_routed_method_with_its_proto_comment()
    {
        using var doc = JsonDocument.Parse(await ServedAsync());
        var paths = doc.RootElement.GetProperty("paths");
        var served = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(v => (Verb: v.Name, Path: p.Name, Op: v.Value))).ToList();
        foreach (var (method, rule) in Methods().Where(m => m.Rule is not null))
        {
            var (verb, path) = Route(rule!);
            var op = served.Where(s => s.Verb == verb && Shape(s.Path) == Shape(path)).Select(s => s.Op).ToList();
            Assert.True(op.Count == 1, $"{method.FullName}: {verb} {path} is not in the OpenAPI document");
        }

        // The proto comments are the operations' text.
        var record = served.Single(s => s.Verb == "get" && Shape(s.Path) == "/v1/patients/{}/record").Op;
        Assert.Contains("the patient's record view for this viewer", record.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_committed_document_is_the_one_generated_from_the_protos()
    {
        var served = Normalise(await ServedAsync());
        var file = Path.Combine(Lcr.Testing.Platform.RealPlatform.RepositoryRoot, "docs", "openapi", "v1.json");
        if (Environment.GetEnvironmentVariable("LCR_UPDATE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, served);
        }

        Assert.True(File.Exists(file), $"{file} is missing: regenerate it (see {nameof(OpenApiTests)})");
        Assert.True(served == await File.ReadAllTextAsync(file),
            $"docs/openapi/v1.json differs from what the protos generate: regenerate it (see {nameof(OpenApiTests)}) and commit it");
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Indented, with a final newline, so the committed file diffs line by line.</summary>
    private static string Normalise(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(doc.RootElement, Indented).ReplaceLineEndings("\n") + "\n";
    }
}
