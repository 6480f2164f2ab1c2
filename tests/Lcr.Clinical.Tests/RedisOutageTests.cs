using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Testing;
using StackExchange.Redis;

namespace Lcr.Clinical.Tests;

/// <summary>A redis-server child process of this test run, on a free loopback port, that tests may kill and restart.</summary>
public sealed class KillableRedis : IDisposable
{
    private Process? _process;

    public KillableRedis()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Start();
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port},abortConnect=false";

    public void Start()
    {
        _process = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}

/// <summary>The clinical service on its own Redis, which the tests stop and start.</summary>
public sealed class OwnRedisClinicalHost : ClinicalHost
{
    public KillableRedis OwnRedis { get; } = new();

    // Without the in-memory tier, so every read exercises Redis (or its absence).
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [new("ConnectionStrings:Redis", OwnRedis.Configuration), new("Clinical:SummaryCache:LocalEntries", "0")];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        OwnRedis.Dispose();
    }
}

public class RedisOutageTests(OwnRedisClinicalHost host) : IClassFixture<OwnRedisClinicalHost>
{
    [Fact]
    public async Task Reads_carry_on_from_postgres_and_writes_are_refused_while_redis_is_down_and_both_resume_when_it_returns()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-1"));
        await host.SummaryAsync(nhs);
        Assert.True(await host.Redis.KeyExistsAsync(host.SummaryKey(nhs)));

        host.OwnRedis.Kill();
        var unavailable = host.Counter("lcr.clinical.summary_cache.misses|unavailable");
        var during = await host.SummaryAsync(nhs);
        Assert.Single(during.ActiveProblems);

        // A contribution while Redis is down cannot be announced to the readers (the patient
        // version store), so it is refused and nothing is written; reads carry on.
        await RpcAssert.Fails(StatusCode.Unavailable, "VERSION_STORE_UNAVAILABLE", () => host.ContributeAsync("RR8", Make.Medication(nhs, "m-1")));
        Assert.Equal(1L, await host.CountAsync("entries", nhs));
        var afterWrite = await host.SummaryAsync(nhs);
        Assert.Empty(afterWrite.CurrentMedications);
        Assert.Single(afterWrite.ActiveProblems);
        Assert.True(host.Counter("lcr.clinical.summary_cache.misses|unavailable") >= unavailable + 2);

        host.OwnRedis.Start();
        var hits = host.Counter("lcr.clinical.summary_cache.hits");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (host.Counter("lcr.clinical.summary_cache.hits") == hits)
        {
            Assert.True(DateTime.UtcNow < deadline, "caching did not resume after Redis came back");
            var s = await host.SummaryAsync(nhs);
            Assert.Single(s.ActiveProblems);
            await Task.Delay(200);
        }

        // With Redis back, the contribution goes through and its reader sees it.
        await host.ContributeAsync("RR8", Make.Medication(nhs, "m-1"));
        Assert.Single((await host.SummaryAsync(nhs)).CurrentMedications);

        Assert.True(await host.Redis.KeyExistsAsync(host.SummaryKey(nhs)));
        Assert.Contains(host.Logs.Lines, l => l.Contains("Summary cache unavailable", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.Contains("Summary cache available again", StringComparison.Ordinal));
    }
}
