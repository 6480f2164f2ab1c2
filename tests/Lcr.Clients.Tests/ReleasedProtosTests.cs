namespace Lcr.Clients.Tests;

/// <summary>
/// The committed image of the last released protos (protos/released/lcr-&lt;version&gt;.binpb), the
/// baseline make lint runs buf breaking against: today's protos pass against it, and it really
/// holds the released contracts (a removed enum value is reported), so an empty or wrong image
/// cannot make the check pass by comparing against nothing.
/// </summary>
[Collection(ClientsPlatformCollection.Name)]
public sealed class ReleasedProtosTests(ClientsPlatform platform) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lcr-released-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Buf_breaking_against_the_released_image_passes_today_and_reports_a_removed_enum_value()
    {
        // The buf the TypeScript client's build installed (pinned in its package-lock.json).
        var buf = Path.Combine((await platform.TypeScriptAsync()).Directory, "node_modules", ".bin", "buf");
        var image = Directory.GetFiles(Repository.PathOf("protos", "released"), "lcr-*.binpb")
            .OrderBy(f => Version.Parse(Path.GetFileNameWithoutExtension(f)["lcr-".Length..])).Last();
        CopyProtos();

        var today = await ChildProcess.RunAsync(buf, ["breaking", "--against", image], _root, TimeSpan.FromMinutes(2));
        Assert.True(today.ExitCode == 0, today.Describe());

        var common = Path.Combine(_root, "protos", "lcr", "common", "v1", "common.proto");
        var text = await File.ReadAllTextAsync(common);
        Assert.Contains("RECORD_CATEGORY_PROBLEMS = 2;", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(common, text.Replace("RECORD_CATEGORY_PROBLEMS = 2;", string.Empty, StringComparison.Ordinal));

        var broken = await ChildProcess.RunAsync(buf, ["breaking", "--against", image], _root, TimeSpan.FromMinutes(2));
        Assert.True(broken.ExitCode != 0, broken.Describe());
        Assert.Contains("Previously present enum value \"2\" on enum \"RecordCategory\" was deleted", broken.StandardOutput + broken.StandardError,
            StringComparison.Ordinal);
    }

    private void CopyProtos()
    {
        Directory.CreateDirectory(_root);
        File.Copy(Repository.PathOf("buf.yaml"), Path.Combine(_root, "buf.yaml"));
        foreach (var file in Directory.GetFiles(Repository.PathOf("protos"), "*.proto", SearchOption.AllDirectories))
        {
            var to = Path.Combine(_root, Path.GetRelativePath(Repository.Root, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }
}
