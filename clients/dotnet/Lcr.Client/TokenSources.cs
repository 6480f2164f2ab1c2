using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Identity.V1;

namespace Lcr.Client;

/// <summary>A platform token sent as <c>authorization: Bearer</c>, with when it expires.</summary>
/// <param name="Value">The token (a signed JWT). Never log it.</param>
/// <param name="ExpireTime">When the platform stops accepting it.</param>
/// <param name="TokenId">The token's <c>jti</c> (access tokens; audit events of reads made with it carry it), or empty.</param>
public sealed record PlatformToken(string Value, DateTimeOffset ExpireTime, string TokenId)
{
    /// <summary>The token as an <c>authorization</c> header value.</summary>
    public string AuthorizationValue => "Bearer " + Value;

    /// <summary>Hides the token itself, so logging the record leaks nothing.</summary>
    public override string ToString() => $"PlatformToken {{ ExpireTime = {ExpireTime:O}, TokenId = {TokenId} }}";
}

/// <summary>Something that supplies the current bearer token for a call.</summary>
public interface ITokenSource
{
    /// <summary>A token valid for at least the client's <see cref="LcrClientOptions.RefreshBeforeExpiry"/>, renewed when needed.</summary>
    ValueTask<PlatformToken> GetTokenAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Caches a token and renews it, one renewal at a time, once less than
/// <see cref="LcrClientOptions.RefreshBeforeExpiry"/> is left (or after <see cref="Invalidate"/>).
/// </summary>
public abstract class RenewingTokenSource : ITokenSource
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly LcrClientOptions _options;
    private PlatformToken? _current;

    private protected RenewingTokenSource(LcrClientOptions options) => _options = options;

    /// <summary>How many tokens this source has obtained so far.</summary>
    public int IssuedCount { get; private set; }

    /// <inheritdoc />
    public async ValueTask<PlatformToken> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        var token = _current;
        if (token is not null && !NeedsRenewal(token))
        {
            return token;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            token = _current;
            if (token is null || NeedsRenewal(token))
            {
                token = await IssueAsync(cancellationToken);
                _current = token;
                IssuedCount++;
            }

            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached token, e.g. after the gateway refused it with UNAUTHENTICATED; the next call gets a new one.</summary>
    public void Invalidate() => _current = null;

    /// <summary>Asks the identity service (through the gateway) for a new token.</summary>
    private protected abstract Task<PlatformToken> IssueAsync(CancellationToken cancellationToken);

    private bool NeedsRenewal(PlatformToken token) =>
        _options.TimeProvider.GetUtcNow() >= token.ExpireTime - _options.RefreshBeforeExpiry;

    private protected static DateTimeOffset Expiry(Timestamp? time) =>
        time?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
}

/// <summary>
/// Patient-bound access tokens for one signed-in professional (IssueAccessToken with the
/// session token as bearer), renewed before they expire (they last minutes). Create with
/// <see cref="LcrSession.AccessTokens"/>.
/// </summary>
public sealed class AccessTokenSource : RenewingTokenSource
{
    private readonly LcrSession _session;
    private readonly IssueAccessTokenRequest _request;

    internal AccessTokenSource(LcrSession session, IssueAccessTokenRequest request, LcrClientOptions options)
        : base(options)
    {
        _session = session;
        _request = request;
    }

    /// <summary>The patient the tokens are bound to.</summary>
    public string NhsNumber => _request.NhsNumber;

    /// <summary>The purpose of use the tokens are issued for.</summary>
    public PurposeOfUse Purpose => _request.Purpose;

    /// <summary>The last IssueAccessToken response (care relationship, allowed categories); null before the first call.</summary>
    public IssueAccessTokenResponse? LastResponse { get; private set; }

    private protected override async Task<PlatformToken> IssueAsync(CancellationToken cancellationToken)
    {
        var reply = await _session.Client.IdentityWith(_session).IssueAccessTokenAsync(_request, cancellationToken: cancellationToken);
        LastResponse = reply;
        return new PlatformToken(reply.AccessToken, Expiry(reply.ExpireTime), reply.TokenId);
    }
}

/// <summary>
/// System tokens for a feed or administration client (IssueSystemToken, OAuth 2.0
/// client-credentials style), renewed before they expire. Create with
/// <see cref="LcrClient.SystemTokens"/>.
/// </summary>
public sealed class SystemTokenSource : RenewingTokenSource
{
    private readonly LcrClient _client;
    private readonly IssueSystemTokenRequest _request;

    internal SystemTokenSource(LcrClient client, IssueSystemTokenRequest request, LcrClientOptions options)
        : base(options)
    {
        _client = client;
        _request = request;
    }

    /// <summary>The scopes the last token carries; empty before the first call.</summary>
    public IReadOnlyList<string> Scopes { get; private set; } = [];

    private protected override async Task<PlatformToken> IssueAsync(CancellationToken cancellationToken)
    {
        var reply = await _client.Identity.IssueSystemTokenAsync(_request, cancellationToken: cancellationToken);
        Scopes = [.. reply.Scopes];
        return new PlatformToken(reply.SystemToken, Expiry(reply.ExpireTime), string.Empty);
    }
}
