using System.Diagnostics;
using System.Text;

namespace Lcr.Clients.Tests;

/// <summary>The repository root and child processes run from tests, with a timeout and their output.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration of this test assembly (the solution is built in one configuration).</summary>
    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "lcr-platform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("lcr-platform.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>What a child process did.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() =>
        $"`{Command}` exited {ExitCode}\n--- stdout ---\n{Tail(StandardOutput)}\n--- stderr ---\n{Tail(StandardError)}";

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}

public static class ChildProcess
{
    /// <summary>
    /// Runs a command to completion; kills its process tree and fails with its output when it
    /// takes longer than <paramref name="timeout"/>, so a stuck npm or node never hangs the run.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory,
        TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        var command = $"{fileName} {string.Join(' ', start.ArgumentList)}";
        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start `{command}` ({e.Message}): is {fileName} installed and on PATH?", e);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"`{command}` (in {workingDirectory}) did not finish within {timeout.TotalSeconds:0} s; it was stopped.\n" +
                new ProcessResult(command, -1, stdout.ToString(), stderr.ToString()).Describe());
        }

        return new ProcessResult(command, process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
