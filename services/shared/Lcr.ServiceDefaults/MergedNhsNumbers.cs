namespace Lcr.ServiceDefaults;

/// <summary>
/// The gateway's <c>merged_nhs_numbers</c> on an internal request (from demographics'
/// ResolveNhsNumber): the NHS numbers merged into the request's own. Every service trusts the list
/// (only the gateway reaches it, by its signed internal credential) and checks it the same way.
/// </summary>
public static class MergedNhsNumbers
{
    public const string Field = "merged_nhs_numbers";

    /// <summary>The most numbers the gateway may name as merged into one record.</summary>
    public const int Max = 50;

    /// <summary>
    /// Records a violation for more than <see cref="Max"/> numbers (naming <paramref name="field"/>),
    /// and for each number that is invalid, the request's own (<paramref name="own"/>) or a repeat
    /// (naming <c>field[i]</c>, never echoing the number). True when the list is good.
    /// </summary>
    public static bool Validate(IReadOnlyList<string> merged, string? own, FieldViolations v, string field = Field)
    {
        if (!v.Check(merged.Count <= Max, field, $"must name at most {Max} NHS numbers"))
        {
            return false;
        }

        var good = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < merged.Count; i++)
        {
            var name = $"{field}[{i}]";
            good &= NhsNumber.Validate(merged[i], v, name) &&
                v.Check(!string.Equals(merged[i], own, StringComparison.Ordinal), name, "must not be the request's own nhs_number") &&
                v.Check(seen.Add(merged[i]), name, "repeats an NHS number already in the list");
        }

        return good;
    }
}
