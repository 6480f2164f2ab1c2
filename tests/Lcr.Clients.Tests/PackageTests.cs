using System.IO.Compression;
using System.Xml.Linq;
using Lcr.Client;

namespace Lcr.Clients.Tests;

/// <summary>The Lcr.Client NuGet package: what another NHS system's .NET build restores.</summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _output = Path.Combine(Path.GetTempPath(), "lcr-client-pack-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }
    }

    [Fact]
    public async Task Dotnet_pack_produces_one_package_with_the_contracts_inside_and_only_client_dependencies()
    {
        // The solution is already built (make test builds it first), so pack only packs.
        var result = await ChildProcess.RunAsync("dotnet",
            ["pack", Repository.PathOf("clients", "dotnet", "Lcr.Client", "Lcr.Client.csproj"), "-c", Repository.Configuration,
                "--no-build", "-o", _output, "-nologo"],
            Repository.Root, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.Describe());

        var package = Assert.Single(Directory.GetFiles(_output, "*.nupkg"));
        Assert.Equal($"Lcr.Client.{LcrPlatform.Version}.nupkg", Path.GetFileName(package));
        using var zip = ZipFile.OpenRead(package);
        var files = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net10.0/Lcr.Client.dll", files);
        Assert.Contains("lib/net10.0/Lcr.Client.xml", files);
        Assert.Contains("lib/net10.0/Lcr.Contracts.dll", files);
        Assert.Contains("README.md", files);

        await using var nuspecStream = zip.GetEntry("Lcr.Client.nuspec")!.Open();
        var nuspec = await XDocument.LoadAsync(nuspecStream, LoadOptions.None, CancellationToken.None);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToHashSet();
        Assert.Equal(["Google.Api.CommonProtos", "Google.Protobuf", "Grpc.Net.Client", "Grpc.StatusProto"], dependencies.Order());
    }
}
