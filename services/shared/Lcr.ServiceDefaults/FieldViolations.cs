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

    public void ThrowIfAny()
    {
        if (_violations.Count > 0)
        {
            throw new InvalidArgumentException(_violations.ToArray());
        }
    }
}
