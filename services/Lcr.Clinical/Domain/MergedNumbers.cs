using Lcr.ServiceDefaults;

namespace Lcr.Clinical.Domain;

/// <summary>
/// The NHS numbers a read covers: the request's own number and the numbers merged into it, which
/// only the gateway sets (<c>merged_nhs_numbers</c>, from demographics' ResolveNhsNumber). The
/// service trusts the list (the caller is the gateway, by its signed internal credential) but
/// validates it: each a valid NHS number, at most <see cref="Limits.MaxMergedNumbers"/>, neither the
/// request's own number nor a repeat.
/// </summary>
public static class MergedNumbers
{
    /// <summary>
    /// The numbers a read covers in canonical order: <paramref name="nhsNumber"/> first, then the
    /// merged numbers in ordinal order (so equal sets give equal keys and page tokens). Every bad
    /// element is added to <paramref name="v"/> as <c>merged_nhs_numbers[i]</c>, never echoing it.
    /// </summary>
    public static IReadOnlyList<string> From(string nhsNumber, IReadOnlyList<string> merged, FieldViolations v)
    {
        if (merged.Count == 0)
        {
            return [nhsNumber];
        }

        MergedNhsNumbers.Validate(merged, nhsNumber, v);
        var seen = new SortedSet<string>(merged.Take(Limits.MaxMergedNumbers).Where(n => NhsNumber.IsValid(n) && n != nhsNumber), StringComparer.Ordinal);
        return [nhsNumber, .. seen];
    }

    /// <summary>A key naming the set (for page-token fingerprints and cache keys); the own number alone for a set of one.</summary>
    public static string Key(IReadOnlyList<string> numbers) => string.Join(',', numbers);
}
