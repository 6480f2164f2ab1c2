using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Issue 23: no namespace is written into an address, so an overlay can deploy to another
/// namespace: rendered with <c>namespace: care-test</c> over an overlay, every object, every
/// address the pods use and every NetworkPolicy selector follows.
/// </summary>
public sealed partial class NamespaceTests
{
    private const string Other = "care-test";

    public static IEnumerable<object[]> Overlays() => Manifests.OverlayNames();

    private static Manifests.Rendered RenderIn(string overlay) =>
        Manifests.RenderKustomization($"{overlay}-in-{Other}", $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            namespace: {Other}
            resources:
              - ../../overlays/{overlay}
            """);

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_object_moves_to_the_overlays_namespace(string overlay)
    {
        var r = RenderIn(overlay);
        Assert.Equal(Manifests.Render(overlay).Objects.Count, r.Objects.Count);
        Assert.All(r.Objects, o => Assert.Equal(Other, o.Kind == "Namespace" ? o.Name : o.Namespace));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void No_rendered_value_names_the_default_namespace(string overlay)
    {
        var problems = new List<string>();
        foreach (var o in RenderIn(overlay).Objects)
        {
            var values = Strings(o.Json).ToList();
            if (o.Kind == "Secret")
            {
                values.AddRange(Manifests.StringMap(o.Json["data"]).Values
                    .Select(v => Encoding.UTF8.GetString(Convert.FromBase64String(Regex.Replace(v, @"\s", "")))));
            }

            // Name the object and the kind of finding, never a (possibly secret) value.
            if (values.Any(v => NamesNamespaceLcr().IsMatch(v)))
            {
                problems.Add($"{o}: a value names namespace lcr (e.g. a *.lcr.svc.cluster.local address)");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_gateway_reaches_each_service_by_a_name_that_resolves_in_its_own_namespace(string overlay)
    {
        var r = RenderIn(overlay);
        var env = Manifests.Environment(r, r.Find("Deployment", "lcr-gateway")!.Containers().Single());
        foreach (var d in Platform.All.Where(d => d.Name != "gateway"))
        {
            var address = env[$"Services__{char.ToUpperInvariant(d.Name[0])}{d.Name[1..]}"].Literal!;
            var host = new Uri(address.Replace("dns:///", "dns://", StringComparison.Ordinal)).Host;
            Assert.DoesNotContain(".", host, StringComparison.Ordinal);
            Assert.True(r.Find("Service", host) is { Namespace: Other }, $"{overlay}: {host} is not a Service in {Other}");
        }
    }

    [Fact]
    public void Dev_addresses_of_the_database_cache_and_collector_resolve_in_the_overlays_namespace()
    {
        var r = RenderIn("dev");
        var hosts = new List<string>();
        var otel = Manifests.StringMap(r.Find("ConfigMap", "lcr-common")!.Json["data"])["OTEL_EXPORTER_OTLP_ENDPOINT"];
        hosts.Add(new Uri(otel).Host);
        foreach (var secret in r.OfKind("Secret"))
        {
            foreach (var (key, encoded) in Manifests.StringMap(secret.Json["data"]).Where(kv => kv.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal)))
            {
                var value = Encoding.UTF8.GetString(Convert.FromBase64String(Regex.Replace(encoded, @"\s", "")));
                hosts.Add(key == "ConnectionStrings__Redis" ? value.Split(',')[0].Split(':')[0] : Regex.Match(value, "Host=([^;]+)").Groups[1].Value);
            }
        }

        Assert.Equal(8, hosts.Count);
        foreach (var host in hosts.Distinct())
        {
            Assert.True(r.Find("Service", host) is { Namespace: Other }, $"{host} is not a Service in {Other}");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void NetworkPolicy_namespace_selectors_follow_the_overlays_namespace(string overlay)
    {
        var r = RenderIn(overlay);
        var policies = r.OfKind("NetworkPolicy").ToList();
        Assert.NotEmpty(policies);
        foreach (var policy in policies)
        {
            Assert.Equal(Other, policy.Namespace);
            foreach (var selector in NamespaceSelectors(policy.Json))
            {
                var name = Manifests.StringMap(selector["matchLabels"]).GetValueOrDefault("kubernetes.io/metadata.name");
                // Other namespaces are named on purpose (kube-system's DNS, the platform's
                // collector); the platform's own never is: a podSelector alone means "here".
                Assert.NotEqual("lcr", name);
                Assert.True(name is null or "kube-system" || name.StartsWith("REPLACE-ME", StringComparison.Ordinal),
                    $"{policy}: a namespaceSelector names {name}");
            }
        }
    }

    private static IEnumerable<JsonObject> NamespaceSelectors(JsonNode? node) => node switch
    {
        JsonObject o => (o["namespaceSelector"] is JsonObject s ? [s] : Enumerable.Empty<JsonObject>())
            .Concat(o.Where(kv => kv.Key != "namespaceSelector").SelectMany(kv => NamespaceSelectors(kv.Value))),
        JsonArray a => a.SelectMany(NamespaceSelectors),
        _ => [],
    };

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(kv => Strings(kv.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    [Fact]
    public void The_namespace_check_recognises_an_address_in_namespace_lcr()
    {
        Assert.Matches(NamesNamespaceLcr(), "dns:///lcr-identity-headless.lcr.svc.cluster.local:8080");
        Assert.Matches(NamesNamespaceLcr(), "Host=lcr-postgres.lcr;Port=5432");
        Assert.Matches(NamesNamespaceLcr(), "http://lcr-otel-collector.lcr:4317");
        Assert.DoesNotMatch(NamesNamespaceLcr(), "dns:///lcr-identity-headless:8080");
        Assert.DoesNotMatch(NamesNamespaceLcr(), "lcr.nhs.uk/phase");
    }

    [GeneratedRegex(@"\.lcr(\.svc|[:;,/]|$)")]
    private static partial Regex NamesNamespaceLcr();
}
