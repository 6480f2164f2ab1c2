using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Everything about the images that can be checked without a container engine or a base image
/// (this machine has neither): each deployable, published as its Dockerfile publishes it, starts
/// as the Dockerfile's non-root USER from a read-only WORKDIR with HOME unwritable and ICU loaded
/// (invariant globalisation off), answers gRPC health, and its migration verb fails only for lack
/// of a database. The base image itself (its ICU, its user) is the `-extra` chiseled runtime,
/// checked by <see cref="DockerfileTests"/>; its digest by <see cref="BaseImagePinTests"/>.
/// </summary>
public sealed class ImageRuntimeTests(PublishedImages published, ITestOutputHelper output) : IClassFixture<PublishedImages>
{
    public static IEnumerable<object[]> Deployables() => Platform.Names();

    /// <summary>What a start that needs a writable directory or an invariant-globalisation image prints.</summary>
    private static readonly string[] FilesystemOrIcuFailures =
    [
        "Read-only file system", "Permission denied", "UnauthorizedAccessException", "Access to the path",
        "ICU", "libicu", "globalization-invariant", "GlobalizationMode",
    ];

    [Theory]
    [MemberData(nameof(Deployables))]
    public async Task Published_output_serves_grpc_health_as_the_dockerfile_user_from_a_read_only_workdir_with_icu(string name)
    {
        var spec = ImageSpec.Of(Platform.Get(name));
        published.AppOf(name);
        output.WriteLine($"publishes so far took {published.PublishTime.TotalSeconds:F0} s");
        Assert.NotEqual(0, spec.Uid);
        Assert.NotEqual(0, spec.Gid);
        using var process = ImageProcess.Start(spec, published, "Deployment", spec.Deployable.App, []);

        using var channel = GrpcChannel.ForAddress(process.GrpcAddress);
        var health = new Health.HealthClient(channel);
        var until = DateTime.UtcNow.AddMinutes(2); // a generous start-up allowance on a loaded machine, not a measure
        HealthCheckResponse.Types.ServingStatus? status = null;
        while (status != HealthCheckResponse.Types.ServingStatus.Serving && DateTime.UtcNow < until)
        {
            Assert.False(process.HasExited, $"{name} exited with code {(process.HasExited ? process.ExitCode : 0)}:\n{process.Output}");
            try
            {
                status = (await health.CheckAsync(new HealthCheckRequest { Service = "liveness" }, deadline: DateTime.UtcNow.AddSeconds(5))).Status;
            }
            catch (RpcException)
            {
                await Task.Delay(200); // not listening yet
            }
        }

        Assert.True(status == HealthCheckResponse.Types.ServingStatus.Serving, $"{name} did not answer liveness SERVING:\n{process.Output}");

        // Really running as uid:gid, and with ICU loaded: invariant globalisation would leave libicu unmapped.
        var statusFile = await File.ReadAllLinesAsync($"/proc/{process.ProcessId}/status");
        Assert.Contains(statusFile, l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).All(v => v == spec.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains(statusFile, l => l.StartsWith("Gid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).All(v => v == spec.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains("libicuuc.so", process.MappedFiles());
        AssertNoFilesystemOrIcuFailure(name, process.Output);
    }

    [Theory]
    [MemberData(nameof(Deployables))]
    public async Task The_migration_verb_fails_for_lack_of_a_database_and_for_nothing_else(string name)
    {
        var spec = ImageSpec.Of(Platform.Get(name));
        var job = Manifests.Render("production").Find("Job", $"{spec.Deployable.App}-migrate");
        var args = job?.Containers(includeInit: false).Single()["args"] is JsonArray a ? a.Select(n => n!.GetValue<string>()).ToList() : ["migrate"];
        using var process = job is null
            ? ImageProcess.Start(spec, published, "Deployment", spec.Deployable.App, args) // the gateway: no database, no Job
            : ImageProcess.Start(spec, published, "Job", job.Name, args);

        Assert.True(await process.WaitForExitAsync(TimeSpan.FromMinutes(3)), $"{name} {string.Join(' ', args)} did not end:\n{process.Output}");
        if (spec.Deployable.Database is null)
        {
            Assert.True(process.ExitCode == 0, $"{name} {string.Join(' ', args)} exited {process.ExitCode}:\n{process.Output}");
        }
        else
        {
            Assert.True(process.ExitCode != 0, $"{name} {string.Join(' ', args)} succeeded without a database:\n{process.Output}");
            Assert.Contains("Failed to connect to 127.0.0.1", process.Output);
        }

        AssertNoFilesystemOrIcuFailure(name, process.Output);
    }

    [Theory]
    [MemberData(nameof(Deployables))]
    public void Neither_the_project_nor_the_published_runtimeconfig_turns_invariant_globalisation_on(string name)
    {
        var d = Platform.Get(name);
        var props = XDocument.Load(Path.Combine(Repo.Root, "Directory.Build.props"));
        Assert.Equal("false", props.Descendants("InvariantGlobalization").Single().Value);
        var csproj = XDocument.Load(Path.Combine(Repo.Root, d.Folder, d.Project + ".csproj"));
        Assert.DoesNotContain(csproj.Descendants(), e => e.Name.LocalName is "InvariantGlobalization" && e.Value.Trim() != "false");

        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(published.AppOf(d.Name), d.Project + ".runtimeconfig.json")));
        var options = config.RootElement.GetProperty("runtimeOptions");
        Assert.False(options.TryGetProperty("configProperties", out var p)
            && p.TryGetProperty("System.Globalization.Invariant", out var invariant) && invariant.GetBoolean(), $"{d.Project}.runtimeconfig.json sets invariant globalisation");
    }

    private static void AssertNoFilesystemOrIcuFailure(string name, string log)
    {
        foreach (var failure in FilesystemOrIcuFailures)
        {
            Assert.False(log.Contains(failure, StringComparison.Ordinal), $"{name} printed '{failure}':\n{log}");
        }
    }
}
