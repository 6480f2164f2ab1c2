using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lcr.Client;

namespace Lcr.Clients.Tests;

/// <summary>
/// One platform version for the protos and both clients: LcrPlatformVersion in
/// Directory.Build.props is the source; the C# package, its constant, the npm package and the
/// released proto image (the baseline of make lint's buf breaking) must all say the same.
/// </summary>
public sealed partial class PlatformVersionTests
{
    private static string SourceVersion()
    {
        var match = VersionProperty().Match(File.ReadAllText(Repository.PathOf("Directory.Build.props")));
        Assert.True(match.Success, "Directory.Build.props has no <LcrPlatformVersion>");
        return match.Groups[1].Value;
    }

    [Fact]
    public void The_platform_version_is_a_plain_semantic_version()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+$", SourceVersion());
    }

    [Fact]
    public void The_csharp_client_constant_and_assembly_version_are_the_platform_version()
    {
        var version = SourceVersion();

        Assert.Equal(LcrPlatform.Version, version);
        Assert.Equal(new Version(version + ".0"), typeof(LcrClient).Assembly.GetName().Version);
        var informational = typeof(LcrClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.StartsWith(version, informational, StringComparison.Ordinal);
    }

    [Fact]
    public void The_npm_package_version_is_the_platform_version()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("clients", "typescript", "package.json")));
        using var lockFile = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("clients", "typescript", "package-lock.json")));

        Assert.Equal(SourceVersion(), manifest.RootElement.GetProperty("version").GetString());
        Assert.Equal(SourceVersion(), lockFile.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public void The_released_proto_image_of_the_platform_version_is_committed_for_buf_breaking()
    {
        var image = Repository.PathOf("protos", "released", $"lcr-{SourceVersion()}.binpb");

        Assert.True(File.Exists(image), $"{image} is missing: a new platform version is a release; build its image (docs/operations.md)");
        Assert.True(new FileInfo(image).Length > 1000);
    }

    [GeneratedRegex(@"<LcrPlatformVersion>([^<]+)</LcrPlatformVersion>")]
    private static partial Regex VersionProperty();
}
