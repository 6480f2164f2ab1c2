using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>Small conversions every mapper shares: concepts, quantities, dates, ids.</summary>
public static class FhirValues
{
    public static R4.CodeableConcept Concept(CodedConcept c)
    {
        var concept = new R4.CodeableConcept { Text = Blank(c.Display) };
        if (!string.IsNullOrEmpty(c.Code))
        {
            concept.Coding.Add(new R4.Coding(Blank(c.System), c.Code, Blank(c.Display)));
        }

        return concept;
    }

    /// <summary>A concept's readable text: its display, else its code.</summary>
    public static string Text(CodedConcept? c) => c is null ? string.Empty : Blank(c.Display) ?? c.Code;

    public static R4.Quantity Quantity(Clinical.V1.Quantity q, bool withComparator)
    {
        var result = new R4.Quantity { Value = double.IsFinite(q.Value) ? (decimal)q.Value : null, Unit = Blank(q.Unit) };
        if (!string.IsNullOrEmpty(q.Unit) && IsPlainUcum(q.Unit))
        {
            result.System = FhirSystems.Ucum;
            result.Code = q.Unit;
        }

        if (withComparator)
        {
            result.Comparator = q.Comparator switch
            {
                QuantityComparator.LessThan => R4.Quantity.QuantityComparator.LessThan,
                QuantityComparator.LessOrEqual => R4.Quantity.QuantityComparator.LessOrEqual,
                QuantityComparator.GreaterOrEqual => R4.Quantity.QuantityComparator.GreaterOrEqual,
                QuantityComparator.GreaterThan => R4.Quantity.QuantityComparator.GreaterThan,
                _ => null,
            };
        }

        return result;
    }

    /// <summary>A quantity as a person reads it: "&lt; 48 mmol/mol".</summary>
    public static string Text(Clinical.V1.Quantity? q)
    {
        if (q is null)
        {
            return string.Empty;
        }

        var comparator = q.Comparator switch
        {
            QuantityComparator.LessThan => "< ",
            QuantityComparator.LessOrEqual => "<= ",
            QuantityComparator.GreaterOrEqual => ">= ",
            QuantityComparator.GreaterThan => "> ",
            _ => string.Empty,
        };
        return (comparator + q.Value.ToString(CultureInfo.InvariantCulture) + " " + q.Unit).Trim();
    }

    /// <summary>Units written as UCUM expressions (no spaces); anything else stays a display unit only.</summary>
    private static bool IsPlainUcum(string unit) => unit.All(ch => ch is > ' ' and < '\u007f');

    /// <summary>A FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) for a possibly partial date; null when absent.</summary>
    public static string? FhirDate(Date? d)
    {
        if (d is null || d.Year <= 0)
        {
            return null;
        }

        var s = d.Year.ToString("0000", CultureInfo.InvariantCulture);
        if (d.Month is >= 1 and <= 12)
        {
            s += "-" + d.Month.ToString("00", CultureInfo.InvariantCulture);
            if (d.Day is >= 1 and <= 31)
            {
                s += "-" + d.Day.ToString("00", CultureInfo.InvariantCulture);
            }
        }

        return s;
    }

    /// <summary>A time as a person in Leeds reads it (UTC, to the minute).</summary>
    public static string Text(DateTimeOffset? t) => t is { } at ? at.UtcDateTime.ToString("d MMM yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture) : string.Empty;

    /// <summary>An enum value as words: <c>DischargeSummary</c> becomes "Discharge summary".</summary>
    public static string Describe<TEnum>(TEnum value) where TEnum : struct, System.Enum
    {
        var words = new StringBuilder();
        foreach (var ch in value.ToString())
        {
            if (char.IsUpper(ch) && words.Length > 0)
            {
                words.Append(' ');
                words.Append(char.ToLowerInvariant(ch));
            }
            else
            {
                words.Append(ch);
            }
        }

        return words.ToString();
    }

    public static string? Blank(string? s) => string.IsNullOrEmpty(s) ? null : s;

    public static string Urn(string id) => "urn:uuid:" + id;

    /// <summary>A name-based UUID, so the same data is always named the same way.</summary>
    public static string StableId(string kind, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("lcr-subject-access:" + kind + ":" + key));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5-style (name-based)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    /// <summary>The FHIR id of a patient's Patient resource (stable, not the NHS number itself).</summary>
    public static string PatientId(string nhsNumber) => StableId("patient", nhsNumber);
}
