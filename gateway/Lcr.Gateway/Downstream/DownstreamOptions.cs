namespace Lcr.Gateway.Downstream;

/// <summary>
/// Where the internal services are and how long the gateway waits for them
/// (<c>Services:*</c> and <c>Gateway:*</c> configuration).
/// </summary>
public sealed class DownstreamOptions
{
    /// <summary>Addresses: <c>http://127.0.0.1:7102</c> locally; <c>dns:///lcr-identity-headless:8080</c> in the cluster (client-side round robin over pods).</summary>
    public Dictionary<string, string> Services { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Deadline of each downstream call when the caller sets none or a longer one.</summary>
    public TimeSpan DefaultCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long before the caller's own deadline every downstream call is cut off (at most a fifth
    /// of the time the caller has left), so that the gateway still has time to answer UNAVAILABLE
    /// naming the service that did not answer.
    /// </summary>
    public TimeSpan DeadlineReserve { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Consecutive-failure circuit breaking: failure ratio that opens the circuit.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Calls seen in the sampling window before the breaker may open.</summary>
    public int BreakerMinimumThroughput { get; set; } = 10;

    /// <summary>How long an open circuit fails fast before a trial call.</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The internal services the gateway calls.</summary>
public static class ServiceNames
{
    public const string Identity = "Identity";
    public const string Demographics = "Demographics";
    public const string Consent = "Consent";
    public const string Clinical = "Clinical";
    public const string Audit = "Audit";

    public static readonly string[] All = [Identity, Demographics, Consent, Clinical, Audit];
}
