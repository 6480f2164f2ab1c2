using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Lcr.Deployment.Tests;

/// <summary>
/// The Dockerfiles cannot be built here (no Docker engine), so their shape is checked: each
/// copies exactly what its project needs, publishes only that project, runs as a numeric
/// non-root user on a pinned runtime image with ICU and no SDK, and passes the linter.
/// </summary>
public sealed partial class DockerfileTests
{
    public static IEnumerable<object[]> Deployables() => Platform.Names();

    private static readonly string[] BuildProps = ["global.json", "Directory.Build.props", "Directory.Packages.props"];

    internal sealed record Instruction(int Stage, string Keyword, string Arguments);

    /// <summary>Instructions with line continuations joined and comments dropped; Stage counts FROMs.</summary>
    internal static List<Instruction> Parse(string dockerfile)
    {
        var joined = Regex.Replace(File.ReadAllText(dockerfile), @"\\\r?\n", " ");
        var result = new List<Instruction>();
        var stage = -1;
        foreach (var raw in joined.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var space = line.IndexOf(' ');
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            if (keyword == "FROM")
            {
                stage++;
            }

            result.Add(new Instruction(stage, keyword, space < 0 ? "" : line[(space + 1)..].Trim()));
        }

        return result;
    }

    internal static string DockerfileOf(Platform.Deployable d) => Path.Combine(Repo.Root, d.Folder, "Dockerfile");

