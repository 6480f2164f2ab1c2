using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Serialization;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// A subject access export's Bundle, read from its structured content (resources, Provenance,
/// AuditEvent) with the Firely SDK into what a readable copy needs: the patient, the
/// organisations, every entry with all its versions and where each came from, and the access
/// log. Read entry by entry (<see cref="BundleStreamReader"/>); document contents are not kept:
/// their place in the file is, and <see cref="ReadContentAsync"/> reads one again when it is
/// rendered, so a record of hundreds of megabytes of documents is held as its metadata only.
/// </summary>
internal sealed class SubjectAccessRecord
{
    public const string EntryIdSystem = "https://leeds-care-record.nhs.uk/Id/entry-id";
    public const string SourceEntryIdSystem = "https://leeds-care-record.nhs.uk/Id/source-entry-id";
    public const string NhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
    public const string OdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";

    /// <summary>The code of the OperationOutcome standing in for an access log held for enhanced review.</summary>
    public const string AccessLogUnderReview = "ACCESS_LOG_UNDER_REVIEW";

    private static readonly JsonSerializerOptions Fhir = new JsonSerializerOptions()
        .ForFhir(R4.ModelInfo.ModelInspector)
        .UsingMode(DeserializationMode.Recoverable);

    private readonly Stream _source;

    private SubjectAccessRecord(Stream source) => _source = source;

    /// <summary>The export's id (Bundle.id), as printed by lcr export and named in its audit event.</summary>
    public string? ExportId { get; private set; }

    /// <summary>When the export was made (Bundle.timestamp).</summary>
    public DateTimeOffset? ExportedAt { get; private set; }

    public R4.Patient? Patient { get; private set; }

    /// <summary>The organisations by their fullUrl.</summary>
    public Dictionary<string, R4.Organization> Organisations { get; } = new(StringComparer.Ordinal);

    /// <summary>Every entry, in the Bundle's order of first appearance.</summary>
    public List<RecordEntry> Entries { get; } = [];

