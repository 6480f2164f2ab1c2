namespace Lcr.Identity.Domain;

/// <summary>
/// Sign-in throttling: section <c>Identity:SignInThrottle</c>. See docs/services/identity.md
/// ("Passwords, secrets, throttling") for the policy these values drive.
/// </summary>
public sealed class SignInThrottleOptions
{
    /// <summary>Consecutive failures one route (a user name from one source address) may make before its delays start.</summary>
    public int FreeFailuresPerRoute { get; set; } = 5;

    /// <summary>Failures one source address may make, over every user name, before its delays start.</summary>
    public int FreeFailuresPerSource { get; set; } = 30;

    /// <summary>Distinct failing source addresses against one user name that count as a distributed attack on it.</summary>
    public int AttackSources { get; set; } = 5;

    /// <summary>Failures against one user name, from anywhere, that count as an attack on it even from few sources.</summary>
    public int AttackFailures { get; set; } = 100;

    /// <summary>The first delay; each further failure doubles it.</summary>
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A counter forgets its failures after this long without one.</summary>
    public TimeSpan QuietPeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a route that signed in successfully stays known (and so exempt from source and attack delays).</summary>
    public TimeSpan KnownRouteLifetime { get; set; } = TimeSpan.FromDays(90);

    public bool IsValid() =>
        FreeFailuresPerRoute >= 1 && FreeFailuresPerSource >= 1 && AttackSources >= 2 && AttackFailures >= 1 &&
        FirstDelay > TimeSpan.Zero && MaxDelay >= FirstDelay && QuietPeriod > TimeSpan.Zero && KnownRouteLifetime > TimeSpan.Zero;
}
