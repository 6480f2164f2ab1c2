namespace Lcr.Deployment.Tests;

/// <summary>
/// The deployables and who may call them: the design these checks hold the manifests to.
/// When a service starts calling another, add it to <see cref="Deployable.Callers"/> and to
/// the NetworkPolicies together.
/// </summary>
internal static class Platform
{
    /// <summary>A caller from outside the namespace (clinical systems, through the edge).</summary>
    public const string Outside = "(outside the namespace)";

    public sealed record Deployable(string Name, string Folder, string? Database, bool UsesRedis, string[] ExtraSecrets, string[] Callers)
    {
        public string App => $"lcr-{Name}";

        public string Project => Path.GetFileName(Folder);
    }

    public static readonly Deployable[] All =
    [
        new("identity", "services/Lcr.Identity", "Identity", false, ["Identity__KeyEncryptionKey"], ["lcr-gateway"]),
        new("demographics", "services/Lcr.Demographics", "Demographics", true, [], ["lcr-gateway"]),
        new("consent", "services/Lcr.Consent", "Consent", true, [], ["lcr-gateway"]),
        new("clinical", "services/Lcr.Clinical", "Clinical", true, [], ["lcr-gateway"]),
        // Audit: RecordEvents and the privacy review lookups, from the gateway and nothing else.
        new("audit", "services/Lcr.Audit", "Audit", false, [], ["lcr-gateway"]),
        new("gateway", "gateway/Lcr.Gateway", null, true, [], [Outside]),
    ];

    public static IEnumerable<object[]> Names() => All.Select(d => new object[] { d.Name });

    public static Deployable Get(string name) => All.Single(d => d.Name == name);

    /// <summary>The platform's gRPC port in every container (Kestrel__Endpoints__Grpc__Url).</summary>
    public const int GrpcPort = 8080;

    /// <summary>The gateway's HTTP port (JSON over HTTP, gRPC-Web, FHIR: Kestrel__Endpoints__Http__Url).</summary>
    public const int GatewayHttpPort = 8081;

    /// <summary>The uid the images run as (USER in each Dockerfile, runAsUser in the pods).</summary>
    public const int AppUid = 1654;
}
