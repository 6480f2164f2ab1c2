using Lcr.Identity.Domain;

namespace Lcr.Identity.Tests;

/// <summary>The throttling rules alone, without a host.</summary>
public sealed class SignInThrottlePolicyTests
{
    private static readonly SignInThrottleOptions O = new();
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Delays_start_after_the_free_failures_double_with_each_failure_and_stop_at_the_cap()
    {
        Assert.Null(SignInThrottlePolicy.Delay(4, 5, O));
        Assert.Equal(TimeSpan.FromSeconds(1), SignInThrottlePolicy.Delay(5, 5, O));
        Assert.Equal(TimeSpan.FromSeconds(2), SignInThrottlePolicy.Delay(6, 5, O));
        Assert.Equal(TimeSpan.FromSeconds(512), SignInThrottlePolicy.Delay(14, 5, O));
        Assert.Equal(TimeSpan.FromMinutes(15), SignInThrottlePolicy.Delay(15, 5, O));
        Assert.Equal(TimeSpan.FromMinutes(15), SignInThrottlePolicy.Delay(int.MaxValue, 5, O));
    }

    [Fact]
    public void An_account_is_held_back_only_on_evidence_of_an_attack()
    {
        Assert.Null(SignInThrottlePolicy.AccountDelay(failures: 60, failingSources: 4, O));
        Assert.Equal(TimeSpan.FromSeconds(1), SignInThrottlePolicy.AccountDelay(failures: 5, failingSources: 5, O));
        Assert.Equal(TimeSpan.FromSeconds(8), SignInThrottlePolicy.AccountDelay(failures: 8, failingSources: 8, O));
        Assert.Equal(TimeSpan.FromSeconds(1), SignInThrottlePolicy.AccountDelay(failures: 100, failingSources: 1, O));
    }

    [Fact]
    public void A_known_route_is_exempt_from_source_and_account_delays_but_not_from_its_own()
    {
        var blocked = new SignInCounter(40, Now.AddMinutes(5), null);
        var known = new SignInCounter(0, null, Now.AddDays(-3));
        Assert.Null(SignInThrottlePolicy.RetryAfter(known, blocked, blocked, Now, O));
        Assert.Equal(TimeSpan.FromMinutes(5), SignInThrottlePolicy.RetryAfter(null, blocked, null, Now, O));
        Assert.Equal(TimeSpan.FromMinutes(5), SignInThrottlePolicy.RetryAfter(null, null, blocked, Now, O));

        // Long ago, or failing itself: no longer known.
        Assert.NotNull(SignInThrottlePolicy.RetryAfter(new SignInCounter(0, null, Now.AddDays(-91)), null, blocked, Now, O));
        Assert.NotNull(SignInThrottlePolicy.RetryAfter(new SignInCounter(5, Now.AddMinutes(1), Now.AddDays(-1)), null, null, Now, O));
        Assert.NotNull(SignInThrottlePolicy.RetryAfter(new SignInCounter(5, null, Now.AddDays(-1)), null, blocked, Now, O));

        // A delay that is over holds nobody back; the longest applicable one is given.
        Assert.Null(SignInThrottlePolicy.RetryAfter(new SignInCounter(9, Now.AddSeconds(-1), null), null, null, Now, O));
        Assert.Equal(TimeSpan.FromMinutes(7), SignInThrottlePolicy.RetryAfter(new SignInCounter(9, Now.AddMinutes(2), null),
            new SignInCounter(40, Now.AddMinutes(7), null), blocked, Now, O));
    }
}
