using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lcr.Deployment.Tests;

/// <summary>Secrets, configuration, the gateway's routing, migrations and the deploy phases.</summary>
public sealed partial class ConfigurationTests
{
    public static IEnumerable<object[]> Overlays() => Manifests.OverlayNames();

    /// <summary>The Secrets a real environment must provide (docs/operations.md lists the same).</summary>
    private static readonly Dictionary<string, string[]> RequiredSecrets = new()
    {
        ["lcr-platform"] = ["Lcr__PseudonymKey", "Internal__SigningKey"],
        ["lcr-identity"] = ["ConnectionStrings__Identity", "Identity__KeyEncryptionKey"],
        ["lcr-demographics"] = ["ConnectionStrings__Demographics"],
        ["lcr-consent"] = ["ConnectionStrings__Consent"],
        ["lcr-clinical"] = ["ConnectionStrings__Clinical"],
        ["lcr-audit"] = ["ConnectionStrings__Audit"],
        ["lcr-audit-migrations"] = ["ConnectionStrings__AuditMigrations"],
        ["lcr-redis"] = ["ConnectionStrings__Redis"],
    };

    private static IEnumerable<(K8sObject Workload, JsonObject Container, Manifests.EnvValue Value, string Env)> SecretRefs(Manifests.Rendered r) =>
        from w in r.Workloads
        where w.PodLabels.GetValueOrDefault("app.kubernetes.io/component") is "server" or "migration"
        from c in w.Containers()
        from kv in Manifests.Environment(r, c)
        where kv.Value.SecretName is not null
        select (w, c, kv.Value, kv.Key);

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_secret_and_config_map_reference_names_a_required_secret_key_or_a_rendered_config_map(string overlay)
    {
        var r = Manifests.Render(overlay);
        var problems = new List<string>();
        foreach (var (w, _, value, env) in SecretRefs(r))
        {
            var secret = Manifests.BaseName(value.SecretName!);
            var devOnly = overlay == "dev" && env is "Identity__SeedPassword" or "Identity__SeedClientSecret";
            if (!devOnly && (!RequiredSecrets.TryGetValue(secret, out var keys) || !keys.Contains(value.Key)))
            {
                problems.Add($"{w}: {env} comes from {secret}/{value.Key}, which is not in the documented list of Secrets");
            }

            if (overlay == "dev")
            {
                var rendered = r.Find("Secret", value.SecretName!);
                if (rendered is null || !Manifests.StringMap(rendered.Json["data"]).ContainsKey(value.Key!))
                {
                    problems.Add($"{w}: {env} names {value.SecretName}/{value.Key}, which dev does not render");
                }
            }
        }

        // Every documented key is used by something, so the list is not stale.
        var used = SecretRefs(r).Select(x => (Manifests.BaseName(x.Value.SecretName!), x.Value.Key)).ToHashSet();
        foreach (var (secret, keys) in RequiredSecrets)
        {
            foreach (var key in keys.Where(k => !used.Contains((secret, k))))
            {
                problems.Add($"{secret}/{key} is documented but no container uses it");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void The_documented_secrets_are_the_ones_the_manifests_need()
    {
        var docs = File.ReadAllText(Path.Combine(Repo.Root, "docs", "operations.md"));
        foreach (var (secret, keys) in RequiredSecrets)
        {
            Assert.Contains(secret, docs);
            foreach (var key in keys)
            {
                Assert.Contains(key, docs);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_server_gets_the_settings_make_run_uses(string overlay)
    {
        var r = Manifests.Render(overlay);
        foreach (var d in Platform.All)
        {
            var deployment = r.Find("Deployment", d.App)!;
            var env = Manifests.Environment(r, deployment.Containers().Single());
            Assert.Equal($"http://0.0.0.0:{Platform.GrpcPort}", env["Kestrel__Endpoints__Grpc__Url"].Literal);
            Assert.StartsWith("http://", env["OTEL_EXPORTER_OTLP_ENDPOINT"].Literal);
            Assert.Equal(overlay == "dev" ? "Development" : "Production", env["ASPNETCORE_ENVIRONMENT"].Literal);
            Assert.Equal("false", env["Lcr__MigrateOnStartup"].Literal);
            foreach (var key in new[] { "Lcr__PseudonymKey", "Internal__SigningKey" }.Concat(d.ExtraSecrets))
            {
                Assert.True(env.TryGetValue(key, out var v) && v.SecretName is not null, $"{deployment}: {key} is not from a Secret");
            }

            Assert.Equal(d.Database is not null, env.TryGetValue($"ConnectionStrings__{d.Database}", out var db) && db.SecretName is not null);
            Assert.Equal(d.UsesRedis, env.TryGetValue("ConnectionStrings__Redis", out var redis) && redis.SecretName is not null);

            // The audit schema owner's credentials never reach a serving pod.
            Assert.False(env.ContainsKey("ConnectionStrings__AuditMigrations"), $"{deployment} has the migration credentials");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_gateway_balances_over_the_headless_service_of_each_service_in_its_namespace(string overlay)
    {
        var r = Manifests.Render(overlay);
        var gateway = r.Find("Deployment", "lcr-gateway")!;
        var env = Manifests.Environment(r, gateway.Containers().Single());
        foreach (var d in Platform.All.Where(d => d.Name != "gateway"))
        {
            var key = $"Services__{char.ToUpperInvariant(d.Name[0])}{d.Name[1..]}";
            var address = env[key].Literal!;
            var m = DnsAddress().Match(address);
            Assert.True(m.Success, $"{key}={address} is not a dns:/// address (client-side round robin needs one)");
            var service = r.Find("Service", m.Groups["service"].Value);
            Assert.True(service is not null, $"{key}: no Service {m.Groups["service"].Value}");
            Assert.Equal("None", service.Json["spec"]!["clusterIP"]?.GetValue<string>());
            Assert.Equal(Platform.GrpcPort, int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Platform.GrpcPort, service.Json["spec"]!["ports"]![0]!["port"]!.GetValue<int>());
            Assert.True(Manifests.Selects(new JsonObject { ["matchLabels"] = service.Json["spec"]!["selector"]!.DeepClone() },
                r.Find("Deployment", d.App)!.PodLabels), $"{service} does not select {d.App}'s pods");
            // Only ready pods are published, so a starting or draining pod gets no calls.
            Assert.NotEqual(true, service.Json["spec"]!["publishNotReadyAddresses"]?.GetValue<bool>());
        }
    }

    // A Service name alone: resolved in the gateway's own namespace (NamespaceTests).
    [GeneratedRegex(@"^dns:///(?<service>[a-z0-9-]+):(?<port>\d+)$")]
    private static partial Regex DnsAddress();

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_service_with_a_database_has_a_migration_job_running_its_own_image(string overlay)
    {
        var r = Manifests.Render(overlay);
        foreach (var d in Platform.All)
        {
            var job = r.Find("Job", d.App + "-migrate");
            if (d.Database is null)
            {
                Assert.Null(job);
                continue;
            }

            Assert.NotNull(job);
            var server = r.Find("Deployment", d.App)!.Containers().Single();
            var runner = job!.Containers().Single();
            Assert.Equal(server["image"]!.ToString(), runner["image"]!.ToString());
            Assert.Equal(overlay == "dev" ? "seed" : "migrate", Assert.Single(runner["args"]!.AsArray())!.GetValue<string>());
            Assert.Equal("Never", job.PodSpec!["restartPolicy"]!.GetValue<string>());
            Assert.NotNull(job.Json["spec"]!["activeDeadlineSeconds"]);
            var env = Manifests.Environment(r, runner);
            Assert.True(env.ContainsKey($"ConnectionStrings__{d.Database}"));
            if (d.Name == "audit")
            {
                Assert.Equal("lcr-audit-migrations", Manifests.BaseName(env["ConnectionStrings__AuditMigrations"].SecretName!));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Deploy_phases_put_migrations_after_their_dependencies_and_before_the_servers(string overlay)
    {
        // k8s/deploy.sh applies `lcr.nhs.uk/phase` foundation, then migrate (and waits), then
        // serve. Every object is in exactly one phase, and nothing depends on a later one.
        var r = Manifests.Render(overlay);
        var order = new Dictionary<string, int> { ["foundation"] = 0, ["migrate"] = 1, ["serve"] = 2 };
        var phase = new Dictionary<(string, string), int>();
        var problems = new List<string>();
        foreach (var o in r.Objects)
        {
            if (!o.Labels.TryGetValue("lcr.nhs.uk/phase", out var p) || !order.TryGetValue(p, out var n))
            {
                problems.Add($"{o}: no lcr.nhs.uk/phase label of foundation, migrate or serve");
                continue;
            }

            phase[(o.Kind, o.Name)] = n;
            var expected = o.Kind == "Job" ? 1 : o.IsPlatformServer || (o.Kind is "PodDisruptionBudget" or "HorizontalPodAutoscaler" && o.Name.StartsWith("lcr-", StringComparison.Ordinal) && r.Find("Deployment", o.Name)?.IsPlatformServer == true) ? 2 : 0;
            if (n != expected)
            {
                problems.Add($"{o}: phase {p}, expected {order.First(kv => kv.Value == expected).Key}");
            }
        }

        foreach (var w in r.Workloads)
        {
            var refs = new List<(string Kind, string Name)> { ("ServiceAccount", w.PodSpec!["serviceAccountName"]?.GetValue<string>() ?? "") };
            foreach (var c in w.Containers())
            {
                refs.AddRange(Manifests.Environment(r, c).Values.Where(v => v.SecretName is not null).Select(v => ("Secret", v.SecretName!)));
                refs.AddRange(Manifests.Environment(r, c).Values.Where(v => v.ConfigMapName is not null).Select(v => ("ConfigMap", v.ConfigMapName!)));
            }

            foreach (var (kind, name) in refs.Where(x => x.Name != ""))
            {
                if (phase.TryGetValue((kind, name), out var dep) && dep >= phase.GetValueOrDefault((w.Kind, w.Name)) && phase[(w.Kind, w.Name)] != 0)
                {
                    problems.Add($"{w} needs {kind}/{name}, which is applied in the same or a later phase");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
