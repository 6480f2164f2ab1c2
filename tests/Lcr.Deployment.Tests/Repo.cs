using System.Diagnostics;

namespace Lcr.Deployment.Tests;

/// <summary>Paths in the repository and the external tools the checks run.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static string K8s => Path.Combine(Root, "k8s");

    public static string ToolsDir => Path.Combine(K8s, "tools");

    public static string At(string relative) => Path.Combine(Root, relative);

    /// <summary>Every overlay: a folder under k8s/overlays with a kustomization.yaml.</summary>
    public static IReadOnlyList<string> Overlays() =>
        Directory.GetDirectories(Path.Combine(K8s, "overlays"))
            .Where(d => File.Exists(Path.Combine(d, "kustomization.yaml")))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "lcr-platform.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("lcr-platform.sln not found above the test binaries.");
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// Runs a tool and returns what it printed. A missing tool is a failure with the remedy
    /// named, never a skip: <c>scripts/install-k8s-tools.sh</c> installs every one.
    /// </summary>
    public static Result Run(string file, IEnumerable<string> args, string? workingDirectory = null, int timeoutSeconds = 60)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Root,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{file}' is not installed ({e.Message}). Run scripts/install-k8s-tools.sh (make test does).", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeoutSeconds * 1000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in {timeoutSeconds} s.");
            }

            process.WaitForExit();
            return new Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }

    /// <summary>The k8s/tools npm packages (schema validator, Dockerfile linter), installed by scripts/install-k8s-tools.sh.</summary>
    public static string NodeTool(string relative)
    {
        var path = Path.Combine(ToolsDir, relative);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{path} is missing: run scripts/install-k8s-tools.sh (npm ci in k8s/tools) first.");
        }

        return path;
    }
}
