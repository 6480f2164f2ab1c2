using System.Globalization;
using System.Text.RegularExpressions;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Primitives;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// A parsed search of one of the FHIR API's clinical resource types: always scoped to one
/// patient, with the parameters a UK Core consumer sends. Parsing is pure (unit-tested without a
/// host); every refusal is INVALID_ARGUMENT naming the parameter, never quoting its value.
/// </summary>
/// <param name="ResourceType">The searched type.</param>
/// <param name="PatientId">The Patient resource id the search is scoped to.</param>
/// <param name="Category">The platform category the type reads.</param>
/// <param name="Statuses">Entry statuses asked for (clinical-status / status); empty for all.</param>
/// <param name="Period">The <c>date</c> range, [start, end); null when not given.</param>
/// <param name="PageSize">Entries per page (<c>_count</c>); 0 for the platform's default.</param>
/// <param name="PageToken">The opaque token of the page asked for (from a <c>next</c> link).</param>
/// <param name="Query">The search's own parameters (no page token), for the Bundle's links.</param>
public sealed partial record FhirSearch(
    string ResourceType,
    string PatientId,
    RecordCategory Category,
    IReadOnlyList<EntryStatus> Statuses,
    Period? Period,
    int PageSize,
    string PageToken,
    IReadOnlyList<KeyValuePair<string, string>> Query)
{
    public const string PageTokenParameter = "_page_token";
    public const int MaxCount = 100;

    /// <summary>An interaction's <c>_count</c> (<see cref="MaxCount"/> when absent): once, a whole number from 1 to <see cref="MaxCount"/>.</summary>
    public static int ParseCount(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count == 0)
        {
            return MaxCount;
        }

        if (values.Count > 1 || !TryCount(values[0], out var count))
        {
            var v = new FieldViolations();
            v.Add("_count", $"must be given once, a whole number from 1 to {MaxCount}");
            v.ThrowIfAny();
            return 0; // not reached
        }

        return count;
    }

    /// <summary>The one rule for a <c>_count</c> value: a whole number from 1 to <see cref="MaxCount"/>.</summary>
    private static bool TryCount(string? value, out int count) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count is >= 1 and <= MaxCount;

    /// <summary>The searchable types, their platform category and their own parameters.</summary>
    public static readonly IReadOnlyDictionary<string, (RecordCategory Category, string[] Parameters)> Types =
        new Dictionary<string, (RecordCategory, string[])>(StringComparer.Ordinal)
        {
            ["Condition"] = (RecordCategory.Problems, ["clinical-status", "category"]),
            ["MedicationStatement"] = (RecordCategory.Medications, ["status"]),
            ["AllergyIntolerance"] = (RecordCategory.Allergies, ["clinical-status"]),
            ["Observation"] = (RecordCategory.TestResults, ["category"]),
            ["DiagnosticReport"] = (RecordCategory.TestResults, ["category"]),
            ["DocumentReference"] = (RecordCategory.Documents, []),
            ["Flag"] = (RecordCategory.RisksAndAlerts, []),
        };

    /// <summary>The searchable types that are also read by id (<c>GET {type}/{id}</c>).</summary>
    public static readonly IReadOnlyDictionary<string, RecordCategory> ReadableTypes =
        new Dictionary<string, RecordCategory>(StringComparer.Ordinal) { ["Flag"] = RecordCategory.RisksAndAlerts };

    /// <summary>Parameters every search takes.</summary>
    public static readonly string[] CommonParameters = ["patient", "subject", "date", "_count", PageTokenParameter, "_format", "_pretty"];

    /// <summary>The one category code each type's <c>category</c> accepts (system, code).</summary>
    private static readonly Dictionary<string, (string System, string Code)> Categories = new(StringComparer.Ordinal)
    {
        ["Condition"] = (FhirSystems.ConditionCategory, "problem-list-item"),
        ["Observation"] = (FhirSystems.ObservationCategory, "laboratory"),
        ["DiagnosticReport"] = (FhirSystems.DiagnosticServiceSection, "LAB"),
    };

    public static FhirSearch Parse(string resourceType, IEnumerable<KeyValuePair<string, StringValues>> query)
    {
        var (category, own) = Types[resourceType];
        var v = new FieldViolations();
        string? patient = null;
        var statuses = new HashSet<EntryStatus>();
        var dates = new FhirDateRange();
        var hasDate = false;
        var count = 0;
        var pageToken = string.Empty;
        var kept = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in query)
        {
            if (!CommonParameters.Contains(name, StringComparer.Ordinal) && !own.Contains(name, StringComparer.Ordinal))
            {
                v.Add(Unsupported(name), "is not supported by this server (see its CapabilityStatement); searches are scoped to one patient, without _has, chaining, _include or _revinclude");
                continue;
            }

            foreach (var value in values)
            {
                if (string.IsNullOrEmpty(value))
                {
                    continue; // FHIR: an empty parameter is ignored
                }

                if (name != PageTokenParameter)
                {
                    kept.Add(new(name, value));
                }

                switch (name)
                {
                    case "patient" or "subject":
                        if (patient is not null)
                        {
                            v.Add(name, "a search is scoped to exactly one patient");
                        }
                        else if (PatientReference(value) is { } id)
                        {
                            patient = id;
                        }
                        else
                        {
                            v.Add(name, "must be a Patient id or Patient/{id}, one patient only");
                        }

                        break;
                    case "clinical-status" or "status":
                        foreach (var code in value.Split(','))
                        {
                            if (Status(resourceType, Code(code)) is { } s)
                            {
                                statuses.Add(s);
                            }
                            else
                            {
                                v.Add(name, resourceType == "MedicationStatement" ? "supported values: active, completed, stopped" : "supported values: active, inactive, resolved");
                            }
                        }

                        break;
                    case "category":
                        var (system, expected) = Categories[resourceType];
                        foreach (var token in value.Split(','))
                        {
                            var split = token.IndexOf('|', StringComparison.Ordinal);
                            var ok = split < 0 ? token == expected : token[..split] is var s && (s.Length == 0 || s == system) && token[(split + 1)..] == expected;
                            if (!ok)
                            {
                                v.Add(name, $"this server holds only category {expected} ({system})");
                            }
                        }

                        break;
                    case "date":
                        hasDate = true;
                        if (!dates.Add(value))
                        {
                            v.Add(name, "must be a FHIR date or dateTime, optionally prefixed eq, ge, gt, le or lt");
                        }

                        break;
                    case "_count":
                        if (!TryCount(value, out count))
                        {
                            v.Add(name, $"must be a whole number from 1 to {MaxCount}");
                        }

                        break;
                    case PageTokenParameter:
                        pageToken = value;
                        break;
                    case "_format":
                        if (!FhirFormat.IsJson(value))
                        {
                            v.Add(name, "this server answers in JSON only (application/fhir+json)");
                        }

                        break;
                    case "_pretty":
                        break;
                }
            }
        }

        if (patient is null && !v.Any)
        {
            v.Add("patient", "is required: every search is scoped to one patient (patient={id})");
        }

        v.ThrowIfAny();
        var period = hasDate
            ? new Period
            {
                StartTime = dates.Start is { } start ? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(start) : null,
                EndTime = dates.End is { } end ? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(end) : null,
            }
            : null;
        return new FhirSearch(resourceType, patient!, category, statuses.Order().ToList(), period, count, pageToken, kept);
    }

    /// <summary>A parameter's name as it may be quoted back: its base name when it is a plain word, else a neutral placeholder.</summary>
    public static string Unsupported(string name)
    {
        var end = name.IndexOfAny([':', '.']);
        var bare = end < 0 ? name : name[..end];
        return PlainName().IsMatch(bare) ? bare : "(a search parameter)";
    }

    /// <summary>The id in <c>{id}</c> or <c>Patient/{id}</c>; null otherwise.</summary>
    public static string? PatientReference(string value)
    {
        var id = value.StartsWith("Patient/", StringComparison.Ordinal) ? value["Patient/".Length..] : value;
        return FhirId().IsMatch(id) ? id : null;
    }

    public static bool IsFhirId(string id) => FhirId().IsMatch(id);

    private static string Code(string token) => token[(token.IndexOf('|', StringComparison.Ordinal) + 1)..];

    private static EntryStatus? Status(string resourceType, string code) => (resourceType, code) switch
    {
        ("MedicationStatement", "active") => EntryStatus.Active,
        ("MedicationStatement", "completed" or "stopped") => EntryStatus.Inactive,
        ("MedicationStatement", _) => null,
        (_, "active") => EntryStatus.Active,
        (_, "inactive" or "resolved") => EntryStatus.Inactive,
        _ => null,
    };

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex FhirId();

    [GeneratedRegex("^_?[a-z][a-z0-9\\-]{0,40}$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex PlainName();
}
