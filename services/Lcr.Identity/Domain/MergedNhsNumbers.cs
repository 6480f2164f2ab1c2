using Lcr.ServiceDefaults;

namespace Lcr.Identity.Domain;

/// <summary>
/// The gateway's <c>merged_nhs_numbers</c> (from demographics' ResolveNhsNumber): the NHS numbers
/// merged into a request's own. Trusted (only the gateway reaches identity) and checked.
/// </summary>
public static class MergedNhsNumbers
{
    public const string Field = "merged_nhs_numbers";

    /// <summary>The most numbers the gateway may name.</summary>
    public const int Max = 50;

    /// <summary>
    /// Records a violation for more than <see cref="Max"/> numbers (naming the list) and for each
    /// number that is invalid, the request's own number or a repeat (naming <c>merged_nhs_numbers[i]</c>).
    /// </summary>
    public static void Validate(IReadOnlyList<string> merged, string ownNhsNumber, FieldViolations v)
    {
        if (!v.Check(merged.Count <= Max, Field, $"must name at most {Max} NHS numbers"))
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < merged.Count; i++)
        {
            var name = $"{Field}[{i}]";
            if (NhsNumber.Validate(merged[i], v, name) &&
                v.Check(!string.Equals(merged[i], ownNhsNumber, StringComparison.Ordinal), name, "must not be the request's own nhs_number"))
            {
                v.Check(seen.Add(merged[i]), name, "repeats an NHS number already in the list");
            }
        }
    }
}
