namespace Lcr.Gateway.Records;

/// <summary>Registers <see cref="AuditBatcher"/> and its options (<c>Gateway:Audit:*</c>).</summary>
public static class AuditBatchingRegistration
{
    public static IServiceCollection AddAuditBatching(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<AuditBatchOptions>().Bind(config.GetSection("Gateway:Audit"))
            .Validate(o => o.IsValid, "Gateway:Audit:MaxBatch must be 1-100, MaxConcurrentBatches 1-64 and MaxBatchBytes at least 1024.")
            .ValidateOnStart();
        services.AddSingleton<AuditBatcher>();
        return services;
    }
}
