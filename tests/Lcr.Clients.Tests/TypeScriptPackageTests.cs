using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Lcr.Client;

namespace Lcr.Clients.Tests;

/// <summary>
/// The TypeScript client as an npm package: the tarball <c>npm pack</c> makes from the built
/// client, and the sample (clients/typescript/sample) that installs that tarball and calls the
/// real platform's gateway through it, from outside the client's source tree.
/// </summary>
[Collection(ClientsPlatformCollection.Name)]
public sealed class TypeScriptPackageTests(ClientsPlatform platform)
{
    [Fact]
    public async Task Npm_pack_makes_the_named_versioned_package_with_esm_exports_types_and_only_library_files()
    {
        var client = await platform.TypeScriptAsync();
        var tarball = await client.PackedSampleAsync();

        Assert.Equal($"leeds-care-record-client-{LcrPlatform.Version}.tgz", Path.GetFileName(tarball));
        var entries = await ReadTarballAsync(tarball);
        Assert.Contains("package/README.md", entries.Keys);
        Assert.Contains("package/dist/src/index.js", entries.Keys);
        Assert.Contains("package/dist/src/index.d.ts", entries.Keys);
        Assert.Contains("package/dist/gen/version.js", entries.Keys);
        Assert.Contains("package/dist/gen/lcr/gateway/v1/gateway_pb.d.ts", entries.Keys);
        // Tests, examples, sources of the build and the sample stay out of the package.
        Assert.DoesNotContain(entries.Keys, e => e.StartsWith("package/dist/test/", StringComparison.Ordinal)
            || e.StartsWith("package/dist/examples/", StringComparison.Ordinal)
            || e.StartsWith("package/sample/", StringComparison.Ordinal)
            || e.StartsWith("package/node_modules/", StringComparison.Ordinal)
            || e.EndsWith(".proto", StringComparison.Ordinal));

        using var manifest = JsonDocument.Parse(entries["package/package.json"]);
        var root = manifest.RootElement;
        Assert.Equal("@leeds-care-record/client", root.GetProperty("name").GetString());
        Assert.Equal(LcrPlatform.Version, root.GetProperty("version").GetString());
        Assert.Equal("module", root.GetProperty("type").GetString());
        Assert.False(root.TryGetProperty("private", out _));
        var main = root.GetProperty("exports").GetProperty(".");
        Assert.Equal("./dist/src/index.d.ts", main.GetProperty("types").GetString());
        Assert.Equal("./dist/src/index.js", main.GetProperty("default").GetString());
        // The runtime dependencies only: the generators and the compiler are the build's business.
        var dependencies = root.GetProperty("dependencies").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-node"], dependencies);
        Assert.Contains($"PLATFORM_VERSION = \"{LcrPlatform.Version}\"", entries["package/dist/gen/version.js"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sample_type_checks_against_the_types_the_package_exports()
    {
        var client = await platform.TypeScriptAsync();
        await client.PackedSampleAsync();

        // The client's own TypeScript (the sample has no build of its own) checks the sample's
        // JavaScript against the .d.ts files found through the installed package's exports.
        var result = await ChildProcess.RunAsync(Path.Combine(client.Directory, "node_modules", ".bin", "tsc"),
            ["--noEmit", "--allowJs", "--checkJs", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext",
                "--target", "es2022", "--typeRoots", "../node_modules/@types", "--types", "node", "sign-in.mjs"],
            client.SampleDirectory, TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Fact]
    public async Task Sample_installed_from_the_packed_tarball_says_its_platform_version_and_signs_in_through_the_gateway()
    {
        var client = await platform.TypeScriptAsync();

        var result = await client.RunSampleAsync(Environment(platform.Platform.SeedPassword));

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains($"@leeds-care-record/client for platform {LcrPlatform.Version}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Signed in as Dr Priya Shah", result.StandardOutput, StringComparison.Ordinal);
        // Resolved through the package's exports from node_modules, not from the source tree.
        Assert.True(File.Exists(Path.Combine(client.SampleDirectory, "node_modules", "@leeds-care-record", "client", "dist", "src", "index.js")));
    }

    [Fact]
    public async Task Sample_prints_UNAUTHENTICATED_and_the_ErrorInfo_reason_for_a_wrong_password()
    {
        var client = await platform.TypeScriptAsync();

        // Another user than the other tests sign in as, so the sign-in throttle slows nobody else.
        var result = await client.RunSampleAsync(Environment("not-the-password", user: "clerk.rr8"));

        Assert.True(result.ExitCode == 1, result.Describe());
        Assert.Contains("Error: UNAUTHENTICATED reason: INVALID_CREDENTIALS", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
    }

    private Dictionary<string, string> Environment(string password, string user = "gp.b86001") => new()
    {
        ["LCR_GATEWAY"] = platform.Platform.GatewayAddress,
        ["LCR_USER"] = user,
        ["LCR_PASSWORD"] = password,
        // A generous deadline: the test machine is shared.
        ["LCR_TIMEOUT_MS"] = "60000",
    };

    private static async Task<Dictionary<string, string>> ReadTarballAsync(string tarball)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var file = File.OpenRead(tarball);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            if (entry.DataStream is null)
            {
                continue;
            }

            using var text = new StreamReader(entry.DataStream);
            entries[entry.Name] = await text.ReadToEndAsync();
        }

        return entries;
    }
}