    /// <summary>
    /// Organisation names by ODS code, as found anywhere in the Bundle (Organization.name, the
    /// registered practice, the organisations of people in the access log): an Organization the
    /// gateway knew only by its code is still named for the patient when the Bundle names it elsewhere.
    /// </summary>
    public Dictionary<string, string> OrganisationNames { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The AuditEvents: who looked at or changed the record, and when.</summary>
    public List<R4.AuditEvent> AccessLog { get; } = [];

    /// <summary>
    /// The platform's words when the access log was left out because an IG officer holds it for
    /// enhanced review (an OperationOutcome coded ACCESS_LOG_UNDER_REVIEW in place of the AuditEvents); null otherwise.
    /// </summary>
    public string? AccessLogWithheld { get; private set; }

    /// <summary>Reads the Bundle from <paramref name="bundle"/>, which must stay open (and seekable) while the record is rendered.</summary>
    public static async Task<SubjectAccessRecord> ReadAsync(Stream bundle, CancellationToken cancellationToken)
    {
        if (!bundle.CanSeek)
        {
            throw new ArgumentException("The Bundle must be read from a seekable stream (a file).", nameof(bundle));
        }

        var record = new SubjectAccessRecord(bundle);
        var versions = new List<(string FullUrl, R4.Resource Resource, long? ContentAt, int ContentLength)>();
        var provenance = new Dictionary<string, R4.Provenance>(StringComparer.Ordinal);
        var reader = new BundleStreamReader(bundle);
        while (await reader.ReadAsync(cancellationToken) is { } item)
        {
            if (!item.IsEntry)
            {
                record.ReadEnvelope(item.Name!, item.Value);
                continue;
            }

            var (fullUrl, resource) = ParseEntry(item.Json.Span);
            switch (resource)
            {
                case R4.Patient p:
                    record.Patient ??= p;
                    break;
                case R4.Organization o when fullUrl is not null:
                    record.Organisations[fullUrl] = o;
                    break;
                case R4.Provenance p:
                    foreach (var target in p.Target.Select(t => t.Reference).OfType<string>())
                    {
                        provenance[target] = p;
                    }

                    break;
                case R4.AuditEvent a:
                    record.AccessLog.Add(a);
                    break;
                case R4.OperationOutcome o when o.Issue.Any(i => i.Details?.Coding.Any(c => c.Code == AccessLogUnderReview) == true):
                    record.AccessLogWithheld = o.Issue.Select(i => i.Details?.Text).FirstOrDefault(t => !string.IsNullOrEmpty(t))
                        ?? "Who has looked at your record: withheld while it is reviewed.";
                    break;
                case R4.Condition or R4.MedicationStatement or R4.AllergyIntolerance or R4.Observation or R4.DocumentReference or R4.Flag:
                    var hasContent = resource is R4.DocumentReference { Content: [{ Attachment.Data: not null }, ..] };
                    if (hasContent)
                    {
                        // Only its place in the file is kept; the content is read again when it is rendered.
                        ((R4.DocumentReference)resource).Content[0].Attachment.Data = null;
                    }

                    versions.Add((fullUrl ?? string.Empty, resource, hasContent ? item.Offset : null, hasContent ? item.Json.Length : 0));
                    break;
            }
        }

        record.Group(versions, provenance);
        record.CollectOrganisationNames();
        return record;
    }

    /// <summary>A document version's attachment with its content, read again from the Bundle; null when the Bundle has none for it.</summary>
    public async Task<R4.Attachment?> ReadContentAsync(EntryVersion version, CancellationToken cancellationToken)
    {
        if (version.ContentAt is not { } offset)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(version.ContentLength);
        try
        {
            _source.Position = offset;
            await _source.ReadExactlyAsync(buffer.AsMemory(0, version.ContentLength), cancellationToken);
            return ParseEntry(buffer.AsSpan(0, version.ContentLength)).Resource is R4.DocumentReference { Content: [var content, ..] }
                ? content.Attachment
                : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The organisation an entry came from: its Provenance's author, else the assigner of the source's id.</summary>
    public static string OrganisationOf(R4.Resource resource, R4.Provenance? provenance)
    {
        var author = provenance?.Agent.FirstOrDefault(a => a.Type?.Coding.Any(c => c.Code == "author") == true)?.Who?.Reference;
        var assigner = Identifiers(resource).FirstOrDefault(i => i.System == SourceEntryIdSystem)?.Assigner?.Reference;
        return author ?? assigner ?? string.Empty;
    }

    public static IEnumerable<R4.Identifier> Identifiers(R4.Resource resource) => resource switch
    {
        R4.Condition c => c.Identifier,
        R4.MedicationStatement m => m.Identifier,
        R4.AllergyIntolerance a => a.Identifier,
        R4.Observation o => o.Identifier,
        R4.DocumentReference d => d.Identifier,
        R4.Flag f => f.Identifier,
        _ => [],
    };

    private void CollectOrganisationNames()
    {
        void Name(string? ods, string? name)
        {
            if (!string.IsNullOrEmpty(ods) && !string.IsNullOrWhiteSpace(name) && !string.Equals(ods, name, StringComparison.OrdinalIgnoreCase))
            {
                OrganisationNames.TryAdd(ods, name);
            }
        }

        foreach (var o in Organisations.Values)
        {
            Name(o.Identifier.FirstOrDefault(i => i.System == OdsSystem)?.Value, o.Name);
        }

        var references = (Patient?.GeneralPractitioner ?? []).Concat(AccessLog.SelectMany(a => a.Agent).Select(a => a.Who).OfType<R4.ResourceReference>());
        foreach (var r in references.Where(r => r.Identifier?.System == OdsSystem))
        {
            Name(r.Identifier?.Value, r.Display);
        }
    }

    private void ReadEnvelope(string name, string? value)
    {
        if (name == "id")
        {
            ExportId = value;
        }
        else if (name == "timestamp" && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            ExportedAt = at;
        }
    }

    private void Group(List<(string FullUrl, R4.Resource Resource, long? ContentAt, int ContentLength)> versions, Dictionary<string, R4.Provenance> provenance)
    {
        var byId = new Dictionary<string, RecordEntry>(StringComparer.Ordinal);
        foreach (var (fullUrl, resource, contentAt, contentLength) in versions)
        {
            provenance.TryGetValue(fullUrl, out var source);
            var version = new EntryVersion(resource, source, contentAt, contentLength);
            var entryId = Identifiers(resource).FirstOrDefault(i => i.System == EntryIdSystem)?.Value ?? resource.Id ?? fullUrl;
            if (!byId.TryGetValue(entryId, out var entry))
            {
                entry = new RecordEntry(entryId, CategoryOf(resource), OrganisationOf(resource, source), []);
                byId[entryId] = entry;
                Entries.Add(entry);
            }

            entry.Versions.Add(version);
        }

        foreach (var entry in Entries)
        {
            entry.Versions.Sort((a, b) => a.Number.CompareTo(b.Number));
        }
    }

    private static EntryCategory CategoryOf(R4.Resource resource) => resource switch
    {
        R4.Condition => EntryCategory.Problems,
        R4.MedicationStatement => EntryCategory.Medications,
        R4.AllergyIntolerance => EntryCategory.Allergies,
        R4.Observation => EntryCategory.TestResults,
        R4.Flag => EntryCategory.Alerts,
        _ => EntryCategory.Documents,
    };

    /// <summary>One Bundle.entry: its fullUrl and its resource, parsed by the Firely SDK (recoverable mode: a readable copy shows what it can).</summary>
    private static (string? FullUrl, R4.Resource? Resource) ParseEntry(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        string? fullUrl = null;
        R4.Resource? resource = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "fullUrl" && reader.TokenType == JsonTokenType.String)
            {
                fullUrl = reader.GetString();
            }
            else if (name == "resource" && reader.TokenType == JsonTokenType.StartObject)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                resource = Deserialize(json[start..(int)reader.BytesConsumed]);
            }
            else
            {
                reader.Skip();
            }
        }

        return (fullUrl, resource);
    }

    private static R4.Resource? Deserialize(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<R4.Resource>(json, Fhir);
        }
        catch (DeserializationFailedException e)
        {
            return e.PartialResult as R4.Resource;
        }
    }
}
