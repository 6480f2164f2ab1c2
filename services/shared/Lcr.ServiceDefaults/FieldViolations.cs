namespace Lcr.ServiceDefaults;

/// <summary>
/// Collects every bad field of a request before anything is written, then throws one
/// <see cref="InvalidArgumentException"/> naming them all.
/// </summary>
public sealed class FieldViolations
{
    private readonly List<FieldViolation> _violations = [];

    public bool Any => _violations.Count > 0;

    public IReadOnlyList<FieldViolation> Items => _violations;

    public FieldViolations Add(string field, string description)
    {
        _violations.Add(new FieldViolation(field, description));
        return this;
    }

    /// <summary>Records a violation unless <paramref name="ok"/>; returns <paramref name="ok"/>.</summary>
    public bool Check(bool ok, string field, string description)
    {
        if (!ok)
        {
            Add(field, description);
        }

        return ok;
    }

    /// <summary>Checks a required string and its maximum length.</summary>
    public bool RequireText(string? value, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, "is required");
            return false;
        }

        return MaxLength(value, field, maxLength);
    }

    /// <summary>Checks an optional string's maximum length.</summary>
    public bool MaxLength(string? value, string field, int maxLength)
    {
        if (value is not null && value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters");
            return false;
        }

        return true;
    }

    /// <summary>Checks that an enum value is defined and not the <c>_UNSPECIFIED</c> zero.</summary>
    public bool RequireEnum<TEnum>(TEnum value, string field)
        where TEnum : struct, Enum
    {
        if (Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            Add(field, "is required");
            return false;
        }

        return DefinedEnum(value, field);
    }

    /// <summary>Checks that an enum value is one the contract defines (zero allowed).</summary>
    public bool DefinedEnum<TEnum>(TEnum value, string field)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            Add(field, "is not a known value");
            return false;
        }

        return true;
    }

    /// <summary>
    /// Converts an optional request timestamp. Absent: null, no violation. Out of the range
    /// <c>google.protobuf.Timestamp</c> defines (see <see cref="TimestampRange"/>): a violation
    /// naming <paramref name="field"/> and null. Every request timestamp goes through here (or
    /// <see cref="Period"/>) instead of calling <c>ToDateTimeOffset()</c>, which throws.
    /// </summary>
    public DateTimeOffset? Time(Google.Protobuf.WellKnownTypes.Timestamp? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (!TimestampRange.IsValid(value))
        {
            Add(field, TimestampRange.Description);
            return null;
        }

        return value.ToDateTimeOffset();
    }

    /// <summary>
    /// Converts an optional <c>lcr.common.v1.Period</c> named <paramref name="field"/>: each bound
    /// through <see cref="Time"/> (<c>field.start_time</c>, <c>field.end_time</c>). The order of the
    /// bounds is the caller's rule to check.
    /// </summary>
    public (DateTimeOffset? Start, DateTimeOffset? End) Period(Lcr.Common.V1.Period? period, string field) =>
        period is null ? (null, null) : (Time(period.StartTime, field + ".start_time"), Time(period.EndTime, field + ".end_time"));

    /// <summary>
    /// Checks the paths of an <c>update_mask</c> against what the call may update. Each path
    /// that is not allowed is named by its position (<c>update_mask.paths[2]</c>) with the list
    /// of allowed paths, never quoted: a mask is caller text, and may carry anything.
    /// Returns the allowed paths given.
    /// </summary>
    public HashSet<string> UpdateMask(IEnumerable<string>? paths, IReadOnlySet<string> allowed, string field = "update_mask")
    {
        var valid = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var path in paths ?? [])
        {
            if (allowed.Contains(path))
            {
                valid.Add(path);
            }
            else
            {
                Add($"{field}.paths[{i}]", $"is not a field this call can update; allowed: {string.Join(", ", allowed)}");
            }

            i++;
        }

        return valid;
    }

    public void ThrowIfAny()
    {
        if (_violations.Count > 0)
        {
            throw new InvalidArgumentException(_violations.ToArray());
        }
    }
}
