using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Records;
using Lcr.Gateway.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// The FHIR R4 read API. Each interaction authenticates through <see cref="FhirAuthentication"/>,
/// checks its parameters, and reads through <see cref="RecordReader"/>'s core: the same
/// enforcement and audit as GetPatientRecord, ListRecordEntries and GetDocumentContent (one
/// enforcement path). The mapping is the subject access export's (<see cref="EntryMapper"/> and
/// the other mappers). Refusals are thrown and answered by <see cref="FhirEndpoints"/> through
/// <see cref="FhirErrors"/>.
/// </summary>
public sealed class FhirApi(FhirAuthentication authentication, RecordReader records, TimeProvider clock, IConfiguration configuration)
{
    /// <summary>The response header carrying the committed audit event's id (gRPC's audit_event_id).</summary>
    public const string AuditEventHeader = "X-Audit-Event-Id";

    private static readonly string[] FormatOnly = ["_format", "_pretty"];

    /// <summary>The CapabilityStatement does not change while the process runs.</summary>
    private readonly DateTimeOffset _published = clock.GetUtcNow();

    public Task<R4.Resource> MetadataAsync(HttpContext http)
    {
        Only(http, FormatOnly);
        return Task.FromResult<R4.Resource>(FhirCapabilities.Build(BaseUrl(http), _published));
    }

    /// <summary><c>GET Patient/{id}</c>: the token's patient's demographics as the shared view shows them.</summary>
    public async Task<R4.Resource> ReadPatientAsync(HttpContext http, string id)
    {
        var token = await authentication.AuthenticateAsync(http);
        Only(http, FormatOnly);
        RequireOwnPatient(token, id);
        var context = FhirCallContext.For(http);
        var view = Unsealed(await records.GetPatientRecordAsync(token,
            new GetPatientRecordRequest { NhsNumber = token.NhsNumber, Categories = { RecordCategory.Demographics } }, context));
        Audited(http, view.AuditEventId);
        return view.Patient is null
            ? throw new NotFoundException("patient")
            : PatientMapper.Map(view.Patient, Mapping(token), view.ContactDetailsWithheld);
    }

    /// <summary><c>GET Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}</c>: the token's patient, or nobody.</summary>
    public async Task<R4.Resource> SearchPatientAsync(HttpContext http)
    {
        var token = await authentication.AuthenticateAsync(http);
        Only(http, ["identifier", .. FormatOnly]);
        var v = new FieldViolations();
        var identifier = http.Request.Query["identifier"];
        string? nhs = null;
        if (identifier.Count != 1 || identifier[0] is not { } value || !value.StartsWith(FhirSystems.NhsNumber + "|", StringComparison.Ordinal))
        {
            v.Add("identifier", $"is required, once: {FhirSystems.NhsNumber}|{{NHS number}}");
        }
        else if (NhsNumber.Validate(value[(FhirSystems.NhsNumber.Length + 1)..], v, "identifier"))
        {
            nhs = value[(FhirSystems.NhsNumber.Length + 1)..];
        }

        v.ThrowIfAny();
        var bundle = new FhirBundles(BaseUrl(http), clock.GetUtcNow());
        bundle.Link("self", bundle.SearchUrl("Patient", [new("identifier", FhirSystems.NhsNumber + "|" + nhs)]));
        try
        {
            // Another patient's NHS number is refused by the read path (and the refusal audited);
            // here it answers as an unknown patient does: an empty searchset.
            var view = Unsealed(await records.GetPatientRecordAsync(token,
                new GetPatientRecordRequest { NhsNumber = nhs!, Categories = { RecordCategory.Demographics } }, FhirCallContext.For(http)));
            Audited(http, view.AuditEventId);
            if (view.Patient is not null)
            {
                bundle.Add(PatientMapper.Map(view.Patient, Mapping(token), view.ContactDetailsWithheld));
                return bundle.Withheld(false, view.ContactDetailsWithheld).Build(1);
            }
        }
        catch (PermissionDeniedException e) when (e.Reason == "PATIENT_MISMATCH")
        {
        }

        return bundle.Build(0);
    }

