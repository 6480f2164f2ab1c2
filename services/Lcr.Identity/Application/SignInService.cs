using Google.Protobuf.WellKnownTypes;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Lcr.Identity.Application;

/// <summary>
/// SignIn (user name + password, throttled by <see cref="SignInThrottle"/>) and
/// IssueSystemToken (client credentials). Passwords and secrets are only ever compared
/// through the slow salted hasher and never logged; failures do not say whether the user
/// name exists, and an unknown user name is throttled exactly like a real one.
/// </summary>
public sealed partial class SignInService(
    IdentityDbContext db,
    IPasswordHasher<ProfessionalRow> passwords,
    IPasswordHasher<SystemClientRow> secrets,
    TokenIssuer tokens,
    RoleCatalogue roles,
    SignInThrottle throttle,
    IOptions<PasswordSignInOptions> passwordSignIn,
    IHostEnvironment environment,
    TimeProvider clock,
    ILogger<SignInService> logger)
{
    /// <summary>Longest password or secret accepted: hashing unbounded input is a denial-of-service lever.</summary>
    public const int MaxSecretLength = 256;

    // Verified when the user name is unknown, so an unknown user costs the same time as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() =>
        new PasswordHasher<ProfessionalRow>().HashPassword(null!, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))));

    /// <summary>
    /// Signs a professional in from <paramref name="source"/> (the caller's address as the
    /// gateway saw it). A route, source or attacked account that must wait is refused
    /// RESOURCE_EXHAUSTED with RetryInfo before the password is looked at, so waiting is not
    /// guessing; the answer is the same whether the user name exists or not.
    /// </summary>
    public async Task<SignInResponse> SignInAsync(SignInRequest request, string source, CancellationToken ct)
    {
        var v = new FieldViolations();
        v.RequireText(request.UserName, "user_name", 64);
        if (string.IsNullOrEmpty(request.Password))
        {
            v.Add("password", "is required");
        }
        else
        {
            v.MaxLength(request.Password, "password", MaxSecretLength);
        }

        v.ThrowIfAny();

        if (!passwordSignIn.Value.IsEnabled(environment.EnvironmentName))
        {
            LogPasswordSignInOff(logger);
            throw new FailedPreconditionException("PASSWORD_SIGN_IN_DISABLED",
                "Sign-in with a platform password is switched off; sign in with your identity provider (e.g. NHS CIS2) and exchange its token (ExchangeFederatedToken).");
        }

        var userName = Identifiers.NormaliseUserName(request.UserName);
        var account = SignInThrottle.AccountKey(userName);
        if (await throttle.RetryAfterAsync(account, source, ct) is { } wait)
        {
            LogThrottled(logger);
            throw new ResourceExhaustedException("SIGN_IN_THROTTLED",
                "Too many failed sign-ins; wait for the delay given, then try again. An administrator can reset the password.", wait);
        }

        var now = clock.GetUtcNow();
        var row = await db.Professionals.AsNoTracking().Include(p => p.RoleAssignments).SingleOrDefaultAsync(p => p.UserName == userName, ct);
        if (row is null)
        {
            passwords.VerifyHashedPassword(null!, DummyHash.Value, request.Password);
            await throttle.RecordFailureAsync(account, source, ct);
            LogUnknownUser(logger);
            throw InvalidCredentials();
        }

        var result = passwords.VerifyHashedPassword(row, row.PasswordHash, request.Password);
        if (result == PasswordVerificationResult.Failed)
        {
            await throttle.RecordFailureAsync(account, source, ct);
            LogFailed(logger, row.Id);
            throw InvalidCredentials();
        }

        if (!row.Active)
        {
            LogInactive(logger, row.Id);
            throw InvalidCredentials();
        }

        await throttle.RecordSuccessAsync(account, source, ct);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            var hash = passwords.HashPassword(row, request.Password);
            await db.Professionals.Where(p => p.Id == row.Id).ExecuteUpdateAsync(s => s.SetProperty(p => p.PasswordHash, hash), ct);
        }

        var name = Mapping.DisplayName(row);
        var session = await tokens.SessionAsync(row.Id.ToString(), name, row.SecurityStamp, ct);
        LogSignedIn(logger, row.Id, session.TokenId);
        var orgNames = await db.Organisations.AsNoTracking().ToDictionaryAsync(o => o.OdsCode, o => o.DisplayName, ct);
        return new SignInResponse
        {
            SessionToken = session.Token,
            ExpireTime = Timestamp.FromDateTimeOffset(session.ExpiresAt),
            Professional = Mapping.ToProto(row, roles, orgNames, now),
        };
    }

    public async Task<IssueSystemTokenResponse> IssueSystemTokenAsync(IssueSystemTokenRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        v.RequireText(request.ClientId, "client_id", 64);
        if (string.IsNullOrEmpty(request.ClientSecret))
        {
            v.Add("client_secret", "is required");
        }
        else
        {
            v.MaxLength(request.ClientSecret, "client_secret", MaxSecretLength);
        }

        v.ThrowIfAny();

        var clientId = request.ClientId.Trim().ToLowerInvariant();
        var row = await db.SystemClients.SingleOrDefaultAsync(c => c.ClientId == clientId, ct);
        if (row is null)
        {
            secrets.VerifyHashedPassword(null!, DummyHash.Value, request.ClientSecret);
            throw InvalidClient();
        }

        var result = secrets.VerifyHashedPassword(row, row.SecretHash, request.ClientSecret);
        if (result == PasswordVerificationResult.Failed || !row.Active)
        {
            LogClientRefused(logger, row.ClientId);
            throw InvalidClient();
        }

        var wanted = request.Scopes.Count == 0 ? row.Scopes : request.Scopes.Select(s => s.Trim()).Distinct().ToList();
        for (var i = 0; i < request.Scopes.Count; i++)
        {
            v.Check(row.Scopes.Contains(request.Scopes[i].Trim()), $"scopes[{i}]", "is not a scope this client holds");
        }

        v.ThrowIfAny();

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            row.SecretHash = secrets.HashPassword(row, request.ClientSecret);
            row.Version++;
            await db.SaveChangesAsync(ct);
        }

        var scopes = wanted.Order(StringComparer.Ordinal).ToList();
        var token = await tokens.SystemAsync(row.ClientId, row.DisplayName, row.OrganisationOds, scopes, ct);
        LogSystemToken(logger, row.ClientId, token.TokenId);
        return new IssueSystemTokenResponse
        {
            SystemToken = token.Token,
            ExpireTime = Timestamp.FromDateTimeOffset(token.ExpiresAt),
            Scopes = { scopes },
        };
    }

    private static UnauthenticatedException InvalidCredentials() =>
        new("INVALID_CREDENTIALS", "The user name or password is wrong, or the account is not active.");

    private static UnauthenticatedException InvalidClient() =>
        new("INVALID_CLIENT", "The client id or secret is wrong, or the client is not active.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in refused: password sign-in is switched off")]
    private static partial void LogPasswordSignInOff(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in refused: unknown user name")]
    private static partial void LogUnknownUser(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in refused for professional {ProfessionalId}: wrong password")]
    private static partial void LogFailed(ILogger logger, Guid professionalId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in refused before the password check: throttled after repeated failures")]
    private static partial void LogThrottled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in refused for professional {ProfessionalId}: inactive")]
    private static partial void LogInactive(ILogger logger, Guid professionalId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Professional {ProfessionalId} signed in (session {TokenId})")]
    private static partial void LogSignedIn(ILogger logger, Guid professionalId, string tokenId);

    [LoggerMessage(Level = LogLevel.Information, Message = "System token refused for client {ClientId}")]
    private static partial void LogClientRefused(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "System token {TokenId} issued to client {ClientId}")]
    private static partial void LogSystemToken(ILogger logger, string clientId, string tokenId);
}
