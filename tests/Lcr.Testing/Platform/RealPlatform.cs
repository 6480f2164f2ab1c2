// The real-process platform harness (issue 10), for tests that must run the services as the
// separate operating-system processes they are in production: kill one by pid, send SIGTERM,
// restart PostgreSQL or Redis under it, read every line a process logged.
//
//   await using var platform = await RealPlatform.StartAsync();            // shared PostgreSQL/Redis
//   await using var faults = await RealPlatform.StartAsync(new() { PrivateInfrastructure = true });
//   var channel = GrpcChannel.ForAddress(platform.GatewayAddress);
//   // sign in as gp.b86001 with platform.SeedPassword, IssueAccessToken, GetPatientRecord ...
//   await platform.KillAsync(PlatformService.Audit);                      // SIGKILL by pid
//   await platform.RestartAsync(PlatformService.Audit);                   // same port, waits for readiness
//
// What StartAsync does:
// - finds the built service dlls of the current build configuration
//   (<repo>/<dir>/bin/<Configuration>/net10.0/<name>.dll, built by `dotnet build lcr-platform.sln`,
//   Debug under `make test`); a missing one is a clear failure naming the build command;
// - shared infrastructure (default): the PostgreSQL and Redis that `make test` starts
//   (LCR_POSTGRES_ADMIN / LCR_REDIS, see Infrastructure), a fresh lcr_test_<guid> database per
//   service, dropped on dispose; private infrastructure: its own PostgreSQL cluster (initdb into
//   /var/tmp/lcr-platform-<id>, run as the `postgres` OS user when root, as scripts/infra.sh does)
//   and its own redis-server, each on a free loopback port, removed on dispose;
// - generates fresh development secrets (the scheme of scripts/dev-secrets.sh; never written into
//   the repository), migrates and seeds every service with its own `seed` verb (the synthetic
//   data of `make run`), starts the six processes on free 127.0.0.1 ports with
//   ASPNETCORE_ENVIRONMENT=Development, waits for grpc.health.v1 `readiness` SERVING on each,
//   gateway last;
// - never leaves a process behind: DisposeAsync kills every process it started; so does the test
//   host's ProcessExit; and a watchdog shell process kills them (and stops the private servers) if
//   the test host dies without running either.
// Logs: each process's stdout/stderr (the services' JSON log lines) go to LogFileOf(service), in a
// temporary directory removed on dispose (set LCR_KEEP_PLATFORM_LOGS=1 to keep it).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Npgsql;

namespace Lcr.Testing.Platform;

/// <summary>The six processes of the platform.</summary>
public enum PlatformService
{
    Identity,
    Demographics,
    Consent,
    Clinical,
    Audit,
    Gateway,
}

/// <summary>How <see cref="RealPlatform.StartAsync"/> sets the platform up.</summary>
public sealed class RealPlatformOptions
{
    /// <summary>
    /// true: its own PostgreSQL cluster and its own redis-server on free ports (for fault tests
    /// that kill them); false (default): the shared PostgreSQL/Redis that <c>make test</c> starts,
    /// fresh <c>lcr_test_&lt;guid&gt;</c> databases per platform.
    /// </summary>
    public bool PrivateInfrastructure { get; init; }

    /// <summary>Extra environment for every process (e.g. <c>Gateway__RateLimit__PermitsPerSecond</c>); wins over the harness's own.</summary>
    public IReadOnlyDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long one process may take to report readiness.</summary>
    public TimeSpan ReadinessTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>The real service processes on loopback. See the comment at the top of this file.</summary>
public sealed class RealPlatform : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<RealPlatform, byte> Live = new();
    private static int _exitHookInstalled;

    private static readonly PlatformService[] StartOrder =
    [
        PlatformService.Identity, PlatformService.Demographics, PlatformService.Consent,
        PlatformService.Clinical, PlatformService.Audit, PlatformService.Gateway,
    ];

    private readonly RealPlatformOptions _options;
    private readonly string _id = Guid.NewGuid().ToString("N")[..12];
    private readonly string _workDir;
    private readonly string _pidFile;
    private readonly Dictionary<PlatformService, int> _ports = [];
    private readonly int _gatewayHttpPort = FreePort();
    private readonly ConcurrentDictionary<PlatformService, Process> _processes = new();
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private readonly List<string> _databases = [];
    private readonly SemaphoreSlim _pidLock = new(1, 1);
    private string _postgresAdmin = "";
    private PrivatePostgres? _postgres;
    private PrivatePostgres? _auditPostgres;
    private RedisServer? _redis;
    private Process? _watchdog;
    private int _disposed;

