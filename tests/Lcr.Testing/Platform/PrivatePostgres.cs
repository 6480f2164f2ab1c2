using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace Lcr.Testing.Platform;

/// <summary>
/// A throwaway PostgreSQL cluster for one <see cref="RealPlatform"/> with private infrastructure:
/// initdb into a directory under /var/tmp (which the <c>postgres</c> OS user can reach), run as
/// that user when the tests run as root (PostgreSQL refuses root, as in scripts/infra.sh), on a
/// free loopback port with a scram password; deleted on dispose.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Role = "lcr";
    private readonly string _bin;
    private readonly string _password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    private PrivatePostgres(string root, string bin)
    {
        RootDirectory = root;
        _bin = bin;
        Port = RealPlatform.FreePort();
    }

    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    public int Port { get; }

    private string LogFile => Path.Combine(RootDirectory, "postgres.log");

    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Role,
        Password = _password,
        Database = "postgres",
    }.ConnectionString;

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>The newest /usr/lib/postgresql/*/bin holding initdb (as scripts/infra.sh picks it).</summary>
    public static string? BinDirectory()
    {
        if (!Directory.Exists("/usr/lib/postgresql"))
        {
            return null;
        }

        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")))
            .OrderBy(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
            .LastOrDefault();
    }

    public static async Task<PrivatePostgres> StartAsync(string root, CancellationToken ct)
    {
        var bin = BinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/infra.sh up (make test does).");
        var pg = new PrivatePostgres(root, bin);
        Directory.CreateDirectory(root);
        var pwFile = Path.Combine(root, "pw");
        await File.WriteAllTextAsync(pwFile, pg._password, ct);
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", root], ct);
        }

        await pg.AsPostgresAsync("initdb", ["-D", pg.DataDirectory, "-U", Role, "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust",
            "--auth-host=scram-sha-256", "--pwfile", pwFile, "--no-sync"], ct);
        File.Delete(pwFile);
        await File.AppendAllTextAsync(Path.Combine(pg.DataDirectory, "postgresql.conf"), $"""

            listen_addresses = '127.0.0.1'
            port = {pg.Port}
            unix_socket_directories = '{pg.DataDirectory}'
            max_connections = 300
            shared_buffers = 64MB
            fsync = on
            synchronous_commit = on

            """, ct);
        await pg.StartAsync();
        return pg;
    }

    public async Task StartAsync()
    {
        await AsPostgresAsync("pg_ctl", ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-s"], CancellationToken.None);
    }

    /// <summary>True while the server's postmaster.pid exists (pg_ctl removes it on a stop, also an immediate one).</summary>
    public bool IsRunning => File.Exists(Path.Combine(DataDirectory, "postmaster.pid"));

    public async Task StopAsync()
    {
        await AsPostgresAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "-s"], CancellationToken.None);
    }

    /// <summary>Synchronous best-effort stop for the test host's ProcessExit.</summary>
    public void StopNow()
    {
        try
        {
            using var p = Process.Start(Command(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", DataDirectory, "-m", "immediate", "-s"]));
            p?.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await StopAsync();
            }
            catch (InvalidOperationException)
            {
                // Already stopped.
            }
        }

        Directory.Delete(RootDirectory, recursive: true);
    }

    private Task AsPostgresAsync(string tool, string[] args, CancellationToken ct) =>
        RunAsync(Command(Path.Combine(_bin, tool), args), ct);

    private static ProcessStartInfo Command(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(IsRoot ? "runuser" : exe)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        if (IsRoot)
        {
            foreach (var a in new[] { "-u", "postgres", "--", exe })
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    private static Task RunAsync(string exe, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return RunAsync(psi, ct);
    }

    private static async Task RunAsync(ProcessStartInfo psi, CancellationToken ct)
    {
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {psi.FileName}.");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{psi.FileName} {string.Join(' ', psi.ArgumentList)} failed ({p.ExitCode}): {await stderr}{await stdout}");
        }
    }
}
