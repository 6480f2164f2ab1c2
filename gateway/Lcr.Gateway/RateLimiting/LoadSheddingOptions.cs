namespace Lcr.Gateway.RateLimiting;

/// <summary>
/// The gateway's load shedding (<c>Gateway:LoadShedding:*</c>), per replica: how many calls it
/// serves at once and how many more may wait for a free slot; every call beyond both is refused
/// at once with RESOURCE_EXHAUSTED (<c>GATEWAY_OVERLOADED</c>) and a RetryInfo.
/// </summary>
public sealed class LoadSheddingOptions
{
    /// <summary>Calls served at once by this replica; unset: 32 per processor the process may use (64 on two cores).</summary>
    public int? MaxConcurrentCalls { get; set; }

    /// <summary>Calls that may wait, oldest first, for a free slot; unset: half of <see cref="MaxConcurrentCalls"/>.</summary>
    public int? QueueLimit { get; set; }

    /// <summary>The delay a refused caller is told to wait (RetryInfo; Retry-After for HTTP callers, whole seconds).</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The limit in force: <see cref="MaxConcurrentCalls"/>, else 32 per processor.</summary>
    public int EffectiveMaxConcurrentCalls => MaxConcurrentCalls ?? 32 * Environment.ProcessorCount;

    /// <summary>The queue in force: <see cref="QueueLimit"/>, else half the limit.</summary>
    public int EffectiveQueueLimit => QueueLimit ?? EffectiveMaxConcurrentCalls / 2;

    /// <summary>At least one call at a time, a queue of zero or more, a retry delay of one second to a minute.</summary>
    public bool IsValid =>
        EffectiveMaxConcurrentCalls >= 1 && EffectiveQueueLimit >= 0 &&
        RetryAfter >= TimeSpan.FromSeconds(1) && RetryAfter <= TimeSpan.FromMinutes(1);
}
