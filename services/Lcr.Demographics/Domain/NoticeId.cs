using System.Text.RegularExpressions;

namespace Lcr.Demographics.Domain;

/// <summary>A feed's identifier for a supersession or withdrawal notice: 1 to 100 of letters, digits, '-', '_', '.', ':'.</summary>
public static partial class NoticeId
{
    public const int MaxLength = 100;

    public static bool IsValid(string? value) => value is { Length: > 0 and <= MaxLength } && Shape().IsMatch(value);

    [GeneratedRegex(@"^[A-Za-z0-9_.:-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
