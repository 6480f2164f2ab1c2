using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lcr.Deployment.Tests;

/// <summary>
/// What a Dockerfile says about its image, read the way the builder reads it: the build stage's
/// restore and publish commands and the runtime stage's base image, WORKDIR, USER, ENV and ENTRYPOINT.
/// </summary>
internal sealed partial record ImageSpec(
    Platform.Deployable Deployable,
    IReadOnlyList<string> BuildFroms,
    string RuntimeImage,
    string Workdir,
    int Uid,
    int Gid,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<IReadOnlyList<string>> BuildCommands,
    string PublishOutput,
    IReadOnlyList<string> CopySources)
{
    public static ImageSpec Of(Platform.Deployable d)
    {
        var instructions = DockerfileTests.Parse(DockerfileTests.DockerfileOf(d));
        var last = instructions.Max(i => i.Stage);
        var froms = instructions.Where(i => i.Keyword == "FROM").Select(i => ImageOf(i.Arguments)).ToList();
        var runtime = instructions.Where(i => i.Stage == last).ToList();

        var workdir = runtime.Last(i => i.Keyword == "WORKDIR").Arguments;
        var user = runtime.Last(i => i.Keyword == "USER").Arguments.Split(':');
        var uid = int.Parse(user[0], System.Globalization.CultureInfo.InvariantCulture);
        var gid = user.Length > 1 ? int.Parse(user[1], System.Globalization.CultureInfo.InvariantCulture) : uid;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in runtime.Where(i => i.Keyword == "ENV"))
        {
            var eq = e.Arguments.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new InvalidOperationException($"{d.Folder}/Dockerfile: ENV without key=value ({e.Arguments}) is not read by these checks.");
            }

            env[e.Arguments[..eq]] = e.Arguments[(eq + 1)..].Trim('"');
        }

        var entrypoint = JsonSerializer.Deserialize<string[]>(runtime.Single(i => i.Keyword == "ENTRYPOINT").Arguments)!;

        // The dotnet commands of the build stages, without the RUN options (--mount=...).
        var commands = instructions.Where(i => i.Stage < last && i.Keyword == "RUN")
            .Select(i => Words(i.Arguments).SkipWhile(w => w.StartsWith("--", StringComparison.Ordinal)).ToList())
            .Where(w => w.Count > 1 && w[0] == "dotnet" && w[1] is "restore" or "publish")
            .Select(w => (IReadOnlyList<string>)w)
            .ToList();
        var publish = commands.Single(c => c[1] == "publish");
        var output = publish[publish.ToList().IndexOf("--output") + 1];

        var copies = instructions.Where(i => i.Stage < last && i.Keyword == "COPY")
            .SelectMany(i =>
            {
                var parts = Words(i.Arguments).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToList();
                return parts.Take(parts.Count - 1);
            })
            .ToList();

        return new ImageSpec(d, froms.Take(froms.Count - 1).ToList(), froms[^1], workdir, uid, gid, env, entrypoint, commands, output, copies);
    }

    /// <summary>The image reference of a FROM line's arguments (after --platform=..., before AS name).</summary>
    public static string ImageOf(string fromArguments) =>
        fromArguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).First(p => !p.StartsWith("--", StringComparison.Ordinal));

    /// <summary>The runtime stage copies the publish output into WORKDIR: a path in the image under it maps to <paramref name="appDirectory"/>.</summary>
    public string OnHost(string imagePath, string appDirectory) =>
        imagePath == Workdir ? appDirectory
        : imagePath.StartsWith(Workdir + "/", StringComparison.Ordinal) ? Path.Combine(appDirectory, imagePath[(Workdir.Length + 1)..])
        : throw new InvalidOperationException($"{Deployable.Folder}/Dockerfile: {imagePath} is outside WORKDIR {Workdir}, where the publish output is.");

    private static IEnumerable<string> Words(string command) => Word().Matches(command).Select(m => m.Value.Trim('"'));

    [GeneratedRegex("\"[^\"]*\"|\\S+")]
    private static partial Regex Word();
}
