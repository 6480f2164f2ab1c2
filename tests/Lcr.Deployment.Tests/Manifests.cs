using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lcr.Deployment.Tests;

/// <summary>One object of a rendered overlay, as JSON (what the API server would receive).</summary>
internal sealed record K8sObject(string Overlay, JsonObject Json)
{
    public string ApiVersion => Json["apiVersion"]?.GetValue<string>() ?? "";

    public string Kind => Json["kind"]?.GetValue<string>() ?? "";

    public string Name => Json["metadata"]?["name"]?.GetValue<string>() ?? "";

    public string? Namespace => Json["metadata"]?["namespace"]?.GetValue<string>();

    public override string ToString() => $"{Overlay}: {Kind}/{Name}";

    public IReadOnlyDictionary<string, string> Labels => Manifests.StringMap(Json["metadata"]?["labels"]);

    public bool IsWorkload => Kind is "Deployment" or "StatefulSet" or "DaemonSet" or "Job";

    /// <summary>Long-running pods: the ones that need probes, PDBs and autoscaling.</summary>
    public bool IsLongRunning => Kind is "Deployment" or "StatefulSet" or "DaemonSet";

    public JsonObject? PodSpec => Json["spec"]?["template"]?["spec"] as JsonObject;

    public IReadOnlyDictionary<string, string> PodLabels => Manifests.StringMap(Json["spec"]?["template"]?["metadata"]?["labels"]);

    /// <summary>The platform's own gRPC servers (not the dev overlay's PostgreSQL, Redis or collector).</summary>
    public bool IsPlatformServer => Kind == "Deployment" && Labels.GetValueOrDefault("app.kubernetes.io/component") == "server";

    public IEnumerable<JsonObject> Containers(bool includeInit = true)
    {
        var spec = PodSpec;
        if (spec is null)
        {
            yield break;
        }

        foreach (var key in includeInit ? new[] { "initContainers", "containers" } : ["containers"])
        {
            if (spec[key] is JsonArray list)
            {
                foreach (var c in list.OfType<JsonObject>())
                {
                    yield return c;
                }
            }
        }
    }
}

/// <summary>The rendered overlays (kubectl kustomize), each rendered once per test run.</summary>
internal static partial class Manifests
{
    private static readonly ConcurrentDictionary<string, Lazy<Rendered>> Cache = new();

    public sealed record Rendered(string Overlay, string Yaml, string File, IReadOnlyList<K8sObject> Objects)
    {
        public IEnumerable<K8sObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

        public K8sObject? Find(string kind, string name) => Objects.FirstOrDefault(o => o.Kind == kind && o.Name == name);

        public IEnumerable<K8sObject> Workloads => Objects.Where(o => o.IsWorkload);

        public IEnumerable<K8sObject> PlatformServers => Objects.Where(o => o.IsPlatformServer);
    }

    public static Rendered Render(string overlay) =>
        Cache.GetOrAdd(overlay, o => new Lazy<Rendered>(() => DoRender(o))).Value;

    public static IEnumerable<object[]> OverlayNames() => Repo.Overlays().Select(o => new object[] { o });