    /// <summary><c>GET {type}?patient={id}&amp;...</c>: one page of one category of the token's patient's record.</summary>
    public async Task<R4.Resource> SearchAsync(HttpContext http, string type)
    {
        var token = await authentication.AuthenticateAsync(http);
        var search = FhirSearch.Parse(type, http.Request.Query);
        var bundle = new FhirBundles(BaseUrl(http), clock.GetUtcNow());
        var self = bundle.SearchUrl(type, search.PageToken.Length == 0 ? search.Query
            : search.Query.Append(new(FhirSearch.PageTokenParameter, search.PageToken)));
        bundle.Link("self", self);
        if (!string.Equals(search.PatientId, FhirValues.PatientId(token.NhsNumber), StringComparison.Ordinal))
        {
            return bundle.Build(0); // another patient's id answers as an unknown one: nothing
        }

        var page = await records.ListRecordEntriesAsync(token, new ListRecordEntriesRequest
        {
            NhsNumber = token.NhsNumber,
            Category = search.Category,
            Statuses = { search.Statuses },
            ClinicalPeriod = search.Period,
            PageSize = search.PageSize,
            PageToken = search.PageToken,
        }, FhirCallContext.For(http));
        Audited(http, page.AuditEventId);

        var mapping = Mapping(token);
        var matches = 0;
        if (type == "DiagnosticReport")
        {
            // Reports group the page's results; the results themselves come along as includes,
            // so what is returned is exactly what the read path audited.
            foreach (var report in DiagnosticReportMapper.Map(page.Entries, mapping))
            {
                bundle.Add(report);
                matches++;
            }

            foreach (var entry in page.Entries)
            {
                bundle.Add(EntryMapper.Map(entry, mapping)!, R4.Bundle.SearchEntryMode.Include);
            }
        }
        else
        {
            foreach (var entry in page.Entries)
            {
                bundle.Add(EntryMapper.Map(entry, mapping, contentUrl: ContentUrl(http, entry))!);
                matches++;
            }
        }

        bundle.Withheld(page.PatientRestrictionsApply).AlertDetailsWithheld(page.AlertDetailsWithheld && page.Entries.Count > 0);
        if (page.NextPageToken.Length > 0)
        {
            bundle.Link("next", bundle.SearchUrl(type, search.Query.Append(new(FhirSearch.PageTokenParameter, page.NextPageToken))));
        }

        // The total is known only when this one page is the whole result; it never counts withheld entries.
        return bundle.Build(page.NextPageToken.Length == 0 && search.PageToken.Length == 0 ? matches : null);
    }

    /// <summary>Reads one <c>$everything</c> page may make before it hands the rest to its next link.</summary>
    private const int MaxReadsPerEverythingPage = 12;

    /// <summary>The clinical categories <c>$everything</c> walks, in the order its pages give them: risks and alerts (Flags) first.</summary>
    private static readonly RecordCategory[] EverythingCategories =
    [
        RecordCategory.RisksAndAlerts, RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.TestResults, RecordCategory.Documents,
    ];

