using System.Security.Cryptography;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.Identity.Application;

/// <summary>
/// The platform's signing keys. Keeps the current private key (decrypted) in memory for
/// <see cref="IdentityTokenOptions.SigningKeyCacheTime"/>, creates the first key on first use, rotates
/// on request, and is the identity service's own <see cref="ISigningKeySource"/> for
/// verifying the session and system tokens it receives.
/// </summary>
public sealed partial class SigningKeyRing(
    IServiceScopeFactory scopes,
    IOptions<KeyEncryptionOptions> kek,
    IOptions<IdentityTokenOptions> tokens,
    TimeProvider clock,
    ILogger<SigningKeyRing> logger) : ISigningKeySource
{
    private const long AdvisoryLockId = 0x4C43_5249_4B45_5953; // "LCRIKEYS"
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (SigningCredentials Credentials, DateTimeOffset LoadedAt)? _current;

    private KeyProtector Protector => kek.Value.TryGetKey(out var key)
        ? new KeyProtector(key)
        : throw new FailedPreconditionException("KEY_ENCRYPTION_KEY_MISSING", "Identity:KeyEncryptionKey is not configured.");

    /// <summary>Signing credentials of the current key.</summary>
    public async Task<SigningCredentials> GetSigningCredentialsAsync(CancellationToken ct)
    {
        var cached = _current;
        if (cached is { } c && clock.GetUtcNow() - c.LoadedAt < tokens.Value.SigningKeyCacheTime)
        {
            return c.Credentials;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_current is { } again && clock.GetUtcNow() - again.LoadedAt < tokens.Value.SigningKeyCacheTime)
            {
                return again.Credentials;
            }

            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
            var row = await db.SigningKeys.AsNoTracking().SingleOrDefaultAsync(k => k.IsCurrent, ct);
            if (row is null || !await db.SigningKeys.AnyAsync(k => k.IsNext, ct))
            {
                row = await ArrangeKeysAsync(db, requestId: null, ct);
            }

            var credentials = Load(row);
            _current = (credentials, clock.GetUtcNow());
            return credentials;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Rotates: the pre-published next key becomes current, a new next key is published, and
    /// the old current key retires (private key wiped) and stays published until its tokens expire.
    /// </summary>
    public async Task<(SigningKeyRow Current, string PreviousKid)> RotateAsync(Guid requestId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        var current = await db.SigningKeys.AsNoTracking().SingleOrDefaultAsync(k => k.RotationRequestId == requestId, ct)
            ?? await ArrangeKeysAsync(db, requestId, ct);
        _current = null;

        // The key it replaced retired at the moment it became current.
        var previous = await db.SigningKeys.AsNoTracking()
            .Where(k => k.RetiredAt == current.CurrentSince && k.Kid != current.Kid)
            .Select(k => k.Kid).SingleOrDefaultAsync(ct) ?? string.Empty;
        LogRotated(logger, current.Kid, previous);
        return (current, previous);
    }

    /// <summary>The published keys: the current one, the next one, then retired ones still verifying, newest first.</summary>
    public async Task<IReadOnlyList<SigningKeyRow>> ListPublishedAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        var now = clock.GetUtcNow();
        var rows = await db.SigningKeys.AsNoTracking()
            .Where(k => k.IsCurrent || k.IsNext || k.NotAfter > now)
            .ToListAsync(ct);
        if (!rows.Any(r => r.IsCurrent) || !rows.Any(r => r.IsNext))
        {
            await ArrangeKeysAsync(db, requestId: null, ct); // first use: create the keys
            return await ListPublishedAsync(ct);
        }

        return rows.OrderByDescending(k => k.IsCurrent).ThenByDescending(k => k.IsNext).ThenByDescending(k => k.CreatedAt).ToList();
    }

    async Task<SigningKeySet> ISigningKeySource.FetchAsync(CancellationToken cancellationToken)
    {
        var rows = await ListPublishedAsync(cancellationToken);
        return new SigningKeySet(
            rows.Select(r => new PublishedSigningKey(r.Kid, r.X, r.Y, r.CurrentSince ?? r.CreatedAt, r.NotAfter)).ToList(),
            tokens.Value.SigningKeyCacheTime);
    }

    /// <summary>
    /// Under an advisory lock (so replicas never race): with no request id, makes sure a current
    /// and a next key exist; with one, rotates. Returns the current key.
    /// </summary>
    private async Task<SigningKeyRow> ArrangeKeysAsync(IdentityDbContext db, Guid? requestId, CancellationToken ct)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock({0})", [AdvisoryLockId], ct);

            if (requestId is { } rid && await db.SigningKeys.AsNoTracking().SingleOrDefaultAsync(k => k.RotationRequestId == rid, ct) is { } done)
            {
                return done;
            }

            var now = clock.GetUtcNow();
            now = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
            var current = await db.SigningKeys.SingleOrDefaultAsync(k => k.IsCurrent, ct);
            var next = await db.SigningKeys.SingleOrDefaultAsync(k => k.IsNext, ct);

            if (requestId is not null && current is not null)
            {
                current.IsCurrent = false;
                current.RetiredAt = now;
                current.NotAfter = SigningKeyPolicy.PublishUntil(now, tokens.Value);
                current.PrivateKeyEncrypted = null; // a retired key never signs again
                await db.SaveChangesAsync(ct);
                current = null;
            }

            if (current is null)
            {
                if (next is not null)
                {
                    next.IsNext = false;
                    await db.SaveChangesAsync(ct);
                    current = next;
                    next = null;
                }
                else
                {
                    current = NewKey(now);
                    db.SigningKeys.Add(current);
                }

                current.IsCurrent = true;
                current.CurrentSince = now;
                current.RotationRequestId = requestId;
                await db.SaveChangesAsync(ct);
            }

            if (next is null)
            {
                var fresh = NewKey(now);
                fresh.IsNext = true;
                db.SigningKeys.Add(fresh);
                await db.SaveChangesAsync(ct);
            }

            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
            return current;
        });
    }

    private SigningKeyRow NewKey(DateTimeOffset now)
    {
        using var ecdsa = SigningKeyPolicy.Generate();
        var (x, y) = SigningKeyPolicy.PublicCoordinates(ecdsa);
        var kid = SigningKeyPolicy.KeyId(x, y);
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            return new SigningKeyRow { Kid = kid, X = x, Y = y, PrivateKeyEncrypted = Protector.Protect(pkcs8, kid), CreatedAt = now };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private SigningCredentials Load(SigningKeyRow row)
    {
        if (row.PrivateKeyEncrypted is null)
        {
            throw new FailedPreconditionException("SIGNING_KEY_UNAVAILABLE", "The current signing key has no private key.");
        }

        byte[] pkcs8;
        try
        {
            pkcs8 = Protector.Unprotect(row.PrivateKeyEncrypted, row.Kid);
        }
        catch (CryptographicException)
        {
            LogUndecryptable(logger, row.Kid);
            throw new FailedPreconditionException("SIGNING_KEY_UNDECRYPTABLE",
                "The current signing key cannot be decrypted with the configured Identity:KeyEncryptionKey.");
        }

        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
        CryptographicOperations.ZeroMemory(pkcs8);
        return new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = row.Kid }, SecurityAlgorithms.EcdsaSha256);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key rotated: {Kid} is current, {PreviousKid} retired")]
    private static partial void LogRotated(ILogger logger, string kid, string previousKid);

    [LoggerMessage(Level = LogLevel.Error, Message = "Signing key {Kid} does not decrypt with the configured key-encryption key")]
    private static partial void LogUndecryptable(ILogger logger, string kid);
}
