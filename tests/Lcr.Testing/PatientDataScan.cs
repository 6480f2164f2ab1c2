using System.Buffers;
using Lcr.ServiceDefaults.DevData;

namespace Lcr.Testing;

/// <summary>
/// Searches telemetry text (log lines, flattened spans, metric instruments and tags) for the
/// identifying data of every seeded patient: the NHS number (plain and spaced as 3-3-4), the
/// "given family" name, the first address line and the mobile number (with and without its
/// space). All of them at once, case-insensitively, in one pass over each line.
/// </summary>
public static class PatientDataScan
{
    private static readonly string[] CohortNeedles = NeedlesOf(SyntheticCohort.Patients);
    private static readonly SearchValues<string> Cohort = SearchValues.Create(CohortNeedles, StringComparison.OrdinalIgnoreCase);

    /// <summary>The strings searched for, for the given patients.</summary>
    public static string[] NeedlesOf(IEnumerable<SyntheticPatient> patients) =>
        patients.SelectMany(p => new[]
        {
            p.NhsNumber, $"{p.NhsNumber[..3]} {p.NhsNumber[3..6]} {p.NhsNumber[6..]}", $"{p.Given} {p.Family}", p.AddressLines[0],
            p.Mobile, p.Mobile.Replace(" ", string.Empty, StringComparison.Ordinal),
        }).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>The first line holding any seeded patient's data (with what was found), or null.</summary>
    public static (string Line, string Found)? FirstLeak(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var at = line.AsSpan().IndexOfAny(Cohort);
            if (at >= 0)
            {
                var found = CohortNeedles.FirstOrDefault(n => line.AsSpan(at).StartsWith(n, StringComparison.OrdinalIgnoreCase)) ?? string.Empty;
                return (line, found);
            }
        }

        return null;
    }

    /// <summary>Fails naming the source and an excerpt when any line holds seeded patient data.</summary>
    public static void AssertNone(string source, IEnumerable<string> lines)
    {
        if (FirstLeak(lines) is { } leak)
        {
            throw new Xunit.Sdk.XunitException(
                $"{source} holds patient data ('{leak.Found}'): {leak.Line[..Math.Min(leak.Line.Length, 300)]}");
        }
    }
}