    /// <summary>
    /// <c>GET Patient/{id}/$everything</c>: the whole record the caller may see, paged. The first
    /// page starts with the Patient; then every entry (every status) of each clinical category the
    /// role may see, category after category, <c>_count</c> entries a page (default and most 100),
    /// the <c>next</c> link carrying where to go on. Each page is read through the same read path
    /// as the searches (one ListRecordEntries per category it touches, each audited with exactly
    /// what it returned; their event ids in <see cref="AuditEventHeader"/>), so nothing is returned
    /// that was not audited, and withheld entries are neither returned nor counted.
    /// </summary>
    public async Task<R4.Resource> EverythingAsync(HttpContext http, string id)
    {
        var token = await authentication.AuthenticateAsync(http);
        Only(http, ["_count", FhirSearch.PageTokenParameter, .. FormatOnly]);
        RequireOwnPatient(token, id);
        var count = FhirSearch.ParseCount(http.Request.Query["_count"]);
        var categories = EverythingCategories.Where(token.Allows).ToList();
        var page = EverythingPageToken.Parse(http.Request.Query[FhirSearch.PageTokenParameter], Math.Max(1, categories.Count));
        var first = http.Request.Query[FhirSearch.PageTokenParameter].Count == 0;
        var mapping = Mapping(token);
        var self = $"{BaseUrl(http)}/Patient/{mapping.PatientId}/$everything";
        var bundle = new FhirBundles(BaseUrl(http), clock.GetUtcNow());
        var audited = new List<string>();
        var (restricted, contactWithheld, kindOnly, matches) = (false, false, false, 0);

        if (first)
        {
            var view = Unsealed(await records.GetPatientRecordAsync(token,
                new GetPatientRecordRequest { NhsNumber = token.NhsNumber, Categories = { RecordCategory.Demographics } }, FhirCallContext.For(http)));
            audited.Add(view.AuditEventId);
            (restricted, contactWithheld) = (view.PatientRestrictionsApply, view.ContactDetailsWithheld);
            if (view.Patient is not null)
            {
                bundle.Add(PatientMapper.Map(view.Patient, mapping, view.ContactDetailsWithheld));
                matches++;
            }
        }

        EverythingPageToken? next = null;
        var (index, inner, room, calls) = (page.CategoryIndex, page.Inner, count, 0);
        while (index < categories.Count && room > 0 && calls++ < MaxReadsPerEverythingPage)
        {
            var entries = await records.ListRecordEntriesAsync(token, new ListRecordEntriesRequest
            {
                NhsNumber = token.NhsNumber, Category = categories[index], PageSize = room, PageToken = inner,
            }, FhirCallContext.For(http));
            audited.Add(entries.AuditEventId);
            restricted |= entries.PatientRestrictionsApply;
            kindOnly |= entries.AlertDetailsWithheld && entries.Entries.Count > 0;
            foreach (var entry in entries.Entries)
            {
                bundle.Add(EntryMapper.Map(entry, mapping, contentUrl: ContentUrl(http, entry))!);
            }

            if (categories[index] == RecordCategory.TestResults)
            {
                foreach (var report in DiagnosticReportMapper.Map(entries.Entries, mapping))
                {
                    bundle.Add(report);
                }
            }

            matches += entries.Entries.Count;
            room -= entries.Entries.Count;
            (index, inner) = entries.NextPageToken.Length > 0 ? (index, entries.NextPageToken) : (index + 1, string.Empty);
        }

        if (index < categories.Count)
        {
            next = new EverythingPageToken(index, inner);
        }

        Audited(http, string.Join(',', audited));
        bundle.Link("self", first ? self : $"{self}?{FhirSearch.PageTokenParameter}={page.Encode()}");
        if (next is not null)
        {
            bundle.Link("next", $"{self}?_count={count.ToString(System.Globalization.CultureInfo.InvariantCulture)}&{FhirSearch.PageTokenParameter}={next.Encode()}");
        }

        // The total is known only when this one page is the whole visible record.
        return bundle.Withheld(restricted, contactWithheld).AlertDetailsWithheld(kindOnly).Build(first && next is null ? matches : null);
    }

