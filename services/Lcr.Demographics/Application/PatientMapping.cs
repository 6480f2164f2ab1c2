using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Demographics.Persistence;
using Lcr.Demographics.V1;

namespace Lcr.Demographics.Application;

/// <summary>Converts between stored rows and the contract's messages.</summary>
internal static class PatientMapping
{
    public static string ETag(long version) => "v" + version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Parses an etag from <see cref="ETag"/>; null when it is not one of ours.</summary>
    public static long? ParseETag(string? etag) =>
        etag is { Length: > 1 } && etag[0] == 'v' && long.TryParse(etag.AsSpan(1), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : null;

    public static Patient ToProto(PatientRow row)
    {
        var p = new Patient
        {
            NhsNumber = row.NhsNumber,
            Name = new HumanName { Prefix = row.Prefix ?? string.Empty, Family = row.Family, Given = { row.Given } },
            BirthDate = ToDate(row.BirthDate),
            Gender = (AdministrativeGender)row.Gender,
            Email = row.Email ?? string.Empty,
            Restricted = row.Restricted,
            Etag = ETag(row.Version),
            Version = row.Version,
            CreateTime = Timestamp.FromDateTimeOffset(row.CreatedAt),
            UpdateTime = Timestamp.FromDateTimeOffset(row.UpdatedAt),
        };
        if (row.AddressLines.Count > 0 || row.Postcode is not null)
        {
            p.Address = new Address { Lines = { row.AddressLines }, Postcode = row.Postcode ?? string.Empty };
        }

        p.Telephones.AddRange(row.Telephones.Select(t => new Telephone { Kind = (TelephoneKind)t.Kind, Number = t.Number }));
        if (row.RegisteredPracticeOds is not null)
        {
            p.RegisteredPractice = new OrganisationReference { OdsCode = row.RegisteredPracticeOds };
        }

        if (row.DeathDate is { } death)
        {
            p.DeathDate = ToDate(death);
        }

        return p;
    }

    public static Date ToDate(DateOnly d) => new() { Year = d.Year, Month = d.Month, Day = d.Day };

    private static readonly JsonFormatter SnapshotFormatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));
    private static readonly JsonParser SnapshotParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static string Snapshot(Patient p) => SnapshotFormatter.Format(p);

    public static Patient FromSnapshot(string json) => SnapshotParser.Parse<Patient>(json);
}
