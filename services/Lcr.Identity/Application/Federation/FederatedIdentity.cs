using Lcr.Identity.Domain.Federation;

namespace Lcr.Identity.Application.Federation;

/// <summary>A professional's identity as a trusted provider vouched for it in a validated ID token.</summary>
public sealed record FederatedIdentity(
    FederatedProviderOptions Provider, string Subject, IReadOnlyList<NrbacRole> Roles, int? AssuranceLevel, DateTimeOffset AuthenticatedAt,
    string? GivenName = null, string? FamilyName = null)
{
    /// <summary>When a platform session from this identity must end at the latest.</summary>
    public DateTimeOffset SessionNotAfter => AuthenticatedAt + Provider.MaxSessionAfterAuthentication;
}
