using Lcr.Identity.Api;
using Lcr.Identity.Application;
using Lcr.Identity.Application.Federation;
using Lcr.Identity.Domain;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.Persistence;
using Lcr.Identity.Seed;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Lcr.Identity;

public static class Extensions
{
    public static WebApplicationBuilder AddIdentityServices(this WebApplicationBuilder builder)
    {
        builder.AddPostgres<IdentityDbContext>("Identity");
        var services = builder.Services;
        var config = builder.Configuration;
        services.AddSingleton(TimeProvider.System);

        services.AddOptions<IdentityTokenOptions>().Bind(config.GetSection("Identity:Tokens"))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Issuer) && !string.IsNullOrWhiteSpace(o.Audience), "Identity:Tokens needs Issuer and Audience.")
            .Validate(o => o.AccessLifetime > TimeSpan.Zero && o.AccessLifetime <= TimeSpan.FromMinutes(30), "Identity:Tokens:AccessLifetime must be at most 30 minutes.")
            .Validate(o => o.EmergencyAccessLifetime > TimeSpan.Zero && o.EmergencyAccessLifetime <= o.AccessLifetime,
                "Identity:Tokens:EmergencyAccessLifetime must be positive and no longer than AccessLifetime.")
            .ValidateOnStart();
        services.AddOptions<SignInThrottleOptions>().Bind(config.GetSection("Identity:SignInThrottle"))
            .Validate(o => o.IsValid(), "Identity:SignInThrottle values must be positive (AttackSources at least 2, MaxDelay at least FirstDelay).")
            .ValidateOnStart();
        services.AddOptions<KeyEncryptionOptions>().Bind(config.GetSection("Identity"))
            .Validate(o => o.TryGetKey(out _),
                "Identity:KeyEncryptionKey must be set to base64 of 32 random bytes (e.g. `openssl rand -base64 32`); it encrypts the token-signing private keys at rest.")
            .ValidateOnStart();

        // The verifier identity uses on the session and system tokens it receives: the gateway's
        // code, fed by identity's own key ring instead of a gRPC call to itself.
        services.AddOptions<TokenVerificationOptions>().Configure<IOptions<IdentityTokenOptions>>((v, t) =>
        {
            v.Issuer = t.Value.Issuer;
            v.Audience = t.Value.Audience;
            v.ClockSkew = t.Value.ClockSkew;
            v.UnknownKeyRefreshInterval = TimeSpan.FromSeconds(1);
            v.MaxKeyCacheAge = t.Value.SigningKeyCacheTime;
        });
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<ISigningKeySource>(sp => sp.GetRequiredService<SigningKeyRing>());
        services.AddSingleton<SigningKeyCache>();
        services.AddSingleton<PlatformTokenVerifier>();
        services.AddSingleton<AccessTokenVerifier>();
        services.AddSingleton<SystemTokenVerifier>();
        // Its own callers' session and system tokens: ASP.NET Core authentication with a database
        // re-check, and the caller policies named on IdentityGrpcService.
        services.AddPlatformTokenAuthentication<IdentityCallerAuthenticationHandler>(TokenTypes.Session, TokenTypes.System);

        services.AddSingleton(sp => new RoleCatalogue(
            sp.GetRequiredService<IConfiguration>().GetSection("Identity:Roles").Get<Dictionary<string, RoleDefinition>>()));
        services.AddOptions<SelfClaimOptions>().Bind(config.GetSection("Identity:SelfClaims"))
            .Validate(o => o.IsValid(), "Identity:SelfClaims:MaximumDurations: each reason's longest duration must be positive and at most 366 days.")
            .ValidateOnStart();
        services.AddOptions<PasswordSignInOptions>().Bind(config.GetSection("Identity:PasswordSignIn"));
        // Federated sign-in (ExchangeFederatedToken): the trusted OpenID Connect providers and the national role mapping table.
        services.AddOptions<FederationOptions>().Bind(config.GetSection("Identity:Federation"))
            .Validate(o => o.Problem() is null, "Identity:Federation is invalid: see docs/services/identity.md, \"Federated sign-in\".")
            .ValidateOnStart();
        services.AddSingleton<FederatedTokenValidator>();
        services.AddSingleton(sp => new NationalRoleMap(sp.GetRequiredService<IOptions<FederationOptions>>().Value.RoleMappings));
        services.AddScoped<FederatedSignInService>();
        services.AddScoped<FederatedSignInLog>();
        services.AddScoped<JoinerRegister>();
        services.AddScoped<RoleProfileLeavers>();
        services.AddScoped<JoinerService>();
        services.AddScoped<SignInRecordService>();
        services.AddSingleton<IPasswordHasher<ProfessionalRow>, PasswordHasher<ProfessionalRow>>();
        services.AddSingleton<IPasswordHasher<SystemClientRow>, PasswordHasher<SystemClientRow>>();
        services.AddSingleton<TokenIssuer>();
        services.AddScoped<CallerAuthenticator>();
        services.AddScoped<SignInThrottle>();
        services.AddScoped<SignInService>();
        services.AddScoped<AccessService>();
        services.AddScoped<RelationshipService>();
        services.AddScoped<SelfClaimService>();
        services.AddScoped<OrganisationLinkService>();
        services.AddScoped<ActiveRoleAssignmentService>();
        services.AddScoped<DirectoryService>();
        services.AddScoped<SystemClientService>();
        services.AddSingleton<IDevelopmentSeeder, IdentitySeeder>();
        return builder;
    }

    public static WebApplication MapIdentityEndpoints(this WebApplication app)
    {
        app.MapGrpcService<IdentityGrpcService>();
        return app;
    }
}