    /// <summary>
    /// Renders a kustomization written for a test (e.g. an overlay with another namespace or an
    /// optional component) in a folder beside the copy's overlays: <c>../overlays/dev</c>,
    /// <c>../components/...</c> reach the copy's.
    /// </summary>
    public static Rendered RenderKustomization(string name, string kustomization)
    {
        var dir = Path.Combine(Checkout.Value, "test-overlays", name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "kustomization.yaml"), kustomization);
        return RenderDirectory(name, dir);
    }

    /// <summary>The copy of k8s/ that tests render (see <see cref="CopyK8s"/>).</summary>
    public static string CheckoutK8s => Checkout.Value;

    private static readonly Lazy<string> Checkout = new(CopyK8s);

    /// <summary>
    /// k8s/ as a fresh checkout has it (without tools/ and without Secret files generated in the
    /// worktree), in a temporary folder, with the dev overlay's Secrets generated there the way
    /// k8s/deploy.sh does: what a deployment renders, and nothing written into the repository.
    /// </summary>
    private static string CopyK8s()
    {
        // The generated dev Secrets do not outlive the test run: earlier runs' copies go first
        // (a test host ends without running exit handlers).
        foreach (var stale in Directory.EnumerateDirectories(Path.GetTempPath(), "lcr-k8s-*-*"))
        {
            var pid = Path.GetFileName(stale).Split('-')[2];
            if (int.TryParse(pid, CultureInfo.InvariantCulture, out var id) && !IsRunning(id))
            {
                Directory.Delete(stale, recursive: true);
            }
        }

        var target = Directory.CreateTempSubdirectory($"lcr-k8s-{System.Environment.ProcessId}-").FullName;
        foreach (var file in Directory.EnumerateFiles(Repo.K8s, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Repo.K8s, file);
            if (relative.StartsWith("tools" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || file.EndsWith(".env", StringComparison.Ordinal))
            {
                continue;
            }

            var to = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        var generate = Repo.Run("bash", [Path.Combine(target, "overlays", "dev", "secrets", "generate.sh")]);
        if (generate.ExitCode != 0)
        {
            throw new InvalidOperationException($"generating the dev Secrets failed ({generate.ExitCode}): {generate.Stderr}");
        }

        return target;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Rendered DoRender(string overlay) => RenderDirectory(overlay, Path.Combine(Checkout.Value, "overlays", overlay));

    private static Rendered RenderDirectory(string overlay, string dir)
    {
        var result = Repo.Run("kubectl", ["kustomize", dir]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {dir} failed ({result.ExitCode}): {result.Stderr}");
        }

        var file = Path.Combine(Path.GetTempPath(), $"lcr-k8s-{overlay}-{System.Environment.ProcessId}.yaml");
        File.WriteAllText(file, result.Stdout);
        return new Rendered(overlay, result.Stdout, file, Parse(result.Stdout).Select(j => new K8sObject(overlay, j)).ToList());
    }

    /// <summary>Multi-document YAML to JSON objects, scalars typed by the YAML 1.2 core schema (as kubectl does).</summary>
    public static IReadOnlyList<JsonObject> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents
            .Where(d => d.RootNode is YamlMappingNode)
            .Select(d => (JsonObject)ToJson(d.RootNode)!)
            .ToList();
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode s => Scalar(s),
        _ => throw new InvalidOperationException($"Unsupported YAML node {node.NodeType}"),
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style != ScalarStyle.Plain || (!s.Tag.IsEmpty && !s.Tag.IsNonSpecific && s.Tag.Value == "tag:yaml.org,2002:str"))
        {
            return JsonValue.Create(v);
        }

        if (v is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (v is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(bool.Parse(v));
        }

        if (IntPattern().IsMatch(v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l is >= int.MinValue and <= int.MaxValue ? JsonValue.Create((int)l) : JsonValue.Create(l);
        }

        if (FloatPattern().IsMatch(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(v);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node) =>
        node is JsonObject o
            ? o.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!.ToString(), StringComparer.Ordinal)
            : new Dictionary<string, string>();

    /// <summary>Where an environment variable's value comes from.</summary>
    public sealed record EnvValue(string? Literal, string? SecretName, string? ConfigMapName, string? Key);

    /// <summary>A container's environment: envFrom ConfigMaps/Secrets expanded, then env entries on top.</summary>
    public static IReadOnlyDictionary<string, EnvValue> Environment(Rendered rendered, JsonObject container)
    {
        var env = new Dictionary<string, EnvValue>(StringComparer.Ordinal);
        foreach (var from in (container["envFrom"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (from["configMapRef"]?["name"]?.GetValue<string>() is { } cm)
            {
                var map = rendered.Find("ConfigMap", cm)
                    ?? throw new InvalidOperationException($"{rendered.Overlay}: envFrom names ConfigMap {cm}, which the overlay does not render.");
                foreach (var (k, v) in StringMap(map.Json["data"]))
                {
                    env[k] = new EnvValue(v, null, cm, k);
                }
            }

            if (from["secretRef"]?["name"]?.GetValue<string>() is { } secret)
            {
                env[$"*{secret}"] = new EnvValue(null, secret, null, null);
            }
        }

        foreach (var e in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = e["name"]!.GetValue<string>();
            var secretRef = e["valueFrom"]?["secretKeyRef"];
            var cmRef = e["valueFrom"]?["configMapKeyRef"];
            env[name] = secretRef is not null
                ? new EnvValue(null, secretRef["name"]!.GetValue<string>(), null, secretRef["key"]!.GetValue<string>())
                : cmRef is not null
                    ? new EnvValue(StringMap(rendered.Find("ConfigMap", cmRef["name"]!.GetValue<string>())?.Json["data"])
                        .GetValueOrDefault(cmRef["key"]!.GetValue<string>()), null, cmRef["name"]!.GetValue<string>(), cmRef["key"]!.GetValue<string>())
                    : new EnvValue(e["value"]?.ToString(), null, null, null);
        }

        return env;
    }

    /// <summary>Secret names as the base names them (kustomize appends a content hash to generated ones).</summary>
    public static string BaseName(string generatedName) =>
        HashSuffix().Replace(generatedName, "");

    // kustomize's hash alphabet has no vowels, so "-migrations" is not mistaken for one.
    [GeneratedRegex(@"-[bcdfghjklmnpqrstvwxz2456789]{10}$")]
    private static partial Regex HashSuffix();

    /// <summary>Does a label selector (matchLabels and matchExpressions) select these labels?</summary>
    public static bool Selects(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is not JsonObject sel)
        {
            return false;
        }

        foreach (var (k, v) in StringMap(sel["matchLabels"]))
        {
            if (!labels.TryGetValue(k, out var actual) || actual != v)
            {
                return false;
            }
        }

        foreach (var expr in (sel["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var key = expr["key"]!.GetValue<string>();
            var values = (expr["values"] as JsonArray ?? []).Select(x => x!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            var has = labels.TryGetValue(key, out var value);
            var ok = expr["operator"]!.GetValue<string>() switch
            {
                "In" => has && values.Contains(value!),
                "NotIn" => !has || !values.Contains(value!),
                "Exists" => has,
                "DoesNotExist" => !has,
                var op => throw new InvalidOperationException($"Unknown selector operator {op}"),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
