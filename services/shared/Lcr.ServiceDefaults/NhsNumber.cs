namespace Lcr.ServiceDefaults;

/// <summary>
/// NHS numbers: exactly ten digits, the last a Modulus 11 check digit over the first nine
/// (weights 10 down to 2; check = 11 - (sum mod 11); 11 means 0; 10 means the number is invalid).
/// </summary>
public static class NhsNumber
{
    /// <summary>True for a ten-digit string whose check digit is right.</summary>
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != 10)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        var check = CheckDigit(value.AsSpan(0, 9));
        return check >= 0 && check == value[9] - '0';
    }

    /// <summary>
    /// The check digit for nine leading digits, or -1 when no check digit exists (a remainder
    /// that gives 10: no valid NHS number starts with those nine digits).
    /// </summary>
    public static int CheckDigit(ReadOnlySpan<char> firstNine)
    {
        if (firstNine.Length != 9)
        {
            throw new ArgumentException("Nine digits are needed.", nameof(firstNine));
        }

        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (firstNine[i] - '0') * (10 - i);
        }

        var check = 11 - (sum % 11);
        return check switch
        {
            11 => 0,
            10 => -1,
            _ => check,
        };
    }

    /// <summary>Checks a required NHS number field, recording a violation naming it.</summary>
    public static bool Validate(string? value, FieldViolations violations, string field = "nhs_number")
    {
        if (string.IsNullOrEmpty(value))
        {
            violations.Add(field, "is required");
            return false;
        }

        if (!IsValid(value))
        {
            violations.Add(field, "must be a valid NHS number: 10 digits, no spaces, with a correct Modulus 11 check digit");
            return false;
        }

        return true;
    }

    /// <summary>Validates a request's NHS number and throws INVALID_ARGUMENT if it is bad.</summary>
    public static string Require(string? value, string field = "nhs_number")
    {
        var violations = new FieldViolations();
        Validate(value, violations, field);
        violations.ThrowIfAny();
        return value!;
    }
}
