using System.Globalization;
using System.Text;
using Lcr.Audit.V1;

namespace Lcr.Audit.Domain;

/// <summary>
/// Compares what the gateway knows about a viewer and a patient, once, when the event is
/// recorded; only the three results are stored. Pure functions.
/// </summary>
public static class ViewerPatientMatching
{
    /// <summary>The match recorded for an event, or null when no context was given.</summary>
    public static ViewerPatientMatch? Compare(ViewerPatientContext? context, string? patientNhsNumber)
    {
        if (context is null)
        {
            return null;
        }

        return new ViewerPatientMatch
        {
            SamePerson = !string.IsNullOrEmpty(context.ViewerNhsNumber) && !string.IsNullOrEmpty(patientNhsNumber) &&
                         string.Equals(context.ViewerNhsNumber, patientNhsNumber, StringComparison.Ordinal),
            SameFamilyName = SameFamilyName(context.ViewerFamilyName, context.PatientFamilyName),
            SameAddress = SameAddress(context.ViewerAddress, context.PatientAddress),
        };
    }

    /// <summary>
    /// True when the two family names share a part of two or more letters, ignoring case,
    /// accents and punctuation: "O'Brien" = "OBRIEN", "Müller" = "Muller", "Smith-Jones" shares "Smith".
    /// </summary>
    public static bool SameFamilyName(string? a, string? b)
    {
        var pa = NameParts(a);
        var pb = NameParts(b);
        return pa.Count > 0 && pb.Count > 0 && pa.Overlaps(pb);
    }

    /// <summary>
    /// True when both addresses have the same postcode (spacing and case ignored) and the
    /// same first line (letters and digits only, case and accents ignored).
    /// </summary>
    public static bool SameAddress(MatchableAddress? a, MatchableAddress? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        var pa = Compact(a.Postcode);
        var pb = Compact(b.Postcode);
        if (pa.Length == 0 || pa != pb)
        {
            return false;
        }

        var la = Compact(a.Lines.FirstOrDefault());
        var lb = Compact(b.Lines.FirstOrDefault());
        return la.Length > 0 && la == lb;
    }

    private static HashSet<string> NameParts(string? name)
    {
        var parts = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(name))
        {
            return parts;
        }

        foreach (var raw in name.Split([' ', '-', '\u2010', '\u2011'], StringSplitOptions.RemoveEmptyEntries))
        {
            var part = Compact(raw);
            if (part.Length >= 2)
            {
                parts.Add(part);
            }
        }

        return parts;
    }

    /// <summary>Upper-case letters and digits only, accents removed.</summary>
    internal static string Compact(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        var sb = new StringBuilder(value.Length);
        foreach (var ch in value.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(ch) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (char.IsLetterOrDigit(ch))
            {
                sb.Append(char.ToUpperInvariant(ch));
            }
        }

        return sb.ToString();
    }
}
