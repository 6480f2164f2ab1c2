using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// Where the next page of <c>Patient/$everything</c> starts: the position in the role's clinical
/// categories and the read path's own (opaque) page token within that category. Carried in the
/// <c>next</c> link as <c>_page_token</c>; base64url, so it is never the caller's text when echoed.
/// A token that does not decode is INVALID_ARGUMENT naming <c>_page_token</c>; a tampered inner
/// token is refused by the read path exactly as a gRPC page token is.
/// </summary>
public sealed record EverythingPageToken(int CategoryIndex, string Inner)
{
    private const string Version = "e1";

    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{Version}|{CategoryIndex.ToString(CultureInfo.InvariantCulture)}|{Inner}"));

    /// <summary>The token of a request, or the first page when none is given.</summary>
    public static EverythingPageToken Parse(string? value, int categories)
    {
        if (string.IsNullOrEmpty(value))
        {
            return new EverythingPageToken(0, string.Empty);
        }

        string[] parts;
        try
        {
            parts = value.Length <= 4096 ? Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value)).Split('|', 3) : [];
        }
        catch (FormatException)
        {
            parts = [];
        }

        if (parts.Length != 3 || parts[0] != Version ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index < 0 || index >= categories)
        {
            var v = new FieldViolations();
            v.Add(FhirSearch.PageTokenParameter, "is not a page token this server gave (follow the Bundle's next link)");
            v.ThrowIfAny();
        }

        return new EverythingPageToken(int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2]);
    }
}
