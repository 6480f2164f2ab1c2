namespace Lcr.Gateway.Downstream;

/// <summary>The deadline of one downstream call (pure arithmetic, unit-tested without a host).</summary>
public static class DownstreamDeadline
{
    /// <summary>
    /// The caller's deadline less a reserve (at most a fifth of the time the caller has left), so
    /// that a service that does not answer leaves the gateway time to answer UNAVAILABLE itself
    /// (the caller would otherwise see only its own DEADLINE_EXCEEDED, with nothing to say which
    /// dependency failed); never later than <paramref name="now"/> + <paramref name="defaultCallTimeout"/>.
    /// A caller without a deadline has <see cref="DateTime.MaxValue"/>.
    /// </summary>
    public static DateTime For(DateTime now, DateTime callerDeadline, TimeSpan defaultCallTimeout, TimeSpan reserve)
    {
        var deadline = now + defaultCallTimeout;
        var remaining = callerDeadline - now;
        var callerBound = remaining <= TimeSpan.Zero
            ? callerDeadline
            : callerDeadline - TimeSpan.FromTicks(Math.Min(reserve.Ticks, remaining.Ticks / 5));
        return callerBound < deadline ? callerBound : deadline;
    }
}
