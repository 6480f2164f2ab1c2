namespace Lcr.Identity.Domain;

/// <summary>One throttle counter as stored: its failures, its delay, and (for a route) its last success.</summary>
public sealed record SignInCounter(int Failures, DateTimeOffset? BlockedUntil, DateTimeOffset? LastSuccessAt);

/// <summary>
/// The sign-in throttling rules, pure (no I/O), so they are unit-tested without a host.
/// <para>
/// Three counters: the <b>route</b> (one user name from one source address), the <b>source</b>
/// (every user name from one address) and the <b>account</b> (one user name from everywhere).
/// A route or a source past its free failures waits a delay that doubles with each further
/// failure, up to a cap. The account is held back only on evidence of an attack on it (failures
/// from <see cref="SignInThrottleOptions.AttackSources"/> distinct addresses, or
/// <see cref="SignInThrottleOptions.AttackFailures"/> failures), and then only for routes that
/// are not <b>known</b>: a route that signed in successfully recently, and is not failing
/// itself, is exempt from the source and account delays, so an attacker elsewhere cannot lock
/// a professional out. A waiting caller is told how long (RESOURCE_EXHAUSTED with RetryInfo);
/// no server thread sleeps.
/// </para>
/// </summary>
public static class SignInThrottlePolicy
{
    /// <summary>The delay after <paramref name="failures"/> failures when <paramref name="free"/> are allowed; null while under it.</summary>
    public static TimeSpan? Delay(long failures, long free, SignInThrottleOptions o)
    {
        if (failures < free)
        {
            return null;
        }

        var doublings = Math.Min(failures - free, 40);
        var ticks = o.FirstDelay.Ticks * Math.Pow(2, doublings);
        return ticks >= o.MaxDelay.Ticks ? o.MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// The delay the account imposes on unknown routes, given its failures and the distinct
    /// sources failing against it: null when that is no evidence of an attack, otherwise
    /// doubling with every source and every failure beyond the thresholds.
    /// </summary>
    public static TimeSpan? AccountDelay(long failures, long failingSources, SignInThrottleOptions o)
    {
        var level = Math.Max(failingSources - o.AttackSources, failures - o.AttackFailures);
        return level < 0 ? null : Delay(level, 0, o);
    }

    /// <summary>Whether the route has signed in successfully recently and is not itself failing past its allowance.</summary>
    public static bool IsKnownRoute(SignInCounter? route, DateTimeOffset now, SignInThrottleOptions o) =>
        route?.LastSuccessAt is { } ok && ok > now - o.KnownRouteLifetime && route.Failures < o.FreeFailuresPerRoute;

    /// <summary>How long this attempt must wait before it may be checked; null when it may go ahead.</summary>
    public static TimeSpan? RetryAfter(SignInCounter? route, SignInCounter? source, SignInCounter? account, DateTimeOffset now, SignInThrottleOptions o)
    {
        var wait = Remaining(route, now);
        if (!IsKnownRoute(route, now, o))
        {
            wait = Max(wait, Max(Remaining(source, now), Remaining(account, now)));
        }

        return wait;
    }

    private static TimeSpan? Remaining(SignInCounter? c, DateTimeOffset now) =>
        c?.BlockedUntil is { } until && until > now ? until - now : null;

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
