using System.Globalization;
using System.Text;

namespace Lcr.Demographics.Domain;

/// <summary>
/// The form names are matched in: lower case, accents removed, punctuation other than
/// hyphens dropped, whitespace collapsed. "Öztürk", "OZTURK" and " ozturk " all match, as
/// do "O'Brien" and "OBrien". Stored beside the name so searches use an index.
/// </summary>
public static class SearchText
{
    public static string Normalise(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return string.Empty;
        }

        var decomposed = value.Trim().Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        var lastWasSpace = false;
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                if (!lastWasSpace)
                {
                    sb.Append(' ');
                }

                lastWasSpace = true;
                continue;
            }

            lastWasSpace = false;
            if (char.IsLetterOrDigit(c))
            {
                sb.Append(c switch
                {
                    'ß' => "ss",
                    'Æ' or 'æ' => "ae",
                    'Ø' or 'ø' => "o",
                    'Ł' or 'ł' => "l",
                    'Đ' or 'đ' => "d",
                    _ => char.ToLowerInvariant(c).ToString(),
                });
            }
            else if (c == '-')
            {
                sb.Append('-');
            }
        }

        return sb.ToString().Trim();
    }
}
