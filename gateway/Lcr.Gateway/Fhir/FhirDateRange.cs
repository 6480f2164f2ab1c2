using System.Globalization;
using System.Text.RegularExpressions;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// The FHIR <c>date</c> search parameter: prefixes <c>eq</c> (default), <c>ge</c>, <c>gt</c>,
/// <c>le</c>, <c>lt</c> on a date or dateTime of any precision (a value stands for the whole
/// range it names: <c>2024-03</c> is all of March 2024). Several values narrow the range.
/// Times without a zone are UTC. The result is a half-open range [start, end).
/// </summary>
public sealed partial class FhirDateRange
{
    public DateTimeOffset? Start { get; private set; }

    public DateTimeOffset? End { get; private set; }

    /// <summary>Narrows the range by one value; false (nothing changed) when the value is not a supported date search.</summary>
    public bool Add(string value)
    {
        var prefix = "eq";
        if (value.Length > 2 && char.IsLetter(value[0]) && char.IsLetter(value[1]))
        {
            prefix = value[..2];
            value = value[2..];
        }

        if (!TryParse(value, out var lower, out var upper))
        {
            return false;
        }

        switch (prefix)
        {
            case "eq": Narrow(lower, upper); break;
            case "ge": Narrow(lower, null); break;
            case "gt": Narrow(upper, null); break;
            case "le": Narrow(null, upper); break;
            case "lt": Narrow(null, lower); break;
            default: return false;
        }

        return true;
    }

    private void Narrow(DateTimeOffset? start, DateTimeOffset? end)
    {
        if (start is { } s && (Start is null || s > Start))
        {
            Start = s;
        }

        if (end is { } e && (End is null || e < End))
        {
            End = e;
        }
    }

    /// <summary>The range a FHIR date or dateTime names: [lower, upper).</summary>
    public static bool TryParse(string value, out DateTimeOffset lower, out DateTimeOffset upper)
    {
        lower = upper = default;
        var m = Pattern().Match(value);
        if (!m.Success)
        {
            return false;
        }

        try
        {
            var year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["m"].Success)
            {
                lower = new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero);
                upper = lower.AddYears(1);
                return true;
            }

            var month = int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["d"].Success)
            {
                lower = new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero);
                upper = lower.AddMonths(1);
                return true;
            }

            var day = int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["t"].Success)
            {
                lower = new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero);
                upper = lower.AddDays(1);
                return true;
            }

            var offset = m.Groups["z"].Value is "" or "Z"
                ? TimeSpan.Zero
                : TimeSpan.ParseExact(m.Groups["z"].Value[1..], @"hh\:mm", CultureInfo.InvariantCulture) * (m.Groups["z"].Value[0] == '-' ? -1 : 1);
            var hasSeconds = m.Groups["s"].Success;
            var time = new DateTimeOffset(year, month, day, int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["min"].Value, CultureInfo.InvariantCulture), hasSeconds ? int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture) : 0, offset);
            lower = time.ToUniversalTime();
            upper = lower + (hasSeconds ? TimeSpan.FromSeconds(1) : TimeSpan.FromMinutes(1));
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // 2024-02-30, month 13, hour 25...
        }
        catch (FormatException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^(?<y>[0-9]{4})(-(?<m>[0-9]{2})(-(?<d>[0-9]{2})(?<t>T(?<h>[0-9]{2}):(?<min>[0-9]{2})(:(?<s>[0-9]{2})(\.[0-9]{1,9})?)?(?<z>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$",
        RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Pattern();
}
