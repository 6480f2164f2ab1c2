using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Security;

/// <summary>
/// Verifies system tokens (from IssueSystemToken) locally. Refusals as for
/// <see cref="AccessTokenVerifier"/>; an access or session token is refused with
/// <see cref="TokenRefusal.WrongType"/>.
/// </summary>
public sealed class SystemTokenVerifier(PlatformTokenVerifier verifier)
{
    public async Task<VerifiedSystemToken> VerifyAsync(string? token, CancellationToken cancellationToken = default)
    {
        var jwt = await verifier.VerifyAsync(token, TokenTypes.System, cancellationToken);
        return Parse(jwt);
    }

    public Task<VerifiedSystemToken> VerifyAsync(Grpc.Core.Metadata requestHeaders, CancellationToken cancellationToken = default) =>
        VerifyAsync(BearerToken.From(requestHeaders), cancellationToken);

    internal static VerifiedSystemToken Parse(JsonWebToken jwt)
    {
        if (!jwt.TryGetPayloadValue<string>(TokenClaims.Organisation, out var org) || string.IsNullOrEmpty(org))
        {
            throw PlatformTokenVerifier.Refuse(TokenRefusal.ClaimsInvalid, "The system token names no organisation.");
        }

        jwt.TryGetPayloadValue<string>(TokenClaims.Scope, out var scope);
        jwt.TryGetPayloadValue<string>(TokenClaims.Name, out var name);
        var scopes = (scope ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return new VerifiedSystemToken(jwt.Id, jwt.Subject, name ?? jwt.Subject, org, scopes,
            new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
    }
}

/// <summary>What a verified system token grants.</summary>
/// <param name="ClientId">The system client (<c>sub</c>).</param>
/// <param name="OrganisationOdsCode">The organisation the client acts for (<c>lcr_org</c>).</param>
/// <param name="Scopes">The scopes the token carries (<c>scope</c>, space-separated).</param>
public sealed record VerifiedSystemToken(
    string TokenId,
    string ClientId,
    string DisplayName,
    string OrganisationOdsCode,
    IReadOnlySet<string> Scopes,
    DateTimeOffset ExpiresAt)
{
    public bool HasScope(string scope) => Scopes.Contains(scope);

    /// <summary>The client as an audit/caller actor.</summary>
    public Actor ToActor() => new()
    {
        Kind = ActorKind.System,
        Id = ClientId,
        DisplayName = DisplayName,
        Organisation = new OrganisationReference { OdsCode = OrganisationOdsCode },
    };
}
