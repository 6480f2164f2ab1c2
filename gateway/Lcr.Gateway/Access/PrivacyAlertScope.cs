using Lcr.Audit.V1;

namespace Lcr.Gateway.Access;

/// <summary>
/// Forces a privacy alert listing onto the caller's organisations (pure): what a caller asks for
/// is narrowed to the organisations they may see, never widened, and asking only for others
/// gets nothing.
/// </summary>
public static class PrivacyAlertScope
{
    /// <summary>
    /// The request to send to the audit service, or null when it can only return nothing (it
    /// names organisations the caller may not see). <paramref name="organisations"/> null: every organisation.
    /// </summary>
    public static ListPrivacyReviewCasesRequest? Restrict(ListPrivacyReviewCasesRequest request, IReadOnlySet<string>? organisations)
    {
        if (organisations is null)
        {
            return request;
        }

        var restricted = request.Clone();
        if (!string.IsNullOrEmpty(request.OrganisationOdsCode) && !organisations.Contains(request.OrganisationOdsCode.ToUpperInvariant()))
        {
            return null;
        }

        var asked = request.OrganisationOdsCodes.Where(o => !string.IsNullOrEmpty(o)).Select(o => o.ToUpperInvariant()).ToList();
        var allowed = asked.Count > 0 ? asked.Where(organisations.Contains).Distinct(StringComparer.Ordinal).ToList() : organisations.ToList();
        if (allowed.Count == 0)
        {
            return null;
        }

        restricted.OrganisationOdsCodes.Clear();
        restricted.OrganisationOdsCodes.AddRange(allowed.Order(StringComparer.Ordinal));
        return restricted;
    }
}
