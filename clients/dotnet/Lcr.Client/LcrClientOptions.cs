namespace Lcr.Client;

/// <summary>How an <see cref="LcrClient"/> reaches the gateway and treats every call.</summary>
public sealed class LcrClientOptions
{
    /// <summary>The gateway's address, e.g. <c>https://lcr.example.nhs.uk</c> or, locally, <c>http://127.0.0.1:7100</c>.</summary>
    public required Uri Address { get; init; }

    /// <summary>The deadline given to every call that sets none of its own. Default 10 seconds.</summary>
    public TimeSpan DefaultDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Attempts in all (the first included) for an idempotent read that fails with
    /// UNAVAILABLE; 1 turns retries off. Default 3. Other calls are never retried.
    /// </summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>A token is renewed when less than this is left before its expiry. Default 30 seconds.</summary>
    public TimeSpan RefreshBeforeExpiry { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock used to decide when a token needs renewing (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The HTTP handler under the gRPC channel, e.g. one with a client certificate or a
    /// proxy. Optional; by default the channel creates its own.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; init; }
}
