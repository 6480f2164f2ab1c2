namespace Lcr.Gateway.Records;

/// <summary>
/// How the gateway coalesces the audit events of concurrent calls into shared <c>RecordEvents</c>
/// calls (<c>Gateway:Audit:*</c>; see <see cref="AuditBatcher"/>).
/// </summary>
public sealed class AuditBatchOptions
{
    /// <summary>
    /// The audit service's own limit on events per <c>RecordEvents</c> call
    /// (services/Lcr.Audit EventMapping.MaxEventsPerCall): a batch never holds more.
    /// </summary>
    public const int ServiceLimit = 100;

    /// <summary>Most events in one shared call (1 to <see cref="ServiceLimit"/>).</summary>
    public int MaxBatch { get; set; } = ServiceLimit;

    /// <summary>
    /// Most shared calls in flight at once, so one slow batch does not hold the others back; a
    /// call that finds one free sends at once, alone if nobody else is waiting.
    /// </summary>
    public int MaxConcurrentBatches { get; set; } = 4;

    /// <summary>
    /// Most serialized bytes of events in one shared call. Under gRPC's per-call retry buffer
    /// (1 MiB), so that the channel's retry on UNAVAILABLE stays possible for every batch.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 512 * 1024;

    /// <summary>True when every value is within its range.</summary>
    public bool IsValid => MaxBatch is >= 1 and <= ServiceLimit && MaxConcurrentBatches is >= 1 and <= 64 && MaxBatchBytes >= 1024;
}
