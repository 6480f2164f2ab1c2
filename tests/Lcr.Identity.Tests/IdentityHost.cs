using System.Security.Cryptography;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Api;
using Lcr.Identity.Seed;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Lcr.ServiceDefaults.DevData;
using Lcr.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lcr.Identity.Tests;

/// <summary>The real identity service, in memory, on its own fresh database, seeded with the dev story.</summary>
public class IdentityHost : ServiceHost<IdentityGrpcService>, IAsyncLifetime
{
    public const string SeedPassword = "Seed-Password-For-Tests-7731";
    public static readonly string SeedSecret = "seed-secret-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    protected override string ConnectionName => "Identity";

    public IdentityService.IdentityServiceClient Client => new(Channel);

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("Identity:KeyEncryptionKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
        new("Identity:SeedPassword", SeedPassword),
        new("Identity:SeedClientSecret", SeedSecret),
        // Delays long enough that no test races them on a loaded machine (SignInThrottleTests moves time by hand).
        new("Identity:SignInThrottle:FirstDelay", "00:01:00"),
        new("Identity:SignInThrottle:MaxDelay", "01:00:00"),
    ];

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var seeder in Services.GetServices<IDevelopmentSeeder>())
        {
            await seeder.SeedAsync(CancellationToken.None);
        }
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync();

    public static string Patient(int index) => SyntheticCohort.Patients[index].NhsNumber;

    // Tokens of seeded accounts are reused across tests: each issue costs a slow password hash check.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<Metadata>>> _tokens = new();

    /// <summary>Metadata with a system token of a seeded client (all its scopes, or those named).</summary>
    public Task<Metadata> SystemAsync(string clientId, params string[] scopes) =>
        _tokens.GetOrAdd("system|" + clientId + "|" + string.Join(' ', scopes), _ => new(async () =>
        {
            var r = await Client.IssueSystemTokenAsync(new IssueSystemTokenRequest { ClientId = clientId, ClientSecret = SeedSecret, Scopes = { scopes } });
            return BearerToken.Metadata(r.SystemToken);
        })).Value;

    public Task<Metadata> AdminAsync() => SystemAsync(IdentitySeeder.PlatformAdminClient);

    /// <summary>Signs a professional in; returns the session metadata and the response.</summary>
    public async Task<(Metadata Session, SignInResponse Response)> SignInAsync(string userName, string password = SeedPassword)
    {
        var r = await Client.SignInAsync(new SignInRequest { UserName = userName, Password = password });
        return (BearerToken.Metadata(r.SessionToken), r);
    }

    /// <summary>A session of a professional signed in with the seed password (reused across tests).</summary>
    public Task<Metadata> SessionAsync(string userName) =>
        _tokens.GetOrAdd("session|" + userName, _ => new(async () => (await SignInAsync(userName)).Session)).Value;

    /// <summary>A verifier as the gateway builds it: keys from ListSigningKeys over gRPC.</summary>
    public (AccessTokenVerifier Verifier, SigningKeyCache Cache) GatewayVerifier(TimeProvider? clock = null)
    {
        var options = Options.Create(new TokenVerificationOptions());
        var cache = new SigningKeyCache(new GrpcSigningKeySource(Client), options, clock ?? TimeProvider.System, NullLogger<SigningKeyCache>.Instance);
        return (new AccessTokenVerifier(new PlatformTokenVerifier(cache, options, clock ?? TimeProvider.System)), cache);
    }

    private static int _next = 100;

    /// <summary>A fresh valid NHS number in the 997 test range, unique in this process.</summary>
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

    /// <summary>Records a relationship as a feed and returns it.</summary>
    public async Task<CareRelationship> RecordAsync(Metadata feed, string nhs, CareRelationshipKind kind, Action<CareRelationship> subject,
        string? sourceId = null)
    {
        var c = new CareRelationship
        {
            NhsNumber = nhs,
            Kind = kind,
            Source = new Provenance { SourceEntryId = sourceId ?? "src-" + Guid.NewGuid().ToString("N")[..12], SourceSystem = "test-feed" },
        };
        subject(c);
        return (await Client.RecordCareRelationshipAsync(new RecordCareRelationshipRequest { CareRelationship = c }, feed)).CareRelationship;
    }

    /// <summary>Creates a professional with one role, through the admin calls; returns id and role assignment id.</summary>
    public async Task<(string Id, string RoleAssignmentId, string UserName)> NewProfessionalAsync(string roleCode, string ods, string password = SeedPassword, params string[] teams)
    {
        var admin = await AdminAsync();
        var userName = "user." + Guid.NewGuid().ToString("N")[..10];
        var p = (await Client.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            InitialPassword = password,
            Professional = new Professional { UserName = userName, GivenName = "Test", FamilyName = "Person", TeamIds = { teams } },
        }, admin)).Professional;
        var ra = (await Client.CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment { ProfessionalId = p.Id, Organisation = new OrganisationReference { OdsCode = ods }, RoleCode = roleCode },
        }, admin)).RoleAssignment;
        return (p.Id, ra.Id, userName);
    }

    /// <summary>A further role assignment for an existing professional.</summary>
    public async Task<string> AddRoleAsync(string professionalId, string roleCode, string ods) =>
        (await Client.CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment { ProfessionalId = professionalId, Organisation = new OrganisationReference { OdsCode = ods }, RoleCode = roleCode },
        }, await AdminAsync())).RoleAssignment.Id;
}

[CollectionDefinition(Name)]
public sealed class IdentityCollection : ICollectionFixture<IdentityHost>
{
    public const string Name = "identity";
}
