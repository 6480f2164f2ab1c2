using Google.Rpc;
using Grpc.Core;
using Lcr.Identity.Application;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests;

/// <summary>Sign-in throttling through the front door: the gateway's part in it.</summary>
[Collection(PlatformCollection.Name)]
public class SignInThrottleGatewayTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_throttled_sign_in_reaches_the_caller_with_retry_info_a_stated_address_is_ignored_and_others_still_sign_in()
    {
        // An unknown user name (throttled exactly like a real one), so no seeded account used by other tests is held back.
        var userName = "no.such.user." + Guid.NewGuid().ToString("N")[..10];
        var identity = IdentityClient(platform.Gateway.Channel);
        var outcomes = new List<(StatusCode Code, string? Reason, RetryInfo? Retry)>();
        for (var i = 0; i < 12; i++)
        {
            // The caller claims a new source address every time: the gateway must not pass that on.
            var claimed = new Metadata { { ClientAddress.Header, $"192.0.2.{i + 1}" }, { "x-forwarded-for", $"192.0.2.{i + 1}" } };
            try
            {
                await identity.SignInAsync(new SignInRequest { UserName = userName, Password = "wrong-password-" + i }, claimed);
                outcomes.Add((StatusCode.OK, null, null));
            }
            catch (RpcException e)
            {
                outcomes.Add((e.StatusCode, Reason(e), e.GetRpcStatus()?.GetDetail<RetryInfo>()));
            }
        }

        // Identity's RESOURCE_EXHAUSTED comes through as it is (not UNAVAILABLE), with its RetryInfo.
        Assert.All(outcomes.Take(5), o => Assert.Equal((StatusCode.Unauthenticated, "INVALID_CREDENTIALS"), (o.Code, o.Reason)));
        Assert.All(outcomes.Skip(5), o =>
        {
            Assert.Equal((StatusCode.ResourceExhausted, "SIGN_IN_THROTTLED"), (o.Code, o.Reason));
            Assert.True(o.Retry!.RetryDelay.ToTimeSpan() >= TimeSpan.FromSeconds(1));
        });

        // Every attempt was counted against the one route the gateway saw, not the twelve addresses claimed.
        var routes = (long)(await platform.Identity.Database.ScalarAsync(
            "select count(*) from sign_in_throttles where scope = 'route' and account = @a", ("a", SignInThrottle.AccountKey(userName))))!;
        Assert.Equal(1, routes);

        // Seven refusals from identity did not open the gateway's circuit to it: another professional signs in.
        Assert.False(string.IsNullOrEmpty(await SessionAsync(platform.Gateway.Channel, "gp.b86001")));
    }
}
