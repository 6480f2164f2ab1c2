using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Identity.Domain;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Identity.Tests;

/// <summary>
/// Sign-in throttling against the real identity service and PostgreSQL: guessing is slowed per
/// route (user name and source address), per source and, on evidence of an attack, per
/// account for unknown routes, without anyone being able to lock a professional out.
/// The source address is the gateway's statement (<see cref="ClientAddress.Header"/>), sent here
/// as the gateway sends it.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class SignInThrottleTests(IdentityHost host)
{
    private const string Wrong = "not-the-password-at-all";

    /// <summary>A fresh documentation-range address, so no two tests share a source.</summary>
    private static string NewSource() => $"198.51.{Random.Shared.Next(0, 255)}.{Random.Shared.Next(1, 255)}";

    private Task<SignInResponse> SignInFrom(string source, string userName, string password = IdentityHost.SeedPassword) =>
        host.Client.SignInAsync(new SignInRequest { UserName = userName, Password = password },
            new Metadata { { ClientAddress.Header, source } }).ResponseAsync;

    /// <summary>The outcome of one attempt: OK, or the status code, the reason and the RetryInfo delay.</summary>
    private async Task<(StatusCode Code, string? Reason, TimeSpan? Retry, string Message)> AttemptAsync(string source, string userName, string password = Wrong)
    {
        try
        {
            await SignInFrom(source, userName, password);
            return (StatusCode.OK, null, null, string.Empty);
        }
        catch (RpcException e)
        {
            var status = e.GetRpcStatus();
            return (e.StatusCode, status?.GetDetail<ErrorInfo>()?.Reason, status?.GetDetail<RetryInfo>()?.RetryDelay?.ToTimeSpan(), e.Status.Detail);
        }
    }

    /// <summary>Time passes for one route: its current delay is over (the test moves the clock by hand, not by waiting).</summary>
    private Task ExpireDelaysAsync(string source) =>
        host.Database.ScalarAsync("update sign_in_throttles set blocked_until = now() - interval '1 second' where source = @s", ("s", source));

    [Fact]
    public async Task Repeated_failures_from_one_source_get_resource_exhausted_with_growing_delays()
    {
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        var source = NewSource();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("INVALID_CREDENTIALS", (await AttemptAsync(source, pro.UserName)).Reason);
        }

        var delays = new List<TimeSpan>();
        for (var round = 0; round < 3; round++)
        {
            // Held back before the password is looked at: the right password is refused too, so waiting is not guessing.
            var held = await AttemptAsync(source, pro.UserName, IdentityHost.SeedPassword);
            Assert.Equal(StatusCode.ResourceExhausted, held.Code);
            Assert.Equal("SIGN_IN_THROTTLED", held.Reason);
            delays.Add(Assert.NotNull(held.Retry));

            await ExpireDelaysAsync(source);
            Assert.Equal("INVALID_CREDENTIALS", (await AttemptAsync(source, pro.UserName)).Reason);
        }

        // Each further failure doubles the delay (configured first delay 1 minute here).
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4)], delays);

        // Once the delay is over, the right password works and the route starts again from nothing.
        await ExpireDelaysAsync(source);
        await SignInFrom(source, pro.UserName);
        Assert.Equal("INVALID_CREDENTIALS", (await AttemptAsync(source, pro.UserName)).Reason);
    }

    [Fact]
    public async Task An_attacker_at_one_source_cannot_lock_out_the_professional_signing_in_from_another()
    {
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        var attacker = NewSource();
        var codes = new List<StatusCode>();
        for (var i = 0; i < 20; i++)
        {
            codes.Add((await AttemptAsync(attacker, pro.UserName)).Code);
        }

        Assert.Equal(5, codes.Count(c => c == StatusCode.Unauthenticated));
        Assert.Equal(15, codes.Count(c => c == StatusCode.ResourceExhausted));

        // The professional, on a ward PC that has never failed (nor ever signed in before), is let in at once.
        var ward = NewSource();
        var signedIn = await SignInFrom(ward, pro.UserName);
        Assert.False(string.IsNullOrEmpty(signedIn.SessionToken));
        // ... and a mistyped password there is an ordinary failure, not a lockout.
        Assert.Equal("INVALID_CREDENTIALS", (await AttemptAsync(ward, pro.UserName)).Reason);
        await SignInFrom(ward, pro.UserName);
        // The attacker is still held back.
        Assert.Equal(StatusCode.ResourceExhausted, (await AttemptAsync(attacker, pro.UserName, IdentityHost.SeedPassword)).Code);
    }

    [Fact]
    public async Task An_attack_from_many_sources_ends_up_throttled_while_a_known_route_still_signs_in()
    {
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        var usual = NewSource();
        await SignInFrom(usual, pro.UserName); // the professional's usual PC: a known route

        // A botnet: one guess from each of many addresses, never enough at any one route or source to be slowed there.
        var outcomes = new List<(StatusCode Code, string? Reason)>();
        for (var i = 0; i < 8; i++)
        {
            var r = await AttemptAsync(NewSource(), pro.UserName);
            outcomes.Add((r.Code, r.Reason));
        }

        // From the fifth failing source on, the account is under attack: new sources wait, even with the right password.
        Assert.All(outcomes.Take(5), o => Assert.Equal("INVALID_CREDENTIALS", o.Reason));
        Assert.All(outcomes.Skip(5), o => Assert.Equal((StatusCode.ResourceExhausted, "SIGN_IN_THROTTLED"), o));
        var fresh = await AttemptAsync(NewSource(), pro.UserName, IdentityHost.SeedPassword);
        Assert.Equal(StatusCode.ResourceExhausted, fresh.Code);
        Assert.NotNull(fresh.Retry);

        // The professional's known route is not held back.
        await SignInFrom(usual, pro.UserName);

        // An administrator's password reset lifts the account's delay.
        var admin = await host.AdminAsync();
        var shown = (await host.Client.GetProfessionalAsync(new GetProfessionalRequest { ProfessionalId = pro.Id }, admin)).Professional;
        await host.Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = pro.Id, Etag = shown.Etag },
            NewPassword = "A-Brand-New-Password-42",
        }, admin);
        await SignInFrom(NewSource(), pro.UserName, "A-Brand-New-Password-42");
    }

    [Fact]
    public async Task One_source_guessing_across_many_user_names_is_slowed_but_its_known_routes_are_not()
    {
        var source = NewSource();
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        await SignInFrom(source, pro.UserName); // someone who works at that address
        var codes = new List<StatusCode>();
        for (var i = 0; i < 32; i++)
        {
            codes.Add((await AttemptAsync(source, "sprayed.user" + i)).Code);
        }

        Assert.Equal(30, codes.Count(c => c == StatusCode.Unauthenticated));
        Assert.Equal(2, codes.Count(c => c == StatusCode.ResourceExhausted));
        await SignInFrom(source, pro.UserName);
    }

    [Fact]
    public async Task Unknown_user_names_and_wrong_passwords_get_the_same_answers_throughout()
    {
        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        var (a, b) = (NewSource(), NewSource());
        for (var i = 0; i < 8; i++)
        {
            var known = await AttemptAsync(a, pro.UserName);
            var unknown = await AttemptAsync(b, "no.such.user." + pro.UserName[5..]);
            Assert.Equal((known.Code, known.Reason, known.Message), (unknown.Code, unknown.Reason, unknown.Message));
            Assert.Equal(known.Retry is null, unknown.Retry is null);
        }
    }

    [Fact]
    public async Task A_caller_stated_address_that_is_not_an_address_falls_back_to_the_connection()
    {
        Assert.Equal("203.0.113.9", ClientAddress.Normalise("203.0.113.9"));
        Assert.Equal("2001:db8:1:2::/64", ClientAddress.Normalise("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        Assert.Equal("10.1.2.3", ClientAddress.FromPeer("ipv4:10.1.2.3:51234"));
        Assert.Equal("2001:db8::/64", ClientAddress.FromPeer("ipv6:[2001:db8::7]:443"));
        Assert.Equal(ClientAddress.Unknown, ClientAddress.FromPeer(null));
        Assert.Null(ClientAddress.Normalise("x'; drop table sign_in_throttles; --"));

        var pro = await host.NewProfessionalAsync(RoleCatalogue.ClinicalPractitioner, "B86001");
        var r = await AttemptAsync("not-an-address", pro.UserName);
        Assert.Equal("INVALID_CREDENTIALS", r.Reason);
        var stored = await host.Database.ScalarAsync("select count(*) from sign_in_throttles where source like '%not-an-address%'");
        Assert.Equal(0L, stored);
    }
}
