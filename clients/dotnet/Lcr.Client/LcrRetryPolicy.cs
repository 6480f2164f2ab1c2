using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client.Configuration;

namespace Lcr.Client;

/// <summary>
/// Which calls may be retried: the platform's reads (Get*, List*, Search* and the few calls
/// its protos document as safe to retry), on UNAVAILABLE only, through gRPC's own
/// ServiceConfig retry policy. Never SignIn (each failure counts towards the sign-in throttle's delays), never
/// emergency (break-glass) tokens, never a write.
/// </summary>
public static class LcrRetryPolicy
{
    private static readonly HashSet<string> AlsoSafe =
    [
        "lcr.identity.v1.IdentityService/IssueAccessToken",
        "lcr.identity.v1.IdentityService/IssueSystemToken",
        "lcr.identity.v1.IdentityService/ExchangeFederatedToken",
        "lcr.consent.v1.ConsentService/EvaluateAccess",
        "lcr.audit.v1.AuditService/VerifyChain",
    ];

    /// <summary>Every service of the platform's contracts.</summary>
    public static IReadOnlyList<ServiceDescriptor> Services { get; } =
    [
        .. Lcr.Gateway.V1.GatewayReflection.Descriptor.Services,
        .. Lcr.Identity.V1.IdentityReflection.Descriptor.Services,
        .. Lcr.Demographics.V1.DemographicsReflection.Descriptor.Services,
        .. Lcr.Clinical.V1.ClinicalReflection.Descriptor.Services,
        .. Lcr.Consent.V1.ConsentReflection.Descriptor.Services,
        .. Lcr.Audit.V1.AuditReflection.Descriptor.Services,
    ];

    /// <summary>True when the platform documents the method as safe to retry on UNAVAILABLE.</summary>
    public static bool IsIdempotentRead(MethodDescriptor method)
    {
        if (method.IsClientStreaming || method.IsServerStreaming)
        {
            return false;
        }

        if (method.GetOptions()?.IdempotencyLevel is MethodOptions.Types.IdempotencyLevel.NoSideEffects
            or MethodOptions.Types.IdempotencyLevel.Idempotent)
        {
            return true;
        }

        var name = method.Name;
        return StartsWithVerb(name, "Get") || StartsWithVerb(name, "List") || StartsWithVerb(name, "Search")
            || AlsoSafe.Contains($"{method.Service.FullName}/{name}");
    }

    /// <summary>The idempotent reads of every service, as ServiceConfig method names.</summary>
    public static IReadOnlyList<MethodName> IdempotentReads { get; } =
    [
        .. Services.SelectMany(s => s.Methods).Where(IsIdempotentRead)
            .Select(m => new MethodName { Service = m.Service.FullName, Method = m.Name }),
    ];

    /// <summary>
    /// The channel's ServiceConfig: exponential backoff from 0.2 s (doubling, at most 2 s)
    /// on UNAVAILABLE for the idempotent reads, nothing for the rest. The call's deadline
    /// covers every attempt.
    /// </summary>
    public static ServiceConfig ServiceConfig(int maxAttempts)
    {
        var config = new ServiceConfig();
        if (maxAttempts <= 1)
        {
            return config;
        }

        var reads = new MethodConfig
        {
            RetryPolicy = new RetryPolicy
            {
                MaxAttempts = maxAttempts,
                InitialBackoff = TimeSpan.FromMilliseconds(200),
                MaxBackoff = TimeSpan.FromSeconds(2),
                BackoffMultiplier = 2,
                RetryableStatusCodes = { StatusCode.Unavailable },
            },
        };
        foreach (var name in IdempotentReads)
        {
            reads.Names.Add(name);
        }

        config.MethodConfigs.Add(reads);
        return config;
    }

    private static bool StartsWithVerb(string name, string verb) =>
        name.Length > verb.Length && name.StartsWith(verb, StringComparison.Ordinal) && char.IsUpper(name[verb.Length]);
}
