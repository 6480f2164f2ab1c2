using System.Text.Json.Nodes;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Issue 23: the production overlay's placeholders are obviously placeholders (REPLACE-ME, the
/// documentation address ranges, reserved example host names) and k8s/deploy.sh refuses an
/// overlay that still holds any, whatever its kind; a real-looking private range such as
/// 10.20.10.0/24 never stands in for one.
/// </summary>
public sealed class PlaceholderTests
{
    [Fact]
    public void Deploy_refuses_the_production_overlay_naming_every_kind_of_placeholder_it_holds()
    {
        var result = Repo.Run("bash", ["k8s/deploy.sh", "--check", "k8s/overlays/production"]);

        Assert.Equal(3, result.ExitCode);
        foreach (var key in new[]
        {
            "Identity__Federation__Providers__0__Audiences__0", "Identity__Federation__Providers__0__AllowedOrganisations__0",
            "OTEL_EXPORTER_OTLP_ENDPOINT", "image", "cidr", "kubernetes.io/metadata.name", "app.kubernetes.io/name",
        })
        {
            Assert.Contains($": {key}\n", result.Stderr, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("192.0.2", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("registry.example", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_holds_no_real_looking_address_range()
    {
        // Every ipBlock is either the documented split of the internet from the private ranges
        // (0.0.0.0/0 except them) or a documentation range standing in for the operator's.
        var blocks = Manifests.Render("production").OfKind("NetworkPolicy")
            .SelectMany(p => IpBlocks(p.Json).Select(b => (Policy: p, Cidr: b["cidr"]!.GetValue<string>(), HasExcept: b["except"] is not null)))
            .ToList();
        Assert.Contains(blocks, b => b.Cidr.StartsWith("192.0.2.", StringComparison.Ordinal));
        foreach (var (policy, cidr, hasExcept) in blocks)
        {
            var placeholder = new[] { "192.0.2.", "198.51.100.", "203.0.113." }.Any(d => cidr.StartsWith(d, StringComparison.Ordinal));
            Assert.True(placeholder || (cidr == "0.0.0.0/0" && hasExcept), $"{policy}: {cidr} looks like a real range; use a documentation range marked REPLACE-ME");
        }
    }

    private static IEnumerable<JsonObject> IpBlocks(JsonNode? node) => node switch
    {
        JsonObject o => (o["ipBlock"] is JsonObject b ? [b] : Enumerable.Empty<JsonObject>())
            .Concat(o.Where(kv => kv.Key != "ipBlock").SelectMany(kv => IpBlocks(kv.Value))),
        JsonArray a => a.SelectMany(IpBlocks),
        _ => [],
    };

    [Fact]
    public void Deploy_accepts_a_production_overlay_whose_placeholders_are_all_set()
    {
        var result = CheckProductionSet("");
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    [Theory]
    [InlineData("REPLACE-ME-anything")]
    [InlineData("replace-me")]
    [InlineData("192.0.2.0/24")]
    [InlineData("198.51.100.7")]
    [InlineData("203.0.113.0/28")]
    [InlineData("2001:db8::/48")]
    [InlineData("Host=postgres.example;Port=5432")]
    [InlineData("https://collector.example.com:4317")]
    [InlineData("http://otel.example.org")]
    [InlineData("redis.invalid:6379")]
    public void Deploy_refuses_each_kind_of_placeholder_and_names_its_key_not_its_value(string value)
    {
        var result = CheckProductionSet(ProbePatch(value));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Placeholder__Probe", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(value, result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.20.10.0/24")]
    [InlineData("10.192.0.20/32")]
    [InlineData("https://care.example-trust.nhs.uk")]
    [InlineData("http://myexample.com")]
    [InlineData("2001:db80::1")]
    public void Deploy_accepts_values_that_only_resemble_a_placeholder(string value)
    {
        var result = CheckProductionSet(ProbePatch(value));
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    private static string ProbePatch(string value) => $$"""
          - target: {kind: ConfigMap, name: lcr-gateway}
            patch: |-
              - {op: add, path: /data/Placeholder__Probe, value: "{{value}}"}
        """;

    /// <summary>`k8s/deploy.sh --check` of the production overlay with every placeholder set (plus <paramref name="extraPatches"/>).</summary>
    internal static Repo.Result CheckProductionSet(string extraPatches)
    {
        // kustomize takes a base by relative path only.
        var dir = Directory.CreateTempSubdirectory("lcr-prod-set-");
        try
        {
            var images = string.Join('\n', Platform.All.Select(d =>
                $"  - {{name: replace-me.registry.example/lcr/{d.Name}, newName: registry.lcr.nhs.uk/lcr/{d.Name}, newTag: 1.2.3}}"));
            File.WriteAllText(Path.Combine(dir.FullName, "kustomization.yaml"), $$$"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - {{{Path.GetRelativePath(dir.FullName, Path.Combine(Repo.K8s, "overlays", "production"))}}}
                images:
                {{{images}}}
                patches:
                  - target: {kind: ConfigMap, name: lcr-identity}
                    patch: |-
                      - {op: replace, path: /data/Identity__Federation__Providers__0__Audiences__0, value: "123456789012.apps.national"}
                      - {op: replace, path: /data/Identity__Federation__Providers__0__AllowedOrganisations__0, value: RR8}
                  - target: {kind: ConfigMap, name: lcr-common}
                    patch: |-
                      - {op: replace, path: /data/OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://opentelemetry-collector.observability:4317"}
                  - target: {kind: NetworkPolicy, name: lcr-egress-postgres}
                    patch: |-
                      - {op: replace, path: /spec/egress/0/to, value: [{ipBlock: {cidr: 10.20.10.0/24}}]}
                  - target: {kind: NetworkPolicy, name: lcr-egress-redis}
                    patch: |-
                      - {op: replace, path: /spec/egress/0/to, value: [{ipBlock: {cidr: 10.20.11.0/24}}]}
                  - target: {kind: NetworkPolicy, name: lcr-egress-otel}
                    patch: |-
                      - op: replace
                        path: /spec/egress/0/to
                        value:
                          - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: observability}}
                            podSelector: {matchLabels: {app.kubernetes.io/name: opentelemetry-collector}}
                {{{extraPatches}}}
                """);
            return Repo.Run("bash", ["k8s/deploy.sh", "--check", dir.FullName]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
