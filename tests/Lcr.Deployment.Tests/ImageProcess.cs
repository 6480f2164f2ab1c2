using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Lcr.Deployment.Tests;

/// <summary>
/// Runs a published deployable as its container would run it, without a container engine: the
/// ENTRYPOINT from the folder standing for WORKDIR, as the Dockerfile's USER uid:gid with no
/// supplementary groups (setpriv; the tests run as root), with an environment of exactly the
/// runtime base image's, the Dockerfile's ENV and the production overlay's container env
/// (Secret values, which production takes from its secret store, from the dev overlay's generated ones), HOME unwritable and DOTNET_SYSTEM_GLOBALIZATION_INVARIANT unset. What cannot be
/// the same on a shared test machine is replaced, and only that: listening addresses become free
/// loopback ports, and database, Redis, collector and service addresses point at a closed port.
/// </summary>
internal sealed class ImageProcess : IDisposable
{
    /// <summary>What every .NET base image sets (mcr.microsoft.com/dotnet/runtime-deps); ASPNETCORE_HTTP_PORTS is overridden by the Kestrel endpoints.</summary>
    private static readonly Dictionary<string, string> BaseImageEnv = new(StringComparer.Ordinal)
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["APP_UID"] = "1654",
        ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
    };

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ImageProcess(Process process, string grpcAddress)
    {
        _process = process;
        GrpcAddress = grpcAddress;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string GrpcAddress { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the deployable's ENTRYPOINT (plus <paramref name="args"/>) with the env of the rendered production overlay's <paramref name="kind"/>/<paramref name="workload"/>.</summary>
    public static ImageProcess Start(ImageSpec spec, PublishedImages published, string kind, string workload, IReadOnlyList<string> args)
    {
        var app = published.AppOf(spec.Deployable.Name);
        var closed = ClosedPort();
        var env = new Dictionary<string, string>(BaseImageEnv, StringComparer.Ordinal);
        foreach (var (k, v) in spec.Env)
        {
            env[k] = v;
        }

        foreach (var (k, v) in PodEnvironment(kind, workload))
        {
            env[k] = v;
        }

        string grpc = "";
        foreach (var key in env.Keys.ToList())
        {
            if (key.StartsWith("Kestrel__Endpoints__", StringComparison.Ordinal) && key.EndsWith("__Url", StringComparison.Ordinal))
            {
                env[key] = $"http://127.0.0.1:{FreePort()}";
                if (key == "Kestrel__Endpoints__Grpc__Url")
                {
                    grpc = env[key];
                }
            }
            else if (key.StartsWith("ConnectionStrings__", StringComparison.Ordinal))
            {
                env[key] = key == "ConnectionStrings__Redis"
                    ? $"127.0.0.1:{closed},abortConnect=false,connectTimeout=1000"
                    : $"Host=127.0.0.1;Port={closed};Database=lcr;Username=lcr;Password=unused;Timeout=2";
            }
            else if (key.StartsWith("Services__", StringComparison.Ordinal))
            {
                env[key] = $"http://127.0.0.1:{closed}";
            }
            else if (key.StartsWith("OTEL_EXPORTER_OTLP_", StringComparison.Ordinal))
            {
                env.Remove(key);
            }
        }

        env.Remove("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT");
        env["HOME"] = published.ReadOnlyHome;

        var psi = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = spec.OnHost(spec.Workdir, app),
        };
        foreach (var a in (string[])[$"--reuid={spec.Uid}", $"--regid={spec.Gid}", "--clear-groups", "--", spec.OnHost(spec.Entrypoint[0], app), .. spec.Entrypoint.Skip(1), .. args])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Clear();
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        return new ImageProcess(Process.Start(psi) ?? throw new InvalidOperationException("setpriv did not start"), grpc);
    }

    /// <summary>The shared objects mapped into the process (from /proc/PID/maps).</summary>
    public string MappedFiles() => File.ReadAllText($"/proc/{_process.Id}/maps");

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>
    /// The container env of a rendered production overlay workload, ConfigMap values resolved; Secret
    /// values (production has none in git) from the dev overlay's generated Secret of the same name.
    /// </summary>
    private static Dictionary<string, string> PodEnvironment(string kind, string workload)
    {
        const string overlay = "production";
        var rendered = Manifests.Render(overlay);
        var dev = Manifests.Render("dev");
        var obj = rendered.Find(kind, workload) ?? throw new InvalidOperationException($"the {overlay} overlay renders no {kind}/{workload}");
        var container = obj.Containers(includeInit: false).Single();
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Manifests.Environment(rendered, container))
        {
            if (name.StartsWith('*'))
            {
                continue; // envFrom a whole Secret: none in the platform's containers (ConfigurationTests)
            }

            if (value.Literal is not null)
            {
                env[name] = value.Literal;
            }
            else if (value.SecretName is not null)
            {
                var baseName = Manifests.BaseName(value.SecretName);
                var secret = dev.OfKind("Secret").FirstOrDefault(s => Manifests.BaseName(s.Name) == baseName)
                    ?? throw new InvalidOperationException($"the dev overlay generates no Secret {baseName}");
                var data = secret.Json["data"]?[value.Key!]?.GetValue<string>();
                env[name] = data is not null
                    ? Encoding.UTF8.GetString(Convert.FromBase64String(data))
                    : secret.Json["stringData"]?[value.Key!]?.GetValue<string>() ?? throw new InvalidOperationException($"Secret {baseName} has no {value.Key}");
            }
        }

        return env;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int ClosedPort() => FreePort();
}
