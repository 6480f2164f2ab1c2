using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;

namespace Lcr.Cli;

/// <summary>Turns the tool's friendly option values into proto values, with usage errors naming the option.</summary>
internal static class Parsing
{
    public static readonly string[] Purposes = ["direct-care", "subject-access", "information-governance"];

    public static PurposeOfUse Purpose(Resolved purpose) => purpose.Value switch
    {
        null or "" or "direct-care" => PurposeOfUse.DirectCare,
        "subject-access" => PurposeOfUse.SubjectAccessRequest,
        "information-governance" => PurposeOfUse.InformationGovernance,
        _ => throw new CliException(ExitCodes.Usage,
            $"the purpose '{purpose.Value}' (from {purpose.Source}) is not one of {string.Join(", ", Purposes)}"),
    };

    public static string Kebab(string enumName, string prefix)
    {
        // RECORD_CATEGORY_TEST_RESULTS -> test-results
        var s = enumName.StartsWith(prefix, StringComparison.Ordinal) ? enumName[prefix.Length..] : enumName;
        return s.ToLowerInvariant().Replace('_', '-');
    }

    /// <summary>A proto enum value from its kebab-case name without the prefix (e.g. "test-results").</summary>
    public static T Enum<T>(string value, string option) where T : struct, System.Enum
    {
        var prefix = EnumPrefix<T>();
        foreach (var v in System.Enum.GetValues<T>())
        {
            var original = OriginalName(v);
            if (original.EndsWith("_UNSPECIFIED", StringComparison.Ordinal))
            {
                continue;
            }

            if (string.Equals(Kebab(original, prefix), value.Trim(), StringComparison.OrdinalIgnoreCase) ||
                string.Equals(original, value.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        throw new CliException(ExitCodes.Usage, $"{option} '{value}' is not one of {string.Join(", ", Names<T>())}");
    }

    /// <summary>The accepted kebab-case names of a proto enum (without UNSPECIFIED).</summary>
    public static IEnumerable<string> Names<T>() where T : struct, System.Enum
    {
        var prefix = EnumPrefix<T>();
        return System.Enum.GetValues<T>().Select(OriginalName).Where(n => !n.EndsWith("_UNSPECIFIED", StringComparison.Ordinal))
            .Select(n => Kebab(n, prefix));
    }

    /// <summary>The short human name of a proto enum value: TEST_RESULTS -> "test-results".</summary>
    public static string Name<T>(T value) where T : struct, System.Enum => Kebab(OriginalName(value), EnumPrefix<T>());

    private static string OriginalName<T>(T value) where T : struct, System.Enum
    {
        var field = typeof(T).GetField(value.ToString());
        var attr = field?.GetCustomAttributes(typeof(Google.Protobuf.Reflection.OriginalNameAttribute), false)
            .OfType<Google.Protobuf.Reflection.OriginalNameAttribute>().FirstOrDefault();
        return attr?.Name ?? value.ToString().ToUpperInvariant();
    }

    private static string EnumPrefix<T>() where T : struct, System.Enum
    {
        var names = System.Enum.GetValues<T>().Select(OriginalName).ToList();
        var unspecified = names.FirstOrDefault(n => n.EndsWith("_UNSPECIFIED", StringComparison.Ordinal));
        return unspecified is null ? string.Empty : unspecified[..^"UNSPECIFIED".Length];
    }

    /// <summary>A date (YYYY-MM-DD, midnight UTC) or an RFC 3339 instant, as a Timestamp.</summary>
    public static Timestamp Instant(string value, string option)
    {
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return Timestamp.FromDateTime(d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return Timestamp.FromDateTimeOffset(t);
        }

        throw new CliException(ExitCodes.Usage, $"{option} '{value}' is not a date (YYYY-MM-DD) or an RFC 3339 time (2026-12-01T09:00:00Z)");
    }

    /// <summary>A period from optional --from/--to values; null when neither is given.</summary>
    public static Period? Period(string? from, string? to)
    {
        if (from is null && to is null)
        {
            return null;
        }

        var p = new Period();
        if (from is not null)
        {
            p.StartTime = Instant(from, "--from");
        }

        if (to is not null)
        {
            p.EndTime = Instant(to, "--to");
        }

        return p;
    }
}