    /// <summary>Folders (relative, with a trailing slash) of the project and every project it references, transitively.</summary>
    private static HashSet<string> ProjectClosure(string csproj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(csproj)]);
        while (pending.TryPop(out var project))
        {
            var dir = Path.GetDirectoryName(project)!;
            if (!seen.Add(Path.GetRelativePath(Repo.Root, dir).Replace('\\', '/') + "/"))
            {
                continue;
            }

            var xml = XDocument.Load(project);
            foreach (var reference in xml.Descendants("ProjectReference"))
            {
                pending.Push(Path.GetFullPath(Path.Combine(dir, reference.Attribute("Include")!.Value.Replace('\\', '/'))));
            }

            // Items outside the project folder (the protos of Lcr.Contracts).
            foreach (var item in xml.Descendants("Protobuf"))
            {
                var include = item.Attribute("Include")!.Value.Replace('\\', '/');
                var glob = include.IndexOf("**", StringComparison.Ordinal);
                var fixedPart = glob >= 0 ? include[..glob] : include;
                seen.Add(Path.GetRelativePath(Repo.Root, Path.GetFullPath(Path.Combine(dir, fixedPart))).Replace('\\', '/').TrimEnd('/') + "/");
            }
        }

        return seen;
    }

    [Fact]
    public void Every_deployable_in_the_tree_has_a_Dockerfile_and_is_known_to_these_checks()
    {
        var webProjects = Directory.GetFiles(Path.Combine(Repo.Root, "services"), "*.csproj", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(Repo.Root, "gateway"), "*.csproj", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(p => File.ReadAllText(p).Contains("Microsoft.NET.Sdk.Web", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(Repo.Root, Path.GetDirectoryName(p)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(Platform.All.Select(d => d.Folder).Order(StringComparer.Ordinal), webProjects);
        Assert.All(Platform.All, d => Assert.True(File.Exists(DockerfileOf(d)), $"{d.Folder}/Dockerfile is missing"));
    }

    [Theory]
    [MemberData(nameof(Deployables))]
    public void Dockerfile_copies_only_what_its_project_needs_and_everything_it_needs(string name)
    {
        var d = Platform.Get(name);
        var instructions = Parse(DockerfileOf(d));
        var sources = instructions
            .Where(i => i.Keyword is "COPY" or "ADD" && !i.Arguments.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(i =>
            {
                var parts = i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToList();
                return parts.Take(parts.Count - 1);
            })
            .Select(s => s.TrimStart('.', '/'))
            .ToList();

        Assert.DoesNotContain(instructions, i => i.Keyword == "ADD");
        var needed = ProjectClosure(Path.Combine(Repo.Root, d.Folder, d.Project + ".csproj"));
        var allowed = new HashSet<string>(BuildProps.Concat(["protos/", "services/shared/", d.Folder + "/"]), StringComparer.Ordinal);
        foreach (var s in sources)
        {
            Assert.True(allowed.Contains(s), $"{d.Folder}/Dockerfile copies '{s}', which its project does not need");
        }

        foreach (var prop in BuildProps)
        {
            Assert.Contains(prop, sources);
        }

        foreach (var folder in needed)
        {
            Assert.True(sources.Any(s => s.EndsWith('/') && folder.StartsWith(s, StringComparison.Ordinal)),
                $"{d.Folder}/Dockerfile does not copy {folder}, which {d.Project} builds from");
        }

        Assert.DoesNotContain(sources, s => s.StartsWith("tests", StringComparison.Ordinal) || s == "." || s == "");
        foreach (var other in Platform.All.Where(o => o != d))
        {
            Assert.DoesNotContain(sources, s => s.StartsWith(other.Folder, StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Deployables))]
    public void Dockerfile_publishes_only_its_own_project_and_runs_its_binary(string name)
    {
        var d = Platform.Get(name);
        var instructions = Parse(DockerfileOf(d));
        var runs = instructions.Where(i => i.Keyword == "RUN").Select(i => i.Arguments).ToList();
        var publish = Assert.Single(runs, r => r.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains($"{d.Folder}/{d.Project}.csproj", publish);
        Assert.DoesNotContain(".sln", publish);
        Assert.DoesNotContain(runs, r => r.Contains("dotnet restore", StringComparison.Ordinal) && !r.Contains($"{d.Folder}/{d.Project}.csproj", StringComparison.Ordinal));

        var last = instructions.Max(i => i.Stage);
        var entrypoint = Assert.Single(instructions, i => i.Keyword == "ENTRYPOINT" && i.Stage == last);
        var argv = JsonSerializer.Deserialize<string[]>(entrypoint.Arguments)!; // exec form: signals reach the process
        Assert.Equal($"/app/{d.Project}", argv[0]);
        Assert.DoesNotContain(instructions, i => i.Keyword is "HEALTHCHECK" or "CMD" or "MAINTAINER");
    }

    [Theory]
    [MemberData(nameof(Deployables))]
    public void Dockerfile_runs_as_a_numeric_non_root_user_on_a_pinned_runtime_image_with_icu_and_no_sdk(string name)
    {
        var d = Platform.Get(name);
        var instructions = Parse(DockerfileOf(d));
        var froms = instructions.Where(i => i.Keyword == "FROM").ToList();
        Assert.True(froms.Count >= 2, "multi-stage: an SDK build stage and a runtime stage");
        foreach (var from in froms)
        {
            var image = BaseImagePinTests.Tag(from.Arguments);
            Assert.Matches(@":\d+\.\d+\.\d+(-[a-z0-9-]+)?$", image); // a patch version for people (and a digest: BaseImagePinTests), never latest
        }

        var final = BaseImagePinTests.Tag(froms[^1].Arguments);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", final);
        Assert.DoesNotContain("sdk", final);
        // Chiseled images carry ICU only in their "-extra" variant; Alpine images need it added.
        Assert.True(!final.Contains("chiseled", StringComparison.Ordinal) || final.EndsWith("-extra", StringComparison.Ordinal), $"{final} has no ICU");
        Assert.DoesNotContain("alpine", final);
        Assert.DoesNotContain(instructions, i => i.Keyword == "ENV" && i.Arguments.Contains("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", StringComparison.Ordinal));

        var lastStage = froms.Count - 1;
        var copies = instructions.Where(i => i.Stage == lastStage && i.Keyword == "COPY").ToList();
        Assert.All(copies, c => Assert.Contains("--from=build", c.Arguments)); // only the published output, no source
        var user = instructions.Last(i => i.Stage == lastStage && i.Keyword == "USER").Arguments;
        Assert.Matches(@"^\d+(:\d+)?$", user); // numeric, so runAsNonRoot can verify it
        Assert.Equal(Platform.AppUid, int.Parse(user.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_build_image_matches_the_sdk_band_pinned_in_global_json()
    {
        using var global = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "global.json")));
        var pinned = Version.Parse(global.RootElement.GetProperty("sdk").GetProperty("version").GetString()!);
        foreach (var d in Platform.All)
        {
            var from = Parse(DockerfileOf(d)).First(i => i.Keyword == "FROM").Arguments;
            var m = SdkTag().Match(from);
            Assert.True(m.Success, $"{d.Folder}: the first stage is not a pinned .NET SDK image: {from}");
            var sdk = Version.Parse(m.Groups[1].Value);
            Assert.Equal((pinned.Major, pinned.Minor), (sdk.Major, sdk.Minor));
            Assert.True(sdk >= pinned, $"{d.Folder}: SDK {sdk} is older than global.json's {pinned}");
        }
    }

    [GeneratedRegex(@"mcr\.microsoft\.com/dotnet/sdk:(\d+\.\d+\.\d+)")]
    private static partial Regex SdkTag();

    [Fact]
    public void Dockerignore_keeps_host_build_output_local_data_and_tests_out_of_the_context()
    {
        var lines = File.ReadAllLines(Path.Combine(Repo.Root, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        foreach (var pattern in new[] { "**/bin/", "**/obj/", ".git/", ".data/", "tests/", "**/node_modules/" })
        {
            Assert.Contains(pattern, lines);
        }
    }

    [Fact]
    public void Dockerfiles_pass_the_linter()
    {
        // dockerfile-utils (npm, pinned in k8s/tools): the linter behind VS Code's Dockerfile
        // support. hadolint is not in Debian stable, npm or NuGet.
        var linter = Repo.NodeTool("node_modules/dockerfile-utils/bin/dockerfile-utils");
        var problems = new List<string>();
        foreach (var d in Platform.All)
        {
            var result = Repo.Run("node", [linter, "lint", DockerfileOf(d)]);
            if (result.ExitCode != 0 || result.Stdout.Trim().Length > 0)
            {
                problems.Add($"{d.Folder}/Dockerfile:\n{result.Stdout}{result.Stderr}");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void The_linter_reports_a_broken_Dockerfile()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lcr-bad-{Environment.ProcessId}.Dockerfile");
        File.WriteAllText(file, "FROM example/a:1.0.0 AS a\nFROM example/b:1.0.0 AS a\nEXPOSE http\n");
        var result = Repo.Run("node", [Repo.NodeTool("node_modules/dockerfile-utils/bin/dockerfile-utils"), "lint", file]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("duplicate name a", result.Stdout);
    }
}
