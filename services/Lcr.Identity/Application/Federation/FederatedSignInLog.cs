using Lcr.Identity.Domain;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application.Federation;

/// <summary>
/// Appends to identity's tamper-evident record of federated sign-ins (<c>federated_sign_in_events</c>):
/// every exchange, signed in or refused, with its reason. Rows are numbered and hash-chained under an
/// advisory lock so replicas never fork the chain; the row commits before the caller gets an answer
/// (no session without its record; a refusal that cannot be recorded is UNAVAILABLE).
/// </summary>
public sealed class FederatedSignInLog(IdentityDbContext db, TimeProvider clock)
{
    public const string SignedIn = "SIGNED_IN";
    private const long AdvisoryLockId = 0x4C43_5246_4544_5347; // "LCRFEDSG"

    /// <summary>A new event, stamped now.</summary>
    public FederatedSignInEventRow New(string provider, string outcome) => new()
    {
        Id = Guid.NewGuid(),
        OccurredAt = clock.UtcNowMicros(),
        Provider = provider,
        Outcome = outcome,
        PreviousHash = SignInEventChain.Genesis,
        Hash = SignInEventChain.Genesis,
    };

    /// <summary>
    /// Commits <paramref name="e"/> at the end of the chain; <paramref name="sameTransaction"/> runs first
    /// in the same transaction (it must load what it changes: on a retry the change tracker starts empty).
    /// </summary>
    public async Task AppendAsync(FederatedSignInEventRow e, Func<CancellationToken, Task>? sameTransaction, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock({0})", [AdvisoryLockId], ct);
            if (sameTransaction is not null)
            {
                await sameTransaction(ct);
            }

            var last = await db.FederatedSignInEvents.AsNoTracking().OrderByDescending(x => x.Sequence)
                .Select(x => new { x.Sequence, x.Hash }).FirstOrDefaultAsync(ct);
            e.Sequence = (last?.Sequence ?? 0) + 1;
            e.PreviousHash = last?.Hash ?? SignInEventChain.Genesis;
            e.Hash = SignInEventChain.HashOf(e, e.PreviousHash);
            db.FederatedSignInEvents.Add(e);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        });
    }

    /// <summary>Re-computes the whole chain: the sequence of the first broken row, or null when intact.</summary>
    public async Task<long?> VerifyAsync(CancellationToken ct) =>
        SignInEventChain.FirstBreak(await db.FederatedSignInEvents.AsNoTracking().OrderBy(x => x.Sequence).ToListAsync(ct));
}
