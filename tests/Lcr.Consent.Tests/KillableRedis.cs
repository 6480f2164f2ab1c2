using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lcr.Consent.Tests;

/// <summary>
/// A redis-server of this test class's own, on a free loopback port, that tests may pause,
/// resume or kill (never the shared test Redis other people's tests use).
/// </summary>
public sealed class KillableRedis : IAsyncLifetime
{
    private Process? _process;

    public int Port { get; private set; }

    public string Configuration => $"127.0.0.1:{Port},abortConnect=false";

    public bool Running => _process is { HasExited: false };

    public async Task InitializeAsync()
    {
        Port = FreePort();
        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (is it installed?)");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready when it accepts connections.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (attempt < 100 && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open but nothing answers.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Lets a paused server run again (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await ResumeAsync();
        }

        await KillAsync();
        _process?.Dispose();
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
