using System.Text.Json.Nodes;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Issue 23: the gateway's way in, as optional components: Gateway API (a named Gateway with TLS,
/// a GRPCRoute to the gRPC port and an HTTPRoute to the HTTP port) or an Ingress for
/// ingress-nginx. Rendered over each overlay, validated against the Kubernetes and Gateway API
/// schemas (k8s/tools/validate.mjs) and checked for what a schema cannot say.
/// </summary>
public sealed class GatewayWayInTests
{
    public static IEnumerable<object[]> Cases() =>
        from overlay in Repo.Overlays()
        from component in new[] { "gateway-route", "gateway-ingress" }
        select new object[] { overlay, component };

    private static Manifests.Rendered RenderWith(string overlay, string component, string ns = "lcr") =>
        Manifests.RenderKustomization($"{overlay}-{component}-{ns}", $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            namespace: {ns}
            resources:
              - ../../overlays/{overlay}
            components:
              - ../../components/{component}
            """);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_component_renders_over_the_overlay_and_validates_against_the_schemas(string overlay, string component)
    {
        var r = RenderWith(overlay, component);
        Assert.Equal(Manifests.Render(overlay).Objects.Count + (component == "gateway-route" ? 3 : 2), r.Objects.Count);
        var result = Repo.Run("node", [Repo.NodeTool("validate.mjs"), r.File], Repo.ToolsDir);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.Contains($"validated {r.Objects.Count} objects, 0 problems", result.Stdout);
        Assert.All(r.Objects, o => Assert.Equal("lcr", o.Kind == "Namespace" ? o.Name : o.Namespace));
        Assert.All(r.Objects, o => Assert.Contains(o.Labels.GetValueOrDefault("lcr.nhs.uk/phase"), new[] { "foundation", "migrate", "serve" }));
    }

    [Fact]
    public void The_validator_checks_Gateway_API_objects_against_their_schema()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lcr-k8s-invalid-route-{Environment.ProcessId}.yaml");
        File.WriteAllText(file, """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: broken}
            spec:
              rules:
                - backendRefs:
                    - {name: lcr-gateway, port: grpc}
            """);
        var result = Repo.Run("node", [Repo.NodeTool("validate.mjs"), file], Repo.ToolsDir);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("GRPCRoute/broken", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("port must be integer", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Gateway_API_routes_reach_the_gateways_ports_through_a_named_Gateway_that_terminates_TLS(string overlay)
    {
        var r = RenderWith(overlay, "gateway-route");
        var gateway = Assert.Single(r.OfKind("Gateway"));
        var listeners = gateway.Json["spec"]!["listeners"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.All(listeners, l =>
        {
            Assert.Equal("HTTPS", l["protocol"]!.GetValue<string>());
            Assert.Equal("Terminate", l["tls"]!["mode"]!.GetValue<string>());
            Assert.NotEmpty(l["tls"]!["certificateRefs"]!.AsArray());
            Assert.Equal("Same", l["allowedRoutes"]!["namespaces"]!["from"]!.GetValue<string>());
        });

        var service = r.Find("Service", "lcr-gateway")!;
        var ports = service.Json["spec"]!["ports"]!.AsArray().OfType<JsonObject>()
            .ToDictionary(p => p["port"]!.GetValue<int>(), p => p["appProtocol"]?.GetValue<string>());
        var hostnames = new List<string>();
        foreach (var (kind, port, appProtocol) in new[] { ("GRPCRoute", Platform.GrpcPort, "kubernetes.io/h2c"), ("HTTPRoute", Platform.GatewayHttpPort, "http") })
        {
            var route = Assert.Single(r.OfKind(kind));
            Assert.Equal(gateway.Namespace, route.Namespace);
            var parent = Assert.Single(route.Json["spec"]!["parentRefs"]!.AsArray().OfType<JsonObject>());
            Assert.Equal(gateway.Name, parent["name"]!.GetValue<string>());
            var listener = listeners.Single(l => l["name"]!.GetValue<string>() == parent["sectionName"]!.GetValue<string>());
            Assert.Contains(listener["allowedRoutes"]!["kinds"]!.AsArray(), k => k!["kind"]!.GetValue<string>() == kind);
            var routeHosts = route.Json["spec"]!["hostnames"]!.AsArray().Select(h => h!.GetValue<string>()).ToList();
            Assert.All(routeHosts, h => Assert.Equal(listener["hostname"]!.GetValue<string>(), h));
            hostnames.AddRange(routeHosts);

            var backend = Assert.Single(route.Json["spec"]!["rules"]!.AsArray().SelectMany(rule => rule!["backendRefs"]!.AsArray()));
            Assert.Equal(service.Name, backend!["name"]!.GetValue<string>());
            Assert.Equal(port, backend["port"]!.GetValue<int>());
            // gRPC needs HTTP/2 to the pod without TLS: the Service port says so (GEP-1911).
            Assert.Equal(appProtocol, ports[port]);
        }

        // A GRPCRoute and an HTTPRoute may not share a host name on one listener.
        Assert.Equal(hostnames.Count, hostnames.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Ingresses_terminate_TLS_and_speak_gRPC_to_the_grpc_port_and_HTTP_to_the_http_port(string overlay)
    {
        var r = RenderWith(overlay, "gateway-ingress");
        var ingresses = r.OfKind("Ingress").ToDictionary(i => i.Name);
        Assert.Equal(["lcr-gateway-grpc", "lcr-gateway-http"], ingresses.Keys.Order(StringComparer.Ordinal));
        var servicePorts = r.Find("Service", "lcr-gateway")!.Json["spec"]!["ports"]!.AsArray().OfType<JsonObject>()
            .ToDictionary(p => p["name"]!.GetValue<string>(), p => p["port"]!.GetValue<int>());
        foreach (var (name, protocol, port) in new[] { ("lcr-gateway-grpc", "GRPC", Platform.GrpcPort), ("lcr-gateway-http", "HTTP", Platform.GatewayHttpPort) })
        {
            var ingress = ingresses[name];
            Assert.Equal(protocol, Manifests.StringMap(ingress.Json["metadata"]!["annotations"])["nginx.ingress.kubernetes.io/backend-protocol"]);
            var tlsHosts = ingress.Json["spec"]!["tls"]!.AsArray().SelectMany(t => t!["hosts"]!.AsArray().Select(h => h!.GetValue<string>())).ToHashSet();
            Assert.All(ingress.Json["spec"]!["tls"]!.AsArray(), t => Assert.False(string.IsNullOrEmpty(t!["secretName"]?.GetValue<string>())));
            foreach (var rule in ingress.Json["spec"]!["rules"]!.AsArray().OfType<JsonObject>())
            {
                Assert.Contains(rule["host"]!.GetValue<string>(), tlsHosts);
                foreach (var path in rule["http"]!["paths"]!.AsArray())
                {
                    var backend = path!["backend"]!["service"]!;
                    Assert.Equal("lcr-gateway", backend["name"]!.GetValue<string>());
                    Assert.Equal(port, servicePorts[backend["port"]!["name"]!.GetValue<string>()]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_way_in_follows_the_overlays_namespace(string overlay, string component)
    {
        var r = RenderWith(overlay, component, "care-test");
        Assert.All(r.Objects.Where(o => o.Kind is "Gateway" or "GRPCRoute" or "HTTPRoute" or "Ingress"), o => Assert.Equal("care-test", o.Namespace));
        Assert.DoesNotContain(".lcr.svc", r.Yaml, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gateway-route")]
    [InlineData("gateway-ingress")]
    public void Deploy_refuses_the_components_placeholder_host_names_and_class(string component)
    {
        RenderWith("dev", component);
        var dir = Path.Combine(Manifests.CheckoutK8s, "test-overlays", $"dev-{component}-lcr");
        var result = Repo.Run("bash", [Path.Combine(Repo.K8s, "deploy.sh"), "--check", dir]);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains(component == "gateway-route" ? "gatewayClassName" : "host", result.Stderr, StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> Overlays() => Manifests.OverlayNames();
}
