using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Each deployable published the way its Dockerfile's build stage publishes it: the files the
/// Dockerfile COPYs (nothing else: no bin/ or obj/ of the worktree) in a fresh folder, then its
/// own `dotnet restore` and `dotnet publish` commands with the build platform's architecture,
/// Release, into a folder standing for the image's /app. Every output is then owned by root and
/// read-only for everyone, as the image layer is under readOnlyRootFilesystem. One fixture for
/// all tests of the class: the six projects share the Release build of the shared libraries.
/// </summary>
public sealed class PublishedImages : IDisposable
{
    private readonly Dictionary<string, string> _apps = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly string _source;
    private TimeSpan _publishTime;

    public PublishedImages()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException(
                "The image checks own the publish output as root and run it as the Dockerfile's uid (chown, setpriv): run the tests as root, as make test does in CI.");
        }

        Root = Directory.CreateTempSubdirectory("lcr-images-").FullName;
        try
        {
            // The build context of every Dockerfile at once: the six share the Release build of the shared libraries.
            _source = Path.Combine(Root, "src");
            foreach (var item in Platform.All.Select(ImageSpec.Of).SelectMany(s => s.CopySources).Distinct(StringComparer.Ordinal))
            {
                CopyContext(item, _source);
            }

            ReadOnlyHome = Directory.CreateDirectory(Path.Combine(Root, "home")).FullName;
            Check(Run("chmod", ["0555", ReadOnlyHome], Root, TimeSpan.FromMinutes(1)));
            Check(Run("chmod", ["a+rx", Root], Root, TimeSpan.FromMinutes(1)));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The architecture `docker build` passes as TARGETARCH on this machine.</summary>
    public static string TargetArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var a => throw new PlatformNotSupportedException($"no Docker TARGETARCH for {a}"),
    };

    public string Root { get; }

    /// <summary>A HOME nobody may write to (the image's root filesystem is read-only).</summary>
    public string ReadOnlyHome { get; } = "";


    /// <summary>How long the publishes so far took (reported by the tests' output, never asserted).</summary>
    public TimeSpan PublishTime
    {
        get
        {
            lock (_gate)
            {
                return _publishTime;
            }
        }
    }

    /// <summary>
    /// The folder standing for the image's WORKDIR (/app) of a deployable, published on first use
    /// (one publish at a time: they share the source tree), then root-owned and read-only.
    /// </summary>
    public string AppOf(string name)
    {
        lock (_gate)
        {
            if (!_apps.TryGetValue(name, out var app))
            {
                var started = Stopwatch.StartNew();
                app = Publish(ImageSpec.Of(Platform.Get(name)));
                _publishTime += started.Elapsed;
                _apps[name] = app;
            }

            return app;
        }
    }

    private string Publish(ImageSpec spec)
    {
        var app = Path.Combine(Root, "app-" + spec.Deployable.Name);
        foreach (var command in spec.BuildCommands)
        {
            var args = command.Skip(1).Select(a => a switch
            {
                "$TARGETARCH" or "${TARGETARCH}" => TargetArch,
                _ when a == spec.PublishOutput => app,
                _ => a,
            }).ToList();
            if (args.FirstOrDefault() == "publish")
            {
                // The one difference from the image: no ReadyToRun. Precompiled code changes nothing
                // these checks look at (user, read-only folder, ICU, environment), and compiling it
                // for every assembly is most of a publish's time.
                args.Add("-p:PublishReadyToRun=false");
            }

            var result = Run("dotnet", args, _source, TimeSpan.FromMinutes(10));
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"{spec.Deployable.Folder}: dotnet {string.Join(' ', args)} failed ({result.ExitCode}):\n{Tail(result.Stdout)}\n{Tail(result.Stderr)}");
            }
        }

        // The image layer: root-owned, nothing writable.
        Check(Run("chown", ["-R", "root:root", app], Root, TimeSpan.FromMinutes(1)));
        Check(Run("chmod", ["-R", "a-w", app], Root, TimeSpan.FromMinutes(1)));
        return app;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Run("chmod", ["-R", "u+w", Root], "/", TimeSpan.FromMinutes(1));
            Directory.Delete(Root, recursive: true);
        }
    }

    private static void CopyContext(string item, string source)
    {
        Directory.CreateDirectory(source);
        var relative = item.TrimStart('.', '/');
        var from = Path.Combine(Repo.Root, relative);
        if (File.Exists(from))
        {
            var target = Path.Combine(source, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(from, target, overwrite: true);
            return;
        }

        // What .dockerignore keeps out of the context: host build output and node_modules.
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var inside = Path.GetRelativePath(Repo.Root, file);
            if (inside.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj" or "node_modules"))
            {
                continue;
            }

            var to = Path.Combine(source, inside);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to, overwrite: true);
        }
    }

    private static void Check(Repo.Result result)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.Stderr);
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    /// <summary>A process with the test host's MSBuild variables removed, so the publish is the one a clean shell runs.</summary>
    private static Repo.Result Run(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            psi.Environment.Remove(key);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in {timeout}.");
        }

        process.WaitForExit();
        return new Repo.Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
