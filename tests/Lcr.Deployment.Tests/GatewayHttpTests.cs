namespace Lcr.Deployment.Tests;

/// <summary>The gateway's HTTP endpoint (JSON over HTTP, gRPC-Web, FHIR) and its browser origins, as rendered.</summary>
public sealed class GatewayHttpTests
{
    public static IEnumerable<object[]> Overlays() => Manifests.OverlayNames();

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_gateway_serves_http_on_its_own_named_port_published_by_its_service(string overlay)
    {
        var r = Manifests.Render(overlay);
        var gateway = r.Find("Deployment", "lcr-gateway")!;
        var container = gateway.Containers().Single();
        var env = Manifests.Environment(r, container);
        Assert.Equal($"http://0.0.0.0:{Platform.GatewayHttpPort}", env["Kestrel__Endpoints__Http__Url"].Literal);
        Assert.Equal("Http1AndHttp2", env["Kestrel__Endpoints__Http__Protocols"].Literal);

        var ports = container["ports"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Contains(ports, p => p["name"]!.GetValue<string>() == "http" && p["containerPort"]!.GetValue<int>() == Platform.GatewayHttpPort);
        // The probes stay native gRPC on the HTTP/2-only endpoint.
        Assert.Equal(Platform.GrpcPort, container["readinessProbe"]!["grpc"]!["port"]!.GetValue<int>());

        var service = r.Find("Service", "lcr-gateway")!;
        var servicePorts = service.Json["spec"]!["ports"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Contains(servicePorts, p => p["name"]!.GetValue<string>() == "http" && p["targetPort"]!.GetValue<string>() == "http");
        Assert.Contains(servicePorts, p => p["name"]!.GetValue<string>() == "grpc" && p["port"]!.GetValue<int>() == Platform.GrpcPort);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Production_lists_no_wildcard_browser_origin_and_dev_allows_a_localhost_one(string overlay)
    {
        var r = Manifests.Render(overlay);
        var env = Manifests.Environment(r, r.Find("Deployment", "lcr-gateway")!.Containers().Single());
        var origins = env.Where(kv => kv.Key.StartsWith("Gateway__Cors__AllowedOrigins", StringComparison.Ordinal))
            .Select(kv => kv.Value.Literal ?? "").ToList();
        Assert.DoesNotContain(origins, o => o.Contains('*', StringComparison.Ordinal));
        if (overlay == "dev")
        {
            Assert.Contains(origins, o => o.StartsWith("http://localhost:", StringComparison.Ordinal));
        }
        else
        {
            Assert.DoesNotContain(origins, o => o.Contains("localhost", StringComparison.Ordinal) || o.Contains("127.0.0.1", StringComparison.Ordinal));
        }
    }
}
