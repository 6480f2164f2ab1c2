using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Lcr.Security;

public static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AccessTokenVerifier"/>, <see cref="SystemTokenVerifier"/>, the
    /// shared <see cref="PlatformTokenVerifier"/> and <see cref="SigningKeyCache"/>, with
    /// options bound from <paramref name="section"/> (keys: Issuer, Audience, ClockSkew,
    /// UnknownKeyRefreshInterval, MaxKeyCacheAge). Keys come from
    /// <see cref="GrpcSigningKeySource"/> unless an <see cref="ISigningKeySource"/> is
    /// registered first; it needs an <c>IdentityService.IdentityServiceClient</c> in the
    /// container (e.g. <c>AddGrpcClient</c>).
    /// </summary>
    public static IServiceCollection AddPlatformTokenVerification(this IServiceCollection services, IConfigurationSection section)
    {
        services.AddOptions<TokenVerificationOptions>().Bind(section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Issuer) && !string.IsNullOrWhiteSpace(o.Audience),
                "Token verification needs an Issuer and an Audience.")
            .Validate(o => o.ClockSkew >= TimeSpan.Zero && o.ClockSkew <= TokenVerificationOptions.MaxClockSkew,
                "Token verification ClockSkew must be between 0 and 2 minutes.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISigningKeySource, GrpcSigningKeySource>();
        services.TryAddSingleton<SigningKeyCache>();
        services.TryAddSingleton<PlatformTokenVerifier>();
        services.TryAddSingleton<AccessTokenVerifier>();
        services.TryAddSingleton<SystemTokenVerifier>();
        return services;
    }

    /// <summary>
    /// ASP.NET Core authentication of the callers' platform tokens of <paramref name="tokenTypes"/>
    /// (<see cref="PlatformTokenAuthenticationHandler"/>, or <typeparamref name="THandler"/> when
    /// a service re-checks its callers) and authorization by the caller policies
    /// (<see cref="CallerPolicies"/>, named by the attributes on the gRPC services). Refusals of
    /// gRPC calls are answered as gRPC statuses by ServiceDefaults' result handler.
    /// </summary>
    public static IServiceCollection AddPlatformTokenAuthentication<THandler>(this IServiceCollection services, params string[] tokenTypes)
        where THandler : PlatformTokenAuthenticationHandler
    {
        // The default scheme unless the service has one (internal services: the internal credential).
        services.AddAuthentication(o => o.DefaultScheme ??= PlatformTokenAuthenticationOptions.Scheme)
            .AddScheme<PlatformTokenAuthenticationOptions, THandler>(PlatformTokenAuthenticationOptions.Scheme,
                o => o.TokenTypes.UnionWith(tokenTypes));
        services.AddAuthorization();
        services.AddSingleton<IAuthorizationPolicyProvider, CallerPolicyProvider>();
        services.AddSingleton<IAuthorizationHandler, CallerRequirementHandler>();
        return services;
    }

    /// <inheritdoc cref="AddPlatformTokenAuthentication{THandler}"/>
    public static IServiceCollection AddPlatformTokenAuthentication(this IServiceCollection services, params string[] tokenTypes) =>
        services.AddPlatformTokenAuthentication<PlatformTokenAuthenticationHandler>(tokenTypes);
}
