using System.Text.Json.Nodes;

namespace Lcr.Deployment.Tests;

/// <summary>The project's rules for every pod, container and workload in every overlay.</summary>
public sealed class PodRulesTests
{
    public static IEnumerable<object[]> Overlays() => Manifests.OverlayNames();

    private static void AssertEveryContainer(string overlay, Func<K8sObject, JsonObject, string?> problemOf, bool longRunningOnly = false)
    {
        var rendered = Manifests.Render(overlay);
        var problems = new List<string>();
        var seen = 0;
        foreach (var w in rendered.Workloads.Where(w => !longRunningOnly || w.IsLongRunning))
        {
            foreach (var c in w.Containers(includeInit: !longRunningOnly))
            {
                seen++;
                if (problemOf(w, c) is { } problem)
                {
                    problems.Add($"{w} container {c["name"]}: {problem}");
                }
            }
        }

        Assert.True(seen > 0, $"{overlay}: no containers found");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_long_running_container_has_startup_liveness_and_readiness_probes(string overlay) =>
        // Jobs (the migration runners) are exempt: they run to completion and serve nothing.
        AssertEveryContainer(overlay, (_, c) =>
            new[] { "startupProbe", "livenessProbe", "readinessProbe" }.Where(p => c[p] is not JsonObject) is var missing && missing.Any()
                ? "no " + string.Join(", ", missing)
                : null, longRunningOnly: true);

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_container_has_cpu_and_memory_requests_and_limits(string overlay) =>
        AssertEveryContainer(overlay, (_, c) =>
        {
            var missing = new List<string>();
            foreach (var kind in new[] { "requests", "limits" })
            {
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    if (c["resources"]?[kind]?[resource] is null)
                    {
                        missing.Add($"{kind}.{resource}");
                    }
                }
            }

            return missing.Count > 0 ? "no " + string.Join(", ", missing) : null;
        });

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_container_runs_as_non_root_read_only_without_escalation_or_capabilities(string overlay) =>
        AssertEveryContainer(overlay, (w, c) =>
        {
            var sc = c["securityContext"] as JsonObject;
            var pod = w.PodSpec!["securityContext"] as JsonObject;
            var problems = new List<string>();
            if (sc?["runAsNonRoot"]?.GetValue<bool>() != true)
            {
                problems.Add("runAsNonRoot is not true");
            }

            if ((sc?["runAsUser"] ?? pod?["runAsUser"])?.GetValue<int>() is null or 0)
            {
                problems.Add("no numeric non-root runAsUser");
            }

            if (sc?["readOnlyRootFilesystem"]?.GetValue<bool>() != true)
            {
                problems.Add("readOnlyRootFilesystem is not true");
            }

            if (sc?["allowPrivilegeEscalation"]?.GetValue<bool>() != false)
            {
                problems.Add("allowPrivilegeEscalation is not false");
            }

            if (sc?["privileged"]?.GetValue<bool>() == true)
            {
                problems.Add("privileged");
            }

            var drop = (sc?["capabilities"]?["drop"] as JsonArray ?? []).Select(x => x!.GetValue<string>()).ToList();
            if (!drop.Contains("ALL"))
            {
                problems.Add("capabilities do not drop ALL");
            }

            if (sc?["capabilities"]?["add"] is JsonArray { Count: > 0 })
            {
                problems.Add("capabilities added");
            }

            return problems.Count > 0 ? string.Join("; ", problems) : null;
        });

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_pod_uses_the_runtime_default_seccomp_profile_and_mounts_no_service_account_token(string overlay)
    {
        var problems = new List<string>();
        foreach (var w in Manifests.Render(overlay).Workloads)
        {
            var spec = w.PodSpec!;
            if (spec["securityContext"]?["seccompProfile"]?["type"]?.GetValue<string>() != "RuntimeDefault")
            {
                problems.Add($"{w}: seccompProfile is not RuntimeDefault");
            }

            if (spec["automountServiceAccountToken"]?.GetValue<bool>() != false)
            {
                problems.Add($"{w}: the service account token is mounted (nothing here calls the Kubernetes API)");
            }

            if (spec["hostNetwork"]?.GetValue<bool>() == true || spec["hostPID"]?.GetValue<bool>() == true || spec["hostIPC"]?.GetValue<bool>() == true)
            {
                problems.Add($"{w}: shares a host namespace");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Platform_servers_probe_the_grpc_health_service_names_natively(string overlay)
    {
        foreach (var d in Manifests.Render(overlay).PlatformServers)
        {
            var c = Assert.Single(d.Containers());
            Assert.Equal(Platform.GrpcPort, c["ports"]![0]!["containerPort"]!.GetValue<int>());
            foreach (var (probe, service) in new[] { ("startupProbe", "liveness"), ("livenessProbe", "liveness"), ("readinessProbe", "readiness") })
            {
                var grpc = c[probe]?["grpc"];
                Assert.True(grpc is not null, $"{d}: {probe} is not a native gRPC probe");
                Assert.Equal(Platform.GrpcPort, grpc!["port"]!.GetValue<int>());
                Assert.Equal(service, grpc["service"]?.GetValue<string>());
            }

            // /tmp is the only writable place (read-only root filesystem).
            Assert.Contains(c["volumeMounts"]!.AsArray(), m => m!["mountPath"]!.GetValue<string>() == "/tmp");
            Assert.Equal(Platform.AppUid, c["securityContext"]!["runAsUser"]!.GetValue<int>());
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void PreStop_sleep_and_the_drain_fit_in_the_termination_grace_period(string overlay)
    {
        // Deleting a pod: the preStop sleep lets endpoints and DNS drop it, then SIGTERM and
        // Kestrel drains in-flight calls for Lcr__ShutdownTimeoutSeconds; both must end before
        // terminationGracePeriodSeconds or calls are cut off by SIGKILL.
        var rendered = Manifests.Render(overlay);
        Assert.NotEmpty(rendered.PlatformServers);
        foreach (var d in rendered.Workloads.Where(w => w.IsLongRunning))
        {
            var grace = d.PodSpec!["terminationGracePeriodSeconds"]?.GetValue<int>() ?? 30;
            foreach (var c in d.Containers(includeInit: false))
            {
                var preStop = c["lifecycle"]?["preStop"];
                var sleep = preStop?["sleep"]?["seconds"]?.GetValue<int>()
                    ?? (preStop?["exec"]?["command"] is JsonArray cmd && cmd.Count == 2 && cmd[0]!.GetValue<string>().EndsWith("sleep", StringComparison.Ordinal)
                        ? int.Parse(cmd[1]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
                        : (int?)null);
                if (!d.IsPlatformServer && sleep is null)
                {
                    continue;
                }

                Assert.True(sleep is > 0, $"{d}: a platform server needs a preStop sleep so draining loses no call");
                var env = Manifests.Environment(rendered, c);
                var drain = d.IsPlatformServer ? int.Parse(env["Lcr__ShutdownTimeoutSeconds"].Literal!, System.Globalization.CultureInfo.InvariantCulture) : 0;
                Assert.True(sleep + drain < grace, $"{d}: preStop {sleep} s + drain {drain} s is not within terminationGracePeriodSeconds {grace}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_deployment_has_a_disruption_budget_and_an_autoscaler_that_owns_its_replicas(string overlay)
    {
        var rendered = Manifests.Render(overlay);
        foreach (var d in rendered.OfKind("Deployment"))
        {
            var pdbs = rendered.OfKind("PodDisruptionBudget").Where(p => Manifests.Selects(p.Json["spec"]!["selector"], d.PodLabels)).ToList();
            var pdb = Assert.Single(pdbs);
            Assert.True(pdb.Json["spec"]!["maxUnavailable"] is not null || pdb.Json["spec"]!["minAvailable"] is not null, $"{pdb} sets no budget");
            // minAvailable equal to the replica count would block every node drain.
            Assert.True(pdb.Json["spec"]!["minAvailable"] is null, $"{pdb}: use maxUnavailable so a single replica can still be evicted");

            var hpa = Assert.Single(rendered.OfKind("HorizontalPodAutoscaler"), h =>
                h.Json["spec"]!["scaleTargetRef"]!["kind"]!.GetValue<string>() == "Deployment"
                && h.Json["spec"]!["scaleTargetRef"]!["name"]!.GetValue<string>() == d.Name);
            var min = hpa.Json["spec"]!["minReplicas"]!.GetValue<int>();
            var max = hpa.Json["spec"]!["maxReplicas"]!.GetValue<int>();
            Assert.True(min >= 1 && max >= min, $"{hpa}: min {min}, max {max}");
            Assert.True(d.Json["spec"]!["replicas"] is null, $"{d} sets replicas, which every apply would reset under the autoscaler");
        }
    }

    [Fact]
    public void Production_runs_at_least_two_replicas_of_everything_and_dev_one()
    {
        foreach (var hpa in Manifests.Render("production").OfKind("HorizontalPodAutoscaler"))
        {
            Assert.True(hpa.Json["spec"]!["minReplicas"]!.GetValue<int>() >= 2, $"{hpa}");
        }

        foreach (var hpa in Manifests.Render("dev").OfKind("HorizontalPodAutoscaler"))
        {
            Assert.Equal(1, hpa.Json["spec"]!["minReplicas"]!.GetValue<int>());
        }

        // Stricter in production: memory limit equals the request.
        foreach (var d in Manifests.Render("production").PlatformServers)
        {
            var r = d.Containers().Single()["resources"]!;
            Assert.Equal(r["requests"]!["memory"]!.ToString(), r["limits"]!["memory"]!.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Platform_servers_spread_over_zones_and_nodes(string overlay)
    {
        foreach (var d in Manifests.Render(overlay).PlatformServers)
        {
            var keys = (d.PodSpec!["topologySpreadConstraints"] as JsonArray ?? [])
                .Select(t => t!["topologyKey"]!.GetValue<string>()).ToList();
            Assert.Contains("topology.kubernetes.io/zone", keys);
            Assert.Contains("kubernetes.io/hostname", keys);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Images_are_pinned_to_a_tag_that_is_not_latest(string overlay)
    {
        var problems = new List<string>();
        foreach (var w in Manifests.Render(overlay).Workloads)
        {
            foreach (var c in w.Containers())
            {
                var image = c["image"]!.GetValue<string>();
                var lastSegment = image[(image.LastIndexOf('/') + 1)..];
                var hasDigest = image.Contains("@sha256:", StringComparison.Ordinal);
                var tag = lastSegment.Contains(':') ? lastSegment[(lastSegment.IndexOf(':') + 1)..] : null;
                if (!hasDigest && (tag is null || tag == "latest"))
                {
                    problems.Add($"{w}: image {image} is not pinned (no tag, or latest)");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Production_images_come_from_a_registry_with_a_release_tag()
    {
        foreach (var d in Manifests.Render("production").Workloads)
        {
            var image = d.Containers().Single()["image"]!.GetValue<string>();
            Assert.Matches(@"^[a-z0-9.-]+\.[a-z]+(:\d+)?/.+(:\d+\.\d+\.\d+[-.\w]*|@sha256:[0-9a-f]{64})$", image);
        }
    }
}
