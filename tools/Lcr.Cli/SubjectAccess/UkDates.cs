using System.Globalization;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// Dates as a patient in England reads them: "4 March 2024", "4 March 2024 at 14:05" in UK
/// time (Europe/London, so summer times are BST), and partial dates ("March 2024", "2019") as held.
/// </summary>
internal static class UkDates
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    private static readonly string[] Months =
    [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ];

    /// <summary>A moment in UK time: "4 March 2024 at 14:05".</summary>
    public static string Moment(DateTimeOffset at)
    {
        var uk = TimeZoneInfo.ConvertTime(at, London);
        return Day(uk.Year, uk.Month, uk.Day) + " at " + uk.ToString("HH:mm", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A FHIR date or dateTime as held: a date stays the date it says (no time zone applies);
    /// a dateTime is shown in UK time. Null or unreadable: null.
    /// </summary>
    public static string? FromFhir(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Contains('T', StringComparison.Ordinal))
        {
            return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? Moment(at) : null;
        }

        var parts = value.Split('-');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            return null;
        }

        var month = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 12 ? m : 0;
        var day = parts.Length > 2 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d is >= 1 and <= 31 ? d : 0;
        return month == 0 ? year.ToString(CultureInfo.InvariantCulture)
            : day == 0 ? Months[month - 1] + " " + year.ToString(CultureInfo.InvariantCulture)
            : Day(year, month, day);
    }

    private static string Day(int year, int month, int day) =>
        day.ToString(CultureInfo.InvariantCulture) + " " + Months[month - 1] + " " + year.ToString(CultureInfo.InvariantCulture);
}
