using System.Text.RegularExpressions;

namespace Lcr.Identity.Domain;

/// <summary>Formats of the identifiers identity accepts.</summary>
public static partial class Identifiers
{
    /// <summary>ODS code: 3 to 10 upper-case letters and digits (input is upper-cased first).</summary>
    public static bool IsOdsCode(string? value) => value is not null && OdsPattern().IsMatch(value);

    /// <summary>User name: 3 to 64 of letters, digits, '.', '_', '-', '@'.</summary>
    public static bool IsUserName(string? value) => value is not null && UserNamePattern().IsMatch(value);

    /// <summary>Client id: 3 to 64 of lower-case letters, digits and '-'.</summary>
    public static bool IsClientId(string? value) => value is not null && ClientIdPattern().IsMatch(value);

    /// <summary>Team id "&lt;ODS code&gt;:&lt;team code&gt;", team code 1 to 40 of upper-case letters, digits and '-'.</summary>
    public static bool IsTeamId(string? value) => value is not null && TeamPattern().IsMatch(value);

    public static string NormaliseOds(string? value) => (value ?? string.Empty).Trim().ToUpperInvariant();

    public static string NormaliseUserName(string? value) => (value ?? string.Empty).Trim().ToLowerInvariant();

    public static string NormaliseTeam(string? value) => (value ?? string.Empty).Trim().ToUpperInvariant();

    public static string TeamOrganisation(string teamId) => teamId[..teamId.IndexOf(':', StringComparison.Ordinal)];

    public static bool TryGuid(string? value, out Guid id) => Guid.TryParse(value, out id) && id != Guid.Empty;

    [GeneratedRegex("^[A-Z0-9]{3,10}$", RegexOptions.CultureInvariant)]
    private static partial Regex OdsPattern();

    [GeneratedRegex("^[A-Za-z0-9._@-]{3,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex UserNamePattern();

    [GeneratedRegex("^[a-z0-9-]{3,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ClientIdPattern();

    [GeneratedRegex("^[A-Z0-9]{3,10}:[A-Z0-9-]{1,40}$", RegexOptions.CultureInvariant)]
    private static partial Regex TeamPattern();
}
