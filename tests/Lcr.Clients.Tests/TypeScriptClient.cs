namespace Lcr.Clients.Tests;

/// <summary>
/// The TypeScript client as a developer of another system builds it from a clean checkout:
/// clients/typescript and protos/ copied to a temporary directory (nothing from the
/// working tree's node_modules, gen or dist), then <c>npm ci</c> (the pinned buf,
/// protoc-gen-es, Connect and TypeScript from the npm registry), <c>npm run build</c>
/// (<c>buf generate</c>, then <c>tsc</c>). <see cref="PackedSampleAsync"/> then packs it with
/// <c>npm pack</c> and installs the tarball into clients/typescript/sample, as another system would.
/// </summary>
public sealed class TypeScriptClient : IAsyncLifetime
{
    private static readonly string[] Skipped = ["node_modules", "gen", "dist"];
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lcr-ts-client-" + Guid.NewGuid().ToString("N"));
    private readonly Lazy<Task<string>> _packed;

    public TypeScriptClient() => _packed = new Lazy<Task<string>>(PackAndInstallSampleAsync);

    /// <summary>The copy of clients/typescript that was built.</summary>
    public string Directory => Path.Combine(_root, "clients", "typescript");

    public async Task InitializeAsync()
    {
        Copy(Repository.PathOf("clients", "typescript"), Directory);
        Copy(Repository.PathOf("protos"), Path.Combine(_root, "protos"));
        // The platform version (LcrPlatformVersion) that npm run check-version compares package.json with.
        File.Copy(Repository.PathOf("Directory.Build.props"), Path.Combine(_root, "Directory.Build.props"));
        await MustSucceed(await Npm(["ci", "--no-audit", "--no-fund", "--loglevel=error"], TimeSpan.FromMinutes(4)),
            "npm ci (it needs the npm registry; see clients/typescript/README.md)");
        await MustSucceed(await Npm(["run", "build"], TimeSpan.FromMinutes(4)), "npm run build (buf generate, tsc)");
    }

    public Task DisposeAsync()
    {
        if (System.IO.Directory.Exists(_root))
        {
            System.IO.Directory.Delete(_root, recursive: true);
        }

        return Task.CompletedTask;
    }

    public Task<ProcessResult> Npm(IEnumerable<string> arguments, TimeSpan timeout) =>
        ChildProcess.RunAsync("npm", arguments, Directory, timeout);

    /// <summary>Runs the compiled example with node, configured by environment variables as a developer would.</summary>
    public Task<ProcessResult> RunExampleAsync(IReadOnlyDictionary<string, string> environment) =>
        ChildProcess.RunAsync("node", [Path.Combine("dist", "examples", "read-record.js")], Directory, TimeSpan.FromMinutes(2), environment);

    /// <summary>The sample's folder (clients/typescript/sample in the copy).</summary>
    public string SampleDirectory => Path.Combine(Directory, "sample");

    /// <summary>
    /// The tarball <c>npm pack</c> made from the built client, once installed into the sample with
    /// <c>npm install &lt;tarball&gt;</c> (dependencies from the npm cache that <c>npm ci</c> filled).
    /// </summary>
    public Task<string> PackedSampleAsync() => _packed.Value;

    /// <summary>Runs the sample (installed from the tarball) with node and the given environment.</summary>
    public async Task<ProcessResult> RunSampleAsync(IReadOnlyDictionary<string, string> environment)
    {
        await PackedSampleAsync();
        return await ChildProcess.RunAsync("node", ["sign-in.mjs"], SampleDirectory, TimeSpan.FromMinutes(2), environment);
    }

    private async Task<string> PackAndInstallSampleAsync()
    {
        var packs = Path.Combine(_root, "packs");
        System.IO.Directory.CreateDirectory(packs);
        await MustSucceed(await Npm(["pack", "--pack-destination", packs, "--loglevel=error"], TimeSpan.FromMinutes(2)), "npm pack");
        var tarball = System.IO.Directory.GetFiles(packs, "*.tgz").Single();
        await MustSucceed(await ChildProcess.RunAsync("npm",
                ["install", "--no-save", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], SampleDirectory, TimeSpan.FromMinutes(2)),
            "npm install <tarball> in the sample");
        return tarball;
    }

    private static Task MustSucceed(ProcessResult result, string what) =>
        result.ExitCode == 0 ? Task.CompletedTask : throw new InvalidOperationException($"{what} failed: {result.Describe()}");

    private static void Copy(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in System.IO.Directory.GetDirectories(from).Where(d => !Skipped.Contains(Path.GetFileName(d))))
        {
            Copy(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
