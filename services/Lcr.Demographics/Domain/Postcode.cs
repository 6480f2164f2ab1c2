using System.Text.RegularExpressions;

namespace Lcr.Demographics.Domain;

/// <summary>UK postcodes: validation and the normal form "LS9 7TF".</summary>
public static partial class Postcode
{
    /// <summary>
    /// Normalises a postcode written in any case and spacing to upper case with one space
    /// before the inward code; returns null when it is not a UK postcode.
    /// </summary>
    public static string? Normalise(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 16)
        {
            return null;
        }

        Span<char> buffer = stackalloc char[16];
        var n = 0;
        foreach (var c in value)
        {
            if (c is ' ' or '\t')
            {
                continue;
            }

            if (!char.IsAsciiLetterOrDigit(c))
            {
                return null;
            }

            buffer[n++] = char.ToUpperInvariant(c);
        }

        var compact = new string(buffer[..n]);
        if (!Shape().IsMatch(compact))
        {
            return null;
        }

        return string.Concat(compact.AsSpan(0, compact.Length - 3), " ", compact.AsSpan(compact.Length - 3));
    }

    /// <summary>The postcode without its space, for matching.</summary>
    public static string Compact(string normalised) => normalised.Replace(" ", string.Empty, StringComparison.Ordinal);

    // Outward code A9, A99, AA9, AA99, A9A or AA9A, then inward code 9AA (the inward letters
    // never include C, I, K, M, O or V). GIR 0AA is the one historic exception; ZZ99 codes
    // are the NHS pseudo-postcodes (e.g. ZZ99 3VZ: no fixed abode).
    [GeneratedRegex("^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2}|GIR0AA|ZZ99[0-9][A-Z]{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
