using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Keeps patient identifiers out of logs, traces, metrics and exception messages.
/// <para>
/// Two tools: <see cref="Scrub"/> masks anything shaped like an NHS number, a UK postcode,
/// an email address or a telephone number in free text (a last line of defence applied to
/// every log line and span attribute), and <see cref="PatientPseudonymiser"/> turns an NHS
/// number into a keyed, non-reversible reference for cache keys and log correlation.
/// Code never logs names, addresses or clinical text at all: there is no pattern for them.
/// </para>
/// </summary>
public static partial class Pii
{
    public const string NhsNumberMask = "[nhs-number]";
    public const string PostcodeMask = "[postcode]";
    public const string EmailMask = "[email]";
    public const string TelephoneMask = "[telephone]";

    /// <summary>Masks NHS numbers, postcodes, emails and telephone numbers in free text.</summary>
    public static string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        // Cheap pre-check: nothing to mask without a digit or an '@'.
        if (!text.AsSpan().ContainsAny(Triggers))
        {
            return text;
        }

        var result = EmailPattern().Replace(text, EmailMask);
        result = NhsNumberPattern().Replace(result, NhsNumberMask);
        result = TelephonePattern().Replace(result, TelephoneMask);
        result = PostcodePattern().Replace(result, PostcodeMask);
        return result;
    }

    private static readonly System.Buffers.SearchValues<char> Triggers =
        System.Buffers.SearchValues.Create("0123456789@");

    // Ten digits, alone or grouped 3-3-4 with spaces or hyphens, not inside a longer number
    // or identifier (hex trace ids and GUIDs are letters-and-digits words and stay intact).
    [GeneratedRegex(@"(?<![\w-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w-])", RegexOptions.CultureInvariant)]
    private static partial Regex NhsNumberPattern();

    // UK telephone numbers: +44 or 0 followed by 9-10 more digits, optionally spaced.
    [GeneratedRegex(@"(?<![\w+])(?:\+44\s?|0)(?:\d[\s-]?){8,9}\d(?!\w)", RegexOptions.CultureInvariant)]
    private static partial Regex TelephonePattern();

    // UK postcodes: outward code (A9, A99, AA9, AA99, A9A, AA9A) + optional space + inward (9AA).
    [GeneratedRegex(@"\b[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex PostcodePattern();

    [GeneratedRegex(@"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}

/// <summary>
/// Keyed pseudonyms for NHS numbers: HMAC-SHA256 under a platform secret, so the same
/// patient gets the same reference in every replica (cache keys, log correlation), while
/// nobody without the key can go back from the reference to the NHS number (a plain hash
/// could be reversed by trying all 10^9 possible numbers).
/// </summary>
public sealed class PatientPseudonymiser
{
    private readonly byte[] _key;

    public PatientPseudonymiser(byte[] key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException("The pseudonymisation key must be at least 16 bytes.", nameof(key));
        }

        _key = key;
    }

    /// <summary>Creates one from configuration (base64 key), or a random per-process key when none is set.</summary>
    public static PatientPseudonymiser FromBase64OrRandom(string? base64Key) =>
        new(string.IsNullOrWhiteSpace(base64Key) ? RandomNumberGenerator.GetBytes(32) : Convert.FromBase64String(base64Key));

    /// <summary>A stable, non-reversible 20-character reference for the patient.</summary>
    public string Pseudonym(string nhsNumber)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(nhsNumber), mac);
        return Convert.ToHexStringLower(mac[..10]);
    }
}