    /// <summary>
    /// <c>GET Flag/{id}</c>: one current entry of the type's category by its platform id, through
    /// GetRecordEntry's core (consent, role, kind-only alerts, audit). An id of another category,
    /// withheld, retracted or absent is answered alike: 404.
    /// </summary>
    public async Task<R4.Resource> ReadEntryAsync(HttpContext http, string type, string id)
    {
        var token = await authentication.AuthenticateAsync(http);
        Only(http, FormatOnly);
        if (!Guid.TryParse(id, out _))
        {
            throw new NotFoundException("resource"); // not an entry id: answered as any absent id is
        }

        var read = await records.GetRecordEntryAsync(token, new GetRecordEntryRequest { NhsNumber = token.NhsNumber, EntryId = id },
            FhirCallContext.For(http), FhirSearch.ReadableTypes[type]);
        Audited(http, read.AuditEventId);
        return EntryMapper.Map(read.Entry, Mapping(token)) ?? throw new NotFoundException("resource");
    }

    /// <summary><c>GET Binary/{id}</c>: a current document's content (the DocumentReference's attachment.url).</summary>
    public async Task<R4.Resource> ReadBinaryAsync(HttpContext http, string id)
    {
        var token = await authentication.AuthenticateAsync(http);
        Only(http, FormatOnly);
        if (!Guid.TryParse(id, out _))
        {
            throw new NotFoundException("binary"); // not an entry id: answered as any absent id is
        }

        var content = await records.GetDocumentContentAsync(token,
            new V1.GetDocumentContentRequest { NhsNumber = token.NhsNumber, EntryId = id }, FhirCallContext.For(http));
        Audited(http, content.AuditEventId);
        return new R4.Binary
        {
            Id = id,
            Meta = Mapping(token).Meta(content.EntryVersion, null),
            ContentType = content.Content.ContentType is { Length: > 0 } t ? t : "application/octet-stream",
            Data = DocumentReferenceMapper.Bytes(content.Content),
        };
    }

    /// <summary>
    /// A sealed record's notice becomes the refusal the other FHIR interactions give (403,
    /// RECORD_SEALED, the notice's words): FHIR has no "banner" answer for a read. The refusal is
    /// already audited by the read path.
    /// </summary>
    private static GetPatientRecordResponse Unsealed(GetPatientRecordResponse view) => view.SealedNotice is { } notice
        ? throw new PermissionDeniedException(SealedRecordRule.Reason, notice.Message)
        : view;

    private static void Audited(HttpContext http, string auditEventId) => http.Response.Headers[AuditEventHeader] = auditEventId;

    private FhirMappingContext Mapping(VerifiedAccessToken token) => FhirMappingContext.ForApi(token.NhsNumber, clock.GetUtcNow());

    /// <summary>The API's base URL: configured (Gateway:Fhir:BaseUrl) behind a proxy, else this request's.</summary>
    public string BaseUrl(HttpContext http) =>
        configuration["Gateway:Fhir:BaseUrl"]?.TrimEnd('/') ?? $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/fhir";

    private string? ContentUrl(HttpContext http, Entry entry) =>
        entry.DetailCase == Entry.DetailOneofCase.Document ? $"{BaseUrl(http)}/Binary/{entry.Id}" : null;

    /// <summary>A read names the token's patient, or it is answered as an unknown id is.</summary>
    private static void RequireOwnPatient(VerifiedAccessToken token, string id)
    {
        if (!string.Equals(id, FhirValues.PatientId(token.NhsNumber), StringComparison.Ordinal))
        {
            throw new NotFoundException("patient");
        }
    }

    /// <summary>Refuses any parameter outside <paramref name="allowed"/> (named, never quoted) and a non-JSON _format.</summary>
    private static void Only(HttpContext http, string[] allowed)
    {
        var v = new FieldViolations();
        foreach (var (name, values) in http.Request.Query)
        {
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                v.Add(FhirSearch.Unsupported(name), "is not supported by this interaction (see the CapabilityStatement)");
            }
            else if (name == "_format" && values.Any(x => !string.IsNullOrEmpty(x) && !FhirFormat.IsJson(x!)))
            {
                v.Add(name, "this server answers in JSON only (application/fhir+json)");
            }
        }

        v.ThrowIfAny();
    }
}
