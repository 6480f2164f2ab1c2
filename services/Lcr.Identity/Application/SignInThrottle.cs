using System.Security.Cryptography;
using System.Text;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Lcr.Identity.Application;

/// <summary>
/// The sign-in throttle's counters in PostgreSQL (table <c>sign_in_throttles</c>), applying
/// <see cref="SignInThrottlePolicy"/>. PostgreSQL rather than Redis: it is identity's own
/// store (no new dependency for sign-in to fail on), it survives restarts and is shared by
/// every replica, and each failure is counted atomically (<c>INSERT ... ON CONFLICT DO
/// UPDATE</c>). The cost is three small upserts per failed sign-in, next to the 100,000-round
/// PBKDF2 check every attempt already pays.
/// </summary>
public sealed class SignInThrottle(IdentityDbContext db, IOptions<SignInThrottleOptions> options, TimeProvider clock)
{
    private const string Route = "route";
    private const string Source = "source";
    private const string Account = "account";

    private SignInThrottleOptions O => options.Value;

    /// <summary>The throttle key of a user name: a SHA-256 of its normalised form, the same whether or not it exists.</summary>
    public static string AccountKey(string normalisedUserName) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("lcr-sign-in:" + normalisedUserName)));

    /// <summary>How long this route must wait before its next attempt is checked; null when it may go ahead.</summary>
    public async Task<TimeSpan?> RetryAfterAsync(string account, string source, CancellationToken ct)
    {
        var rows = await db.SignInThrottles.AsNoTracking()
            .Where(t => (t.Scope == Route && t.Account == account && t.Source == source) ||
                        (t.Scope == Source && t.Account == string.Empty && t.Source == source) ||
                        (t.Scope == Account && t.Account == account && t.Source == string.Empty))
            .ToListAsync(ct);
        return SignInThrottlePolicy.RetryAfter(Counter(rows, Route), Counter(rows, Source), Counter(rows, Account), clock.GetUtcNow(), O);
    }

    /// <summary>Counts a failed attempt against the route, the source and the account, and sets whatever delays the policy now gives.</summary>
    public async Task RecordFailureAsync(string account, string source, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var quiet = now - O.QuietPeriod;
        // One statement, atomic per row: concurrent failures each count. A counter quiet for the
        // quiet period starts again from one.
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            insert into sign_in_throttles as t (scope, account, source, failures, last_failure_at)
            values ({Route}, {account}, {source}, 1, {now}), ({Source}, '', {source}, 1, {now}), ({Account}, {account}, '', 1, {now})
            on conflict (scope, account, source) do update set
                failures = case when t.last_failure_at is null or t.last_failure_at < {quiet} then 1 else t.failures + 1 end,
                last_failure_at = {now}
            """, ct);

        var rows = await db.SignInThrottles.AsNoTracking()
            .Where(t => (t.Scope == Route && t.Account == account && t.Source == source) ||
                        (t.Scope == Source && t.Account == string.Empty && t.Source == source) ||
                        (t.Scope == Account && t.Account == account && t.Source == string.Empty))
            .ToListAsync(ct);
        var failingSources = await db.SignInThrottles.AsNoTracking()
            .CountAsync(t => t.Scope == Route && t.Account == account && t.Failures > 0 && t.LastFailureAt > quiet, ct);

        await BlockAsync(Route, account, source, SignInThrottlePolicy.Delay(Counter(rows, Route)?.Failures ?? 1, O.FreeFailuresPerRoute, O), now, ct);
        await BlockAsync(Source, string.Empty, source, SignInThrottlePolicy.Delay(Counter(rows, Source)?.Failures ?? 1, O.FreeFailuresPerSource, O), now, ct);
        await BlockAsync(Account, account, string.Empty,
            SignInThrottlePolicy.AccountDelay(Counter(rows, Account)?.Failures ?? 1, failingSources, O), now, ct);

        // Forget counters nobody has touched for long (a bounded sweep, now and then).
        if (Random.Shared.Next(50) == 0)
        {
            var forgotten = now - O.KnownRouteLifetime;
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                delete from sign_in_throttles where ctid in (
                    select ctid from sign_in_throttles
                    where (last_failure_at is null or last_failure_at < {quiet}) and (blocked_until is null or blocked_until < {now})
                      and (last_success_at is null or last_success_at < {forgotten})
                    limit 1000)
                """, ct);
        }
    }

    /// <summary>A success makes the route known and clears its failures; the source's and the account's counters are left alone (an attacker's own good password clears nothing).</summary>
    public async Task RecordSuccessAsync(string account, string source, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            insert into sign_in_throttles as t (scope, account, source, failures, last_success_at)
            values ({Route}, {account}, {source}, 0, {now})
            on conflict (scope, account, source) do update set failures = 0, blocked_until = null, last_success_at = {now}
            """, ct);
    }

    /// <summary>Clears every counter of an account (its routes and its attack delay): a password reset by an administrator.</summary>
    public Task ResetAccountAsync(string account, CancellationToken ct) =>
        db.SignInThrottles.Where(t => (t.Scope == Route || t.Scope == Account) && t.Account == account)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Failures, 0).SetProperty(t => t.BlockedUntil, (DateTimeOffset?)null), ct);

    private Task BlockAsync(string scope, string account, string source, TimeSpan? delay, DateTimeOffset now, CancellationToken ct)
    {
        if (delay is not { } d)
        {
            return Task.CompletedTask;
        }

        var until = now + d;
        return db.Database.ExecuteSqlInterpolatedAsync($"""
            update sign_in_throttles set blocked_until = greatest(coalesce(blocked_until, {until}), {until})
            where scope = {scope} and account = {account} and source = {source}
            """, ct);
    }

    private static SignInCounter? Counter(List<SignInThrottleRow> rows, string scope) =>
        rows.FirstOrDefault(r => r.Scope == scope) is { } r ? new SignInCounter(r.Failures, r.BlockedUntil, r.LastSuccessAt) : null;
}