    private RealPlatform(RealPlatformOptions options)
    {
        _options = options;
        _workDir = Path.Combine(Path.GetTempPath(), "lcr-platform-" + _id);
        Directory.CreateDirectory(_workDir);
        _pidFile = Path.Combine(_workDir, "pids");
        File.WriteAllText(_pidFile, "");
        SeedPassword = "Leeds-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(9)).Replace('/', 'x').Replace('+', 'y').TrimEnd('=');
        SeedClientSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant();
    }

    /// <summary>The build configuration whose dlls are run (that of this test library: Debug under <c>make test</c>).</summary>
    public static string Configuration { get; } =
        System.Environment.GetEnvironmentVariable("LCR_PLATFORM_CONFIGURATION") is { Length: > 0 } c ? c
        : typeof(RealPlatform).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>The repository root (the directory holding lcr-platform.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public string GatewayAddress => AddressOf(PlatformService.Gateway);

    /// <summary>The gateway's HTTP endpoint (HTTP/1.1: JSON over HTTP, gRPC-Web, FHIR), on its own free port.</summary>
    public string GatewayHttpAddress => $"http://127.0.0.1:{_gatewayHttpPort}";

    /// <summary>Password of the seeded users (gp.b86001, ig.b86001, ...).</summary>
    public string SeedPassword { get; }

    /// <summary>Secret of the seeded feed clients (b86001-gp-feed, ...).</summary>
    public string SeedClientSecret { get; }

    /// <summary>What the processes got on top of the test host's environment (secrets, connection strings, addresses).</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>
    /// Connection string of the PostgreSQL superuser of the platform's server (database "postgres").
    /// With private infrastructure the audit database is on a second server (see <see cref="DatabaseOf"/>).
    /// </summary>
    public string PostgresAdmin => _postgresAdmin;

    /// <summary>The service's own database, as the superuser (assertions that bypass the service).</summary>
    public string DatabaseOf(PlatformService service) =>
        service == PlatformService.Gateway
            ? throw new ArgumentException("The gateway has no database.", nameof(service))
            : _environment[$"ConnectionStrings__{service}"];

    /// <summary>StackExchange.Redis configuration of the platform's Redis.</summary>
    public string RedisConfiguration => _environment["ConnectionStrings__Redis"];

    public string AddressOf(PlatformService service) => $"http://127.0.0.1:{_ports[service]}";

    public string LogFileOf(PlatformService service) => Path.Combine(_workDir, service.ToString().ToLowerInvariant() + ".log");

    public int ProcessIdOf(PlatformService service) =>
        _processes.TryGetValue(service, out var p) && !p.HasExited ? p.Id : throw new InvalidOperationException($"{service} is not running.");

    public bool IsRunning(PlatformService service) => _processes.TryGetValue(service, out var p) && !p.HasExited;

    public static async Task<RealPlatform> StartAsync(RealPlatformOptions? options = null, CancellationToken ct = default)
    {
        var platform = new RealPlatform(options ?? new RealPlatformOptions());
        InstallExitHook();
        Live[platform] = 0;
        try
        {
            await platform.StartAllAsync(ct);
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync(CancellationToken ct)
    {
        foreach (var s in StartOrder)
        {
            if (!File.Exists(DllOf(s)))
            {
                throw new InvalidOperationException(
                    $"The {s} service is not built for configuration {Configuration}: {DllOf(s)} is missing. " +
                    $"Run `dotnet build lcr-platform.sln -c {Configuration}` first (make test does).");
            }
        }

        StartWatchdog();
        string redis;
        if (_options.PrivateInfrastructure)
        {
            // The audit log on a server of its own (as production would keep it), so that a test can
            // stop the audit database alone while the rest of the platform runs on.
            var servers = await Task.WhenAll(
                PrivatePostgres.StartAsync(Path.Combine("/var/tmp", "lcr-platform-" + _id), ct),
                PrivatePostgres.StartAsync(Path.Combine("/var/tmp", "lcr-platform-" + _id + "-audit"), ct));
            (_postgres, _auditPostgres) = (servers[0], servers[1]);
            _postgresAdmin = _postgres.AdminConnectionString;
            await AppendPidAsync("postgres", 0, _postgres.RootDirectory);
            await AppendPidAsync("postgres", 0, _auditPostgres.RootDirectory);
            _redis = await RedisServer.StartAsync();
            redis = _redis.ConnectionString;
            await AppendPidAsync("redis", _redis.ProcessId, "redis-server");
        }
        else
        {
            _postgresAdmin = Infrastructure.PostgresAdmin;

            // A redis-server of its own even here: the patient version store records the pseudonym
            // key of its writers, and this platform's fresh key must not meet another's.
            _redis = await RedisServer.StartAsync();
            redis = _redis.ConnectionString;
            await AppendPidAsync("redis", _redis.ProcessId, "redis-server");
        }

        var connections = new Dictionary<PlatformService, string>();
        foreach (var s in StartOrder.Where(s => s != PlatformService.Gateway))
        {
            var name = _options.PrivateInfrastructure ? "lcr_" + s.ToString().ToLowerInvariant() : "lcr_test_" + Guid.NewGuid().ToString("N");
            var server = s == PlatformService.Audit && _auditPostgres is not null ? _auditPostgres.AdminConnectionString : _postgresAdmin;
            await using (var admin = new NpgsqlConnection(server))
            {
                await admin.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
                await cmd.ExecuteNonQueryAsync(ct);
            }

            _databases.Add(name);
            connections[s] = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        }

        foreach (var s in StartOrder)
        {
            _ports[s] = FreePort();
        }

        static string Key32() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        _environment["DOTNET_ENVIRONMENT"] = "Development";
        _environment["Lcr__PseudonymKey"] = Key32();
        _environment["Identity__KeyEncryptionKey"] = Key32();
        _environment["Identity__SeedPassword"] = SeedPassword;
        _environment["Identity__SeedClientSecret"] = SeedClientSecret;
        _environment["Internal__SigningKey"] = Key32();
        _environment["ConnectionStrings__Redis"] = redis;
        foreach (var (s, cs) in connections)
        {
            _environment[$"ConnectionStrings__{s}"] = cs;
            _environment[$"Services__{s}"] = AddressOf(s);
        }

        foreach (var (k, v) in _options.ExtraEnvironment)
        {
            _environment[k] = v;
        }

        // Migrate and seed (each service's own verb), in parallel: they own separate databases.
        await Task.WhenAll(StartOrder.Where(s => s != PlatformService.Gateway).Select(s => SeedAsync(s, ct)));

        // Services first (in parallel), the gateway last: it needs the others.
        await Task.WhenAll(StartOrder.Where(s => s != PlatformService.Gateway).Select(s => StartProcessAsync(s, ct)));
        await StartProcessAsync(PlatformService.Gateway, ct);
    }

    private async Task SeedAsync(PlatformService service, CancellationToken ct)
    {
        var log = Path.Combine(_workDir, service.ToString().ToLowerInvariant() + "-seed.log");
        using var p = Launch(service, log, "seed");
        await AppendPidAsync(service.ToString(), p.Id, Path.GetFileName(DllOf(service)));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ReadinessTimeout);
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(p);
            throw new InvalidOperationException($"`{service} seed` did not finish within {_options.ReadinessTimeout}. Log tail:\n{Tail(log)}");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{service} seed` failed with exit code {p.ExitCode}. Log tail:\n{Tail(log)}");
        }
    }

    private async Task StartProcessAsync(PlatformService service, CancellationToken ct)
    {
        var p = Launch(service, LogFileOf(service), null);
        _processes[service] = p;
        await AppendPidAsync(service.ToString(), p.Id, Path.GetFileName(DllOf(service)));
        await WaitForReadinessAsync(service, p, ct);
    }

    private Process Launch(PlatformService service, string logFile, string? verb)
    {
        var dll = DllOf(service);
        var psi = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardInput = false,
        };

        // exec: the pid is the dotnet process itself; the kernel appends its output to the log file.
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$1\" \"$2\" $3 </dev/null >>\"$4\" 2>&1");
        psi.ArgumentList.Add("lcr-platform");
        psi.ArgumentList.Add(DotnetHost());
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(verb ?? "");
        psi.ArgumentList.Add(logFile);
        psi.Environment["Kestrel__Endpoints__Grpc__Url"] = AddressOf(service);
        if (service == PlatformService.Gateway)
        {
            psi.Environment["Kestrel__Endpoints__Http__Url"] = GatewayHttpAddress;
        }
        foreach (var (k, v) in _environment)
        {
            psi.Environment[k] = v;
        }

        return Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {service}.");
    }

    private async Task WaitForReadinessAsync(PlatformService service, Process process, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress(AddressOf(service));
        var health = new Health.HealthClient(channel);
        var until = DateTime.UtcNow + _options.ReadinessTimeout;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{service} exited with code {process.ExitCode} before it was ready. Log tail ({LogFileOf(service)}):\n{Tail(LogFileOf(service))}");
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest { Service = "readiness" }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (Grpc.Core.RpcException)
            {
                // Not listening yet, or not ready.
            }

            if (DateTime.UtcNow > until)
            {
                throw new InvalidOperationException(
                    $"{service} did not report readiness SERVING within {_options.ReadinessTimeout}. Log tail:\n{Tail(LogFileOf(service))}");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>SIGKILL by pid (as a crash would); waits for the process to be gone.</summary>
    public async Task KillAsync(PlatformService service)
    {
        if (_processes.TryGetValue(service, out var p) && !p.HasExited)
        {
            Kill(p);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM (as Kubernetes sends before removing a pod); waits for the process to exit.</summary>
    public async Task TerminateAsync(PlatformService service)
    {
        if (_processes.TryGetValue(service, out var p) && !p.HasExited)
        {
            SendSignal(p.Id, Sigterm);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>Sends SIGTERM and returns at once (for observing a process while it shuts down); see <see cref="WaitForExitAsync"/>.</summary>
    public void SignalTerminate(PlatformService service) => SendSignal(ProcessIdOf(service), Sigterm);

    /// <summary>Waits until the service's process has exited; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(PlatformService service)
    {
        var p = _processes[service];
        await p.WaitForExitAsync();
        return p.ExitCode;
    }

    /// <summary>Starts the service again on the same port (stopping it first with SIGTERM if it still runs) and waits for readiness.</summary>
    public async Task RestartAsync(PlatformService service)
    {
        await TerminateAsync(service);
        if (_processes.TryRemove(service, out var old))
        {
            old.Dispose();
        }

        await StartProcessAsync(service, CancellationToken.None);
    }

    /// <summary>Private infrastructure only: SIGKILL the platform's redis-server.</summary>
    public Task KillRedisAsync() => PrivateRedis.StopAsync();

    /// <summary>Private infrastructure only: start the platform's redis-server again on the same port (empty).</summary>
    public async Task StartRedisAsync()
    {
        await PrivateRedis.StartAgainAsync();
        await AppendPidAsync("redis", PrivateRedis.ProcessId, "redis-server");
    }

    /// <summary>Private infrastructure only: stop the audit database's own PostgreSQL server (immediate mode, as a crash would).</summary>
    public Task StopAuditPostgresAsync() => PrivateAuditPg.StopAsync();

    /// <summary>Private infrastructure only: start the audit database's server again on the same port.</summary>
    public Task StartAuditPostgresAsync() => PrivateAuditPg.StartAsync();

    /// <summary>Private infrastructure only: stop the platform's PostgreSQL (immediate mode: as a crash would; committed work survives in the WAL). The audit database's own server is left running.</summary>
    public Task StopPostgresAsync() => PrivatePg.StopAsync();

    /// <summary>Private infrastructure only: start the platform's PostgreSQL again on the same port.</summary>
    public Task StartPostgresAsync() => PrivatePg.StartAsync();

    /// <summary>Private infrastructure only: stop (immediate) and start the platform's PostgreSQL.</summary>
    public async Task RestartPostgresAsync()
    {
        await StopPostgresAsync();
        await StartPostgresAsync();
    }

    /// <summary>Private infrastructure only: start PostgreSQL if a test left it stopped.</summary>
    public async Task StartPostgresIfStoppedAsync()
    {
        if (!PrivatePg.IsRunning)
        {
            await StartPostgresAsync();
        }

        if (!PrivateAuditPg.IsRunning)
        {
            await StartAuditPostgresAsync();
        }
    }

    /// <summary>Private infrastructure only: start Redis if a test left it killed.</summary>
    public async Task StartRedisIfStoppedAsync()
    {
        if (!PrivateRedis.IsRunning)
        {
            await StartRedisAsync();
        }
    }

    private RedisServer PrivateRedis => _redis ?? throw new InvalidOperationException("Only a platform started with PrivateInfrastructure = true owns its Redis.");

    private PrivatePostgres PrivatePg => _postgres ?? throw new InvalidOperationException("Only a platform started with PrivateInfrastructure = true owns its PostgreSQL.");

    private PrivatePostgres PrivateAuditPg => _auditPostgres ?? throw new InvalidOperationException("Only a platform started with PrivateInfrastructure = true owns its PostgreSQL.");

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        KillAll();
        foreach (var p in _processes.Values)
        {
            await p.WaitForExitAsync();
            p.Dispose();
        }

        try
        {
            if (_postgres is not null)
            {
                await _postgres.DisposeAsync();
                if (_auditPostgres is not null)
                {
                    await _auditPostgres.DisposeAsync();
                }
            }
            else if (_databases.Count > 0)
            {
                NpgsqlConnection.ClearAllPools();
                await using var admin = new NpgsqlConnection(_postgresAdmin);
                await admin.OpenAsync();
                foreach (var db in _databases)
                {
                    await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)", admin);
                    await cmd.ExecuteNonQueryAsync();
                }
            }

            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }
        finally
        {
            if (_watchdog is { HasExited: false } w)
            {
                w.Kill();
                w.Dispose();
            }

            Live.TryRemove(this, out _);
            if (System.Environment.GetEnvironmentVariable("LCR_KEEP_PLATFORM_LOGS") is not { Length: > 0 })
            {
                try
                {
                    Directory.Delete(_workDir, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers ----

    private void KillAll()
    {
        foreach (var p in _processes.Values)
        {
            Kill(p);
        }
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var platform in Live.Keys)
            {
                platform.KillAll();
                platform._postgres?.StopNow();
                platform._auditPostgres?.StopNow();
                try
                {
                    platform._redis?.StopAsync().GetAwaiter().GetResult();
                }
                catch (InvalidOperationException)
                {
                }
            }
        };
    }

    /// <summary>
    /// A shell process that outlives a test host killed outright (no ProcessExit): once the host's
    /// pid is gone it kills every pid in the pid file (checking each is still the process started)
    /// and stops the private PostgreSQL.
    /// </summary>
    private void StartWatchdog()
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("""
            host=$1; pids=$2; work=$3
            while kill -0 "$host" 2>/dev/null; do sleep 1; done
            while read -r kind pid marker; do
              if [ "$kind" = postgres ]; then
                if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$4/pg_ctl" stop -D "$marker/data" -m immediate >/dev/null 2>&1
                else "$4/pg_ctl" stop -D "$marker/data" -m immediate >/dev/null 2>&1; fi
                rm -rf -- "$marker"
              elif [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$marker"; then
                kill -9 "$pid" 2>/dev/null
              fi
            done < "$pids"
            rm -rf -- "$work"
            """);
        psi.ArgumentList.Add("lcr-platform-watchdog");
        psi.ArgumentList.Add(System.Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(_pidFile);
        psi.ArgumentList.Add(_workDir);
        psi.ArgumentList.Add(PrivatePostgres.BinDirectory() ?? "/usr/bin");
        _watchdog = Process.Start(psi);
    }

    private async Task AppendPidAsync(string kind, int pid, string marker)
    {
        await _pidLock.WaitAsync();
        try
        {
            await File.AppendAllTextAsync(_pidFile, $"{kind} {pid} {marker}\n");
        }
        finally
        {
            _pidLock.Release();
        }
    }

    private static string DllOf(PlatformService service)
    {
        var dir = service == PlatformService.Gateway ? "gateway/Lcr.Gateway" : $"services/Lcr.{service}";
        var name = Path.GetFileName(dir);
        return Path.Combine(RepositoryRoot, dir, "bin", Configuration, "net10.0", name + ".dll");
    }

    private static string DotnetHost()
    {
        if (System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        var self = System.Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "lcr-platform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No lcr-platform.sln above {AppContext.BaseDirectory}: the platform harness runs from a build of the repository.");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string Tail(string file, int lines = 40)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private const int Sigterm = 15;

    private static void SendSignal(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300, CA5392, SYSLIB1054 // libc's name; P/Invoke to the C library
    private static extern int kill(int pid, int sig);
#pragma warning restore SA1300, CA5392, SYSLIB1054
}
