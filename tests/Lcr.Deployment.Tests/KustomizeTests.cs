using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;

namespace Lcr.Deployment.Tests;

/// <summary>Every overlay renders, and what it renders is valid for the Kubernetes API.</summary>
public sealed class KustomizeTests
{
    public static IEnumerable<object[]> Overlays() => Manifests.OverlayNames();

    [Fact]
    public void The_dev_and_production_overlays_exist()
    {
        Assert.Equal(["dev", "production"], Repo.Overlays());
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_renders_with_kubectl_kustomize_into_every_deployable(string overlay)
    {
        var rendered = Manifests.Render(overlay);
        foreach (var d in Platform.All)
        {
            Assert.True(rendered.Find("Deployment", d.App) is not null, $"{overlay}: no Deployment {d.App}");
        }

        Assert.All(rendered.Objects, o => Assert.Equal("lcr", o.Kind == "Namespace" ? o.Name : o.Namespace));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Rendered_objects_validate_against_the_Kubernetes_API_schemas(string overlay)
    {
        var rendered = Manifests.Render(overlay);
        var result = SchemaValidation.Value;
        var problems = result.Stdout.Split('\n').Where(l => l.StartsWith(rendered.File, StringComparison.Ordinal)).ToList();
        Assert.True(problems.Count == 0, $"{overlay}: schema validation failed:\n{string.Join('\n', problems)}");
        Assert.True(result.ExitCode == 0, $"schema validation failed:\n{result.Stdout}{result.Stderr}");
        var total = Repo.Overlays().Sum(o => Manifests.Render(o).Objects.Count);
        Assert.Contains($"validated {total} objects, 0 problems", result.Stdout);
    }

    /// <summary>One node process validates every overlay (loading the schemas is the slow part).</summary>
    private static readonly Lazy<Repo.Result> SchemaValidation = new(() =>
        Repo.Run("node", [Repo.NodeTool("validate.mjs"), .. Repo.Overlays().Select(o => Manifests.Render(o).File)], Repo.ToolsDir));

    [Fact]
    public void The_schema_validator_rejects_a_wrong_type_and_a_missing_required_field()
    {
        // Proves the validator really validates: an int-or-string given a float, and a
        // container without a name.
        var file = Path.Combine(Path.GetTempPath(), $"lcr-k8s-invalid-{Environment.ProcessId}.yaml");
        File.WriteAllText(file, """
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: broken}
            spec: {maxUnavailable: 1.5}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: broken}
            spec:
              containers:
                - image: example/image:1.0.0
            """);
        var result = Repo.Run("node", [Repo.NodeTool("validate.mjs"), file], Repo.ToolsDir);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("PodDisruptionBudget/broken", result.Stdout);
        Assert.Contains("Pod/broken: data/spec/containers/0 must have required property name", result.Stdout);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Rendered_objects_have_no_unknown_or_mistyped_fields(string overlay)
    {
        // The API server's strict field validation (kubectl apply's default) refuses unknown
        // fields; the KubernetesClient model types, deserialized with unmapped members
        // disallowed, find them (and mistyped values) here without a cluster.
        var problems = new List<string>();
        foreach (var o in Manifests.Render(overlay).Objects)
        {
            if (!ModelTypes.TryGetValue((o.ApiVersion, o.Kind), out var type))
            {
                problems.Add($"{o}: no Kubernetes model for {o.ApiVersion} {o.Kind}");
                continue;
            }

            try
            {
                JsonSerializer.Deserialize(o.Json.ToJsonString(), type, StrictOptions);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                problems.Add($"{o}: {e.Message}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void The_strict_model_check_rejects_a_misspelt_field()
    {
        var json = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"i:1.0.0","readinesProbe":{}}]}}""";
        var e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, ModelTypes[("v1", "Pod")], StrictOptions));
        Assert.Contains("readinesProbe", e.Message);
    }

    private static readonly Dictionary<(string ApiVersion, string Kind), Type> ModelTypes =
        typeof(k8s.Models.V1Deployment).Assembly.GetTypes()
            .Select(t => (Type: t, Entity: t.GetCustomAttribute<k8s.Models.KubernetesEntityAttribute>()))
            .Where(x => x.Entity is not null && !x.Type.Name.EndsWith("List", StringComparison.Ordinal))
            .GroupBy(x => (string.IsNullOrEmpty(x.Entity!.Group) ? x.Entity.ApiVersion : $"{x.Entity.Group}/{x.Entity.ApiVersion}", x.Entity.Kind))
            .ToDictionary(g => g.Key, g => g.First().Type);

    private static readonly JsonSerializerOptions StrictOptions = CreateStrictOptions();

    private static JsonSerializerOptions CreateStrictOptions()
    {
        // KubernetesJson's own options carry the converters for quantities, int-or-string and
        // times; copy them and refuse members the model does not have.
        var field = typeof(KubernetesJson).GetField("JsonSerializerOptions", BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException("KubernetesJson's serializer options were not found.");
        var options = new JsonSerializerOptions((JsonSerializerOptions)field.GetValue(null)!)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
        return options;
    }
}
