using Lcr.Identity.Application.Federation;
using Lcr.Identity.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Identity.Tests.Federation;

/// <summary>Reads identity's record of federated sign-ins (federated_sign_in_events) in a test host's database.</summary>
public static class SignInEvents
{
    public static async Task<FederatedSignInEventRow> LastAsync(IdentityHost host)
    {
        using var scope = host.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        return await db.FederatedSignInEvents.AsNoTracking().OrderByDescending(e => e.Sequence).FirstAsync();
    }

    public static async Task<long?> FirstBreakAsync(IdentityHost host)
    {
        using var scope = host.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<FederatedSignInLog>().VerifyAsync(CancellationToken.None);
    }

    /// <summary>The last event, which must be a refusal with <paramref name="reason"/> (and <paramref name="check"/> when given).</summary>
    public static async Task<FederatedSignInEventRow> AssertRefusedAsync(IdentityHost host, string provider, string reason, string? check = null)
    {
        var e = await LastAsync(host);
        Assert.Equal(provider, e.Provider);
        Assert.Equal(reason, e.Outcome);
        Assert.Null(e.SessionId);
        if (check is not null)
        {
            Assert.Equal(check, e.FailedCheck);
        }

        return e;
    }
}
