using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Common.V1;
using Lcr.Consent.Api;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Consent.Tests;

/// <summary>The real consent service, in memory, on its own fresh database, with the test Redis.</summary>
public class ConsentHost : ServiceHost<ConsentGrpcService>
{
    /// <summary>One pseudonymisation key for every replica of a test, as in a deployment (a shared secret).</summary>
    public static readonly string PseudonymKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    protected override string ConnectionName => "Consent";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() => [new("Lcr:PseudonymKey", PseudonymKey)];

    public ConsentService.ConsentServiceClient Client => new(Channel);

    /// <summary>An IG officer's metadata, as the gateway asserts it.</summary>
    public static Metadata IgOfficer(string id = "ig-officer-1") => CallerHeaders.For(new Actor
    {
        Kind = ActorKind.Professional,
        Id = id,
        Organisation = new OrganisationReference { OdsCode = "B86001" },
        RoleCode = "R8003",
    });

    private static int _next;

    /// <summary>A fresh valid NHS number (999 test range), unique in this process.</summary>
    public static string NewNhsNumber()
    {
        while (true)
        {
            var nine = "997" + Interlocked.Increment(ref _next).ToString("000000", System.Globalization.CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                return nine + (char)('0' + check);
            }
        }
    }

    public Task<long> EventCountAsync() => CountAsync("select count(*) from consent_events");

    public async Task<long> CountAsync(string sql) => (long)(await Database.ScalarAsync(sql))!;
}

/// <summary>
/// Another instance of the consent service (a second replica) sharing a database and a Redis
/// with an existing host, optionally with its own clock. Disposed by the test that makes it.
/// </summary>
public sealed class ConsentReplica : IAsyncDisposable
{
    private readonly WebApplicationFactory<ConsentGrpcService> _factory;

    /// <param name="localCache">False: no in-memory snapshot tier (Consent:LocalCacheEntries = 0), for tests of the Redis tier itself.</param>
    public ConsentReplica(string databaseConnectionString, string redis, TimeProvider? clock = null, bool localCache = true)
    {
        _factory = new WebApplicationFactory<ConsentGrpcService>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Test");
            b.UseSetting("ConnectionStrings:Consent", databaseConnectionString);
            b.UseSetting("ConnectionStrings:Redis", redis);
            b.UseSetting("Lcr:WarmUp:Rounds", "0"); // as ServiceHost: no start-up warm-up in test hosts
            b.UseSetting("Lcr:PseudonymKey", ConsentHost.PseudonymKey);
            if (!localCache)
            {
                b.UseSetting("Consent:LocalCacheEntries", "0");
            }

            if (clock is not null)
            {
                b.ConfigureTestServices(s => s.AddSingleton(clock));
            }
        });
        Channel = GrpcChannel.ForAddress(_factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _factory.Server.CreateHandler() });
        Client = new ConsentService.ConsentServiceClient(Channel);
    }

    public GrpcChannel Channel { get; }

    public ConsentService.ConsentServiceClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _factory.DisposeAsync();
    }
}

/// <summary>A clock a test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
