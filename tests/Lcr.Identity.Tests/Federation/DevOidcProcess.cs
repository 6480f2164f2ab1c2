using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lcr.Identity.Tests.Federation;

/// <summary>
/// A second, private instance of the real development provider (tools/dev-oidc/server.js), started by
/// a test on a free loopback port with its own key directory: a second trusted provider, whose keys
/// a test can rotate by restarting it with new ones; optionally with its own people file, which the
/// provider reads again when it changes (<see cref="PeopleFile"/>).
/// </summary>
public sealed class DevOidcProcess(string? peopleFile = null) : IAsyncDisposable
{
    /// <summary>The people file this instance serves (tools/dev-oidc/people.json unless given).</summary>
    public string? PeopleFile { get; } = peopleFile;

    private readonly string _dataDir = Directory.CreateTempSubdirectory("lcr-dev-oidc-").FullName;
    private readonly int _port = FreePort();
    private Process? _process;

    public string Issuer => $"http://127.0.0.1:{_port}";

    public async Task StartAsync()
    {
        _ = DevOidcProvider.Issuer; // the shared provider is up, so tools/dev-oidc has its packages
        var tool = Path.Combine(DevOidcProvider.RepositoryRoot, "tools", "dev-oidc");
        var start = new ProcessStartInfo("node", "server.js")
        {
            WorkingDirectory = tool,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["LCR_DEV_OIDC_PORT"] = _port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["LCR_DEV_OIDC_DATA"] = _dataDir;
        if (PeopleFile is not null)
        {
            start.Environment["LCR_DEV_OIDC_PEOPLE"] = PeopleFile;
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var discovery = await http.GetStringAsync(Issuer + "/.well-known/openid-configuration");
                if (discovery.Contains(Issuer, StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException) when (attempt < 150 && !_process.HasExited)
            {
            }
            catch (TaskCanceledException) when (attempt < 150 && !_process.HasExited)
            {
            }

            if (_process.HasExited || attempt >= 150)
            {
                throw new InvalidOperationException($"The second development provider did not start at {Issuer}.");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Stops the provider, throws its signing keys away and starts it again on the same port: a key rotation.</summary>
    public async Task RotateKeysAsync()
    {
        await StopAsync();
        File.Delete(Path.Combine(_dataDir, "jwks.json"));
        await StartAsync();
    }

    /// <summary>Stops the provider for good (it is unreachable from then on).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
