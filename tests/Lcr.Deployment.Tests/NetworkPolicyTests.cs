using System.Text.Json.Nodes;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Evaluates the rendered NetworkPolicies the way a CNI does (a pod selected by any policy of
/// a direction is isolated in it; allowed traffic is the union of the rules) and holds them
/// to the design: default deny; the gateway alone reachable from outside; each service only
/// from its callers; egress only to DNS, PostgreSQL, Redis, the collector and (the gateway)
/// the services.
/// </summary>
public sealed class NetworkPolicyTests
{
    public static IEnumerable<object[]> Overlays() => Manifests.OverlayNames();

    private const string External = "(outside the namespace)";
    private const string KubeDns = "kube-dns";

    private sealed record Pod(string Name, IReadOnlyDictionary<string, string> Labels, K8sObject Workload);

    private static List<Pod> Pods(Manifests.Rendered r) =>
        r.Workloads.Select(w => new Pod(w.PodLabels["app.kubernetes.io/name"], w.PodLabels, w)).ToList();

    private static IEnumerable<JsonObject> Policies(Manifests.Rendered r, Pod pod, string direction) =>
        r.OfKind("NetworkPolicy")
            .Select(p => p.Json["spec"]!.AsObject())
            .Where(spec => Manifests.Selects(spec["podSelector"], pod.Labels) || spec["podSelector"] is JsonObject { Count: 0 })
            .Where(spec => PolicyTypes(spec).Contains(direction));

    private static HashSet<string> PolicyTypes(JsonObject spec) =>
        spec["policyTypes"] is JsonArray types
            ? types.Select(t => t!.GetValue<string>()).ToHashSet()
            : spec["egress"] is not null ? ["Ingress", "Egress"] : ["Ingress"];

    /// <summary>Who a peer list admits: pod names in the namespace, kube-dns, or "outside".</summary>
    private static HashSet<string> Peers(JsonArray? peers, List<Pod> pods)
    {
        if (peers is null || peers.Count == 0)
        {
            return [External, .. pods.Select(p => p.Name)];
        }

        var result = new HashSet<string>();
        foreach (var peer in peers.OfType<JsonObject>())
        {
            if (peer["ipBlock"] is not null)
            {
                result.Add(External);
            }
            else if (peer["namespaceSelector"] is JsonObject ns)
            {
                var labels = Manifests.StringMap(ns["matchLabels"]);
                var podLabels = Manifests.StringMap(peer["podSelector"]?["matchLabels"]);
                result.Add(labels.GetValueOrDefault("kubernetes.io/metadata.name") == "kube-system" && podLabels.GetValueOrDefault("k8s-app") == "kube-dns"
                    ? KubeDns
                    : External);
            }
            else
            {
                foreach (var p in pods.Where(p => Manifests.Selects(peer["podSelector"], p.Labels) || peer["podSelector"] is JsonObject { Count: 0 }))
                {
                    result.Add(p.Name);
                }
            }
        }

        return result;
    }

    private static HashSet<string> IngressSources(Manifests.Rendered r, Pod target, List<Pod> pods, out List<int> ports)
    {
        var sources = new HashSet<string>();
        ports = [];
        foreach (var spec in Policies(r, target, "Ingress"))
        {
            foreach (var rule in (spec["ingress"] as JsonArray ?? []).OfType<JsonObject>())
            {
                sources.UnionWith(Peers(rule["from"] as JsonArray, pods).Where(s => s != target.Name));
                ports.AddRange((rule["ports"] as JsonArray ?? []).Select(p => p!["port"]!.GetValue<int>()));
                if (rule["ports"] is not JsonArray { Count: > 0 })
                {
                    ports.Add(-1); // every port
                }
            }
        }

        return sources;
    }

    /// <summary>Allowed egress as "destination:port" (port -1: every port; destination * : anywhere).</summary>
    private static HashSet<string> EgressTargets(Manifests.Rendered r, Pod source, List<Pod> pods)
    {
        var targets = new HashSet<string>();
        foreach (var spec in Policies(r, source, "Egress"))
        {
            foreach (var rule in (spec["egress"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var to = rule["to"] is JsonArray { Count: > 0 } list ? Peers(list, pods) : ["*"];
                var ports = (rule["ports"] as JsonArray ?? []).Select(p => p!["port"]!.GetValue<int>()).DefaultIfEmpty(-1).ToList();
                foreach (var t in to)
                {
                    foreach (var p in ports)
                    {
                        targets.Add($"{t}:{p}");
                    }
                }
            }
        }

        return targets;
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Identity_reaches_the_identity_providers_only_over_https_and_never_a_private_address(string overlay)
    {
        var rules = Manifests.Render(overlay).OfKind("NetworkPolicy")
            .Where(p => p.Json["metadata"]!["name"]!.GetValue<string>() == "lcr-identity-egress-oidc-providers")
            .SelectMany(p => p.Json["spec"]!["egress"]!.AsArray().OfType<JsonObject>())
            .ToList();
        var rule = Assert.Single(rules);
        Assert.Equal([443], rule["ports"]!.AsArray().Select(p => p!["port"]!.GetValue<int>()));
        foreach (var peer in rule["to"]!.AsArray().OfType<JsonObject>())
        {
            var block = peer["ipBlock"]!.AsObject();
            if (block["cidr"]!.GetValue<string>() == "0.0.0.0/0")
            {
                var except = block["except"]!.AsArray().Select(e => e!.GetValue<string>()).ToHashSet();
                Assert.Superset(new HashSet<string> { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16" }, except);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void A_default_deny_policy_isolates_every_pod_in_both_directions(string overlay)
    {
        var r = Manifests.Render(overlay);
        Assert.Contains(r.OfKind("NetworkPolicy"), p =>
            p.Json["spec"]!["podSelector"] is JsonObject { Count: 0 }
            && PolicyTypes(p.Json["spec"]!.AsObject()).SetEquals(["Ingress", "Egress"])
            && p.Json["spec"]!["ingress"] is null
            && p.Json["spec"]!["egress"] is null);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Only_the_gateway_accepts_traffic_from_outside_and_each_service_only_from_its_callers(string overlay)
    {
        var r = Manifests.Render(overlay);
        var pods = Pods(r);
        var problems = new List<string>();
        var servers = Platform.All.Select(d => d.App).ToHashSet();
        var databaseClients = Platform.All.Where(d => d.Database is not null).SelectMany(d => new[] { d.App, d.App + "-migrate" }).ToHashSet();
        var redisClients = Platform.All.Where(d => d.UsesRedis).Select(d => d.App).ToHashSet();
        var telemetrySources = pods.Where(p => p.Labels.GetValueOrDefault("app.kubernetes.io/component") is "server" or "migration").Select(p => p.Name).ToHashSet();

        foreach (var pod in pods)
        {
            var sources = IngressSources(r, pod, pods, out var ports);
            HashSet<string> expected = pod.Name switch
            {
                "lcr-postgres" => databaseClients,
                "lcr-redis" => redisClients,
                "lcr-otel-collector" => telemetrySources,
                _ when servers.Contains(pod.Name) => Platform.All.Single(d => d.App == pod.Name).Callers
                    .Select(c => c == Platform.Outside ? External : c).ToHashSet(),
                _ => [], // migration Jobs accept nothing
            };

            var allowsOutside = sources.Contains(External);
            var expectsOutside = expected.Contains(External);
            if (allowsOutside != expectsOutside)
            {
                problems.Add($"{pod.Name}: reachable from outside the namespace: {allowsOutside}, designed: {expectsOutside}");
            }

            var inNamespace = sources.Where(s => s != External).ToHashSet();
            var expectedInNamespace = expected.Where(s => s != External).ToHashSet();
            if (!expectsOutside && !inNamespace.SetEquals(expectedInNamespace))
            {
                problems.Add($"{pod.Name}: accepts [{string.Join(", ", inNamespace.Order())}], designed [{string.Join(", ", expectedInNamespace.Order())}]");
            }

            // The gateway alone also serves HTTP (JSON, gRPC-Web, FHIR), from outside only.
            int[] designedPorts = pod.Name == "lcr-gateway" ? [Platform.GrpcPort, Platform.GatewayHttpPort] : [Platform.GrpcPort];
            if (servers.Contains(pod.Name) && ports.Any(p => !designedPorts.Contains(p)))
            {
                problems.Add($"{pod.Name}: ingress open on ports other than {string.Join(", ", designedPorts)}: {string.Join(", ", ports)}");
            }

            if (pod.Name == "lcr-gateway" && !ports.Contains(Platform.GatewayHttpPort))
            {
                problems.Add($"lcr-gateway: ingress closed on its HTTP port {Platform.GatewayHttpPort}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Egress_goes_only_to_dns_postgres_redis_the_collector_identity_providers_and_from_the_gateway_to_the_services(string overlay)
    {
        var r = Manifests.Render(overlay);
        var pods = Pods(r);
        var inCluster = overlay == "dev";
        var postgres = inCluster ? "lcr-postgres" : External;
        var redis = inCluster ? "lcr-redis" : External;
        var collector = inCluster ? "lcr-otel-collector" : External;
        var problems = new List<string>();
        foreach (var pod in pods)
        {
            var expected = new HashSet<string> { $"{KubeDns}:53" };
            var component = pod.Labels.GetValueOrDefault("app.kubernetes.io/component");
            var deployable = Platform.All.SingleOrDefault(d => pod.Name == d.App || pod.Name == d.App + "-migrate");
            if (deployable is not null)
            {
                expected.Add($"{collector}:4317");
                expected.Add($"{collector}:4318");
                if (deployable.Database is not null)
                {
                    expected.Add($"{postgres}:5432");
                }

                if (deployable.UsesRedis && component == "server")
                {
                    expected.Add($"{redis}:6379");
                }

                if (deployable.Name == "gateway")
                {
                    expected.UnionWith(Platform.All.Where(d => d.Name != "gateway").Select(d => $"{d.App}:{Platform.GrpcPort}"));
                }

                if (deployable.Name == "identity" && component == "server")
                {
                    expected.Add($"{External}:443"); // the trusted OpenID Connect providers' discovery and keys
                }
            }

            var actual = EgressTargets(r, pod, pods);
            if (!actual.SetEquals(expected))
            {
                problems.Add($"{pod.Name}: egress [{string.Join(", ", actual.Order())}], designed [{string.Join(", ", expected.Order())}]");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void No_service_is_exposed_outside_the_cluster_by_its_type(string overlay)
    {
        // Exposure is the platform's ingress or load balancer in front of the gateway's
        // ClusterIP Service; nothing here opens a NodePort or LoadBalancer of its own.
        foreach (var s in Manifests.Render(overlay).OfKind("Service"))
        {
            Assert.True(s.Json["spec"]!["type"]?.GetValue<string>() is null or "ClusterIP", $"{s} is {s.Json["spec"]!["type"]}");
        }
    }
}
