using Grpc.Core;
using Lcr.Client;
using Lcr.ServiceDefaults.DevData;
using Lcr.Testing.Platform;

namespace Lcr.Clients.Tests;

/// <summary>
/// One real-process platform (every service its own process, seeded as by <c>make run</c>)
/// shared by the client tests that call it, started while the TypeScript client builds from
/// a clean copy. A TypeScript build failure fails only the TypeScript tests.
/// </summary>
public sealed class ClientsPlatform : IAsyncLifetime
{
    private readonly TypeScriptClient _typeScript = new();
    private Task _typeScriptBuild = Task.CompletedTask;

    public RealPlatform Platform { get; private set; } = null!;

    /// <summary>The README's example patient: registered at B86001 (gp.b86001), no restrictions.</summary>
    public static string ExamplePatient => SyntheticCohort.Patients[SyntheticOrganisations.Scenario.ExamplePatient].NhsNumber;

    /// <summary>Opted out of the shared record: nobody sees it, emergency access included.</summary>
    public static string OptedOutPatient => SyntheticCohort.Patients[SyntheticOrganisations.Scenario.OptedOut].NhsNumber;

    /// <summary>A valid NHS number (Modulus 11) outside the synthetic cohort: nobody has a care relationship with it.</summary>
    public const string OtherPracticesPatient = "9990000026";

    /// <summary>The TypeScript client, built (npm ci, buf generate, tsc); throws the build's failure.</summary>
    public async Task<TypeScriptClient> TypeScriptAsync()
    {
        await _typeScriptBuild;
        return _typeScript;
    }

    /// <summary>A client of the platform's gateway with a generous default deadline (the test machine is shared).</summary>
    public LcrClient Client(TimeProvider? clock = null) => LcrClient.Create(new LcrClientOptions
    {
        Address = new Uri(Platform.GatewayAddress),
        DefaultDeadline = TimeSpan.FromSeconds(60),
        TimeProvider = clock ?? TimeProvider.System,
    });

    /// <summary>
    /// Restarts a killed service and waits until a whole record read works again (the
    /// gateway's circuit breaker to the service may stay open for a few seconds), so later
    /// tests start from a whole platform.
    /// </summary>
    public async Task RestartAndRecoverAsync(PlatformService service)
    {
        await Platform.RestartAsync(service);
        await WarmUpAsync();
    }

    /// <summary>
    /// Reads a record and asks for a refused token until both answer (UNAVAILABLE or
    /// DEADLINE_EXCEEDED are retried for up to a minute): a fresh or restarted process
    /// compiles its code paths on first use, which on a busy machine can exceed the
    /// gateway's 5 s deadline to the services. The tests then measure behaviour, not warm-up.
    /// </summary>
    private async Task WarmUpAsync()
    {
        using var lcr = Client();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var session = await lcr.SignInAsync("gp.b86001", Platform.SeedPassword);
                await lcr.Gateway(session.AccessTokens(ExamplePatient))
                    .GetPatientRecordAsync(new Lcr.Gateway.V1.GetPatientRecordRequest { NhsNumber = ExamplePatient });
                var refused = await Assert.ThrowsAsync<RpcException>(async () => await session.AccessTokens(OtherPracticesPatient).GetTokenAsync());
                if (refused.StatusCode == StatusCode.PermissionDenied)
                {
                    return;
                }

                throw refused;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && attempt < 60)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    public async Task InitializeAsync()
    {
        _typeScriptBuild = _typeScript.InitializeAsync();
        // Identity also trusts the real development OpenID Connect provider (make test starts it) for the GP system.
        Platform = await RealPlatform.StartAsync(new RealPlatformOptions
        {
            ExtraEnvironment = new Dictionary<string, string>
            {
                ["Identity__Federation__Providers__0__Name"] = "dev-oidc",
                ["Identity__Federation__Providers__0__Authority"] = Lcr.Testing.DevOidcProvider.Issuer,
                ["Identity__Federation__Providers__0__RequireHttpsMetadata"] = "false",
                ["Identity__Federation__Providers__0__Audiences__0"] = "b86001-gp-system",
                ["Identity__Federation__Providers__0__AllowedOrganisations__0"] = "B86001",
            },
        });
        await WarmUpAsync();
        try
        {
            await _typeScriptBuild;
        }
        catch (Exception)
        {
            // Reported by the TypeScript tests themselves (TypeScriptAsync); the C# tests go on.
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _typeScriptBuild; // never delete its directory under a running npm
        }
        catch (Exception)
        {
            // Already reported by the TypeScript tests.
        }

        await _typeScript.DisposeAsync();
        if (Platform is not null)
        {
            await Platform.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClientsPlatformCollection : ICollectionFixture<ClientsPlatform>
{
    public const string Name = "clients against the real platform";
}
