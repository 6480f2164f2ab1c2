using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.Domain;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Application;

/// <summary>Converts between stored rows and the contract's messages.</summary>
internal static class EntryMapping
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The row as an entry, with its status at <paramref name="now"/> (an alert whose end date has passed is INACTIVE).</summary>
    public static Entry ToProto(EntryRow row, DateTimeOffset now)
    {
        var e = new Entry
        {
            Id = row.Id.ToString(),
            NhsNumber = row.NhsNumber,
            Category = (RecordCategory)row.Category,
            Code = new CodedConcept { System = row.CodeSystem, Code = row.Code, Display = row.CodeDisplay ?? string.Empty },
            Status = (EntryStatus)row.Status,
            ClinicalTime = Timestamp.FromDateTimeOffset(row.ClinicalTime),
            Provenance = new Provenance
            {
                SourceOrganisation = new OrganisationReference { OdsCode = row.SourceOrganisation },
                SourceSystem = row.SourceSystem,
                SourceEntryId = row.SourceEntryId,
                RecordedTime = Timestamp.FromDateTimeOffset(row.RecordedAt),
            },
            Version = row.Version,
            Sensitivity = (Sensitivity)row.Sensitivity,
            EnteredInError = row.EnteredInError,
            RetractionReason = row.RetractionReason ?? string.Empty,
            Comment = row.Comment ?? string.Empty,
        };
        SetDetail(e, row.Detail);
        e.Status = AlertRules.StatusAt(e, now);
        return e;
    }

    public static void SetDetail(Entry e, string json)
    {
        switch (e.Category)
        {
            case RecordCategory.Problems:
                e.Problem = Parser.Parse<Problem>(json);
                break;
            case RecordCategory.Medications:
                e.Medication = Parser.Parse<Medication>(json);
                break;
            case RecordCategory.Allergies:
                e.Allergy = Parser.Parse<Allergy>(json);
                break;
            case RecordCategory.TestResults:
                e.TestResult = Parser.Parse<TestResult>(json);
                break;
            case RecordCategory.Documents:
                e.Document = Parser.Parse<Document>(json);
                break;
            case RecordCategory.RisksAndAlerts:
                e.Alert = Parser.Parse<Alert>(json);
                break;
        }
    }

    public static string DetailJson(Entry e) => e.DetailCase switch
    {
        Entry.DetailOneofCase.Problem => Formatter.Format(e.Problem),
        Entry.DetailOneofCase.Medication => Formatter.Format(e.Medication),
        Entry.DetailOneofCase.Allergy => Formatter.Format(e.Allergy),
        Entry.DetailOneofCase.TestResult => Formatter.Format(e.TestResult),
        Entry.DetailOneofCase.Document => Formatter.Format(e.Document),
        Entry.DetailOneofCase.Alert => Formatter.Format(e.Alert),
        _ => "{}",
    };

    public static string Snapshot(Entry e) => Formatter.Format(e);

    /// <summary>A stored version, with its status at <paramref name="now"/> (an alert whose end date has passed is INACTIVE).</summary>
    public static Entry FromSnapshot(string json, DateTimeOffset now)
    {
        var e = Parser.Parse<Entry>(json);
        e.Status = AlertRules.StatusAt(e, now);
        return e;
    }

    /// <summary>
    /// A digest of what the contributor sent, in canonical form, with the source system: equal
    /// digests mean a re-send that changes nothing. (C# protobuf serialises fields in number
    /// order and Entry has no maps, so the bytes are deterministic.)
    /// </summary>
    public static byte[] InputHash(Entry canonical, string sourceSystem)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(canonical.ToByteArray());
        sha.AppendData([0]);
        sha.AppendData(Encoding.UTF8.GetBytes(sourceSystem));
        return sha.GetHashAndReset();
    }
}
