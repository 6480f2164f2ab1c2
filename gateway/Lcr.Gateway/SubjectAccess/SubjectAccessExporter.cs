using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Patients;
using Lcr.Gateway.Records;
using Lcr.Gateway.V1;
using Lcr.ServiceDefaults;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// A subject access export, in order: validate; verify the access token and apply
/// <see cref="SubjectAccessPolicy"/> (refusals audited); collect the index of what will be
/// exported (every entry in scope with all its versions, metadata only, and the demographics
/// as held); commit the audit event listing exactly those entries (fail closed: no commit, no
/// data); read the patient's access log (which now includes this export; left out, and said to
/// be withheld, while an IG officer holds it for enhanced review) and build the FHIR
/// Bundle without document contents (<see cref="PrepareAsync"/>). Then
/// <see cref="WriteBundleAsync"/> writes the Bundle's JSON as it goes, fetching each current
/// document's content only when its DocumentReference is written. The number is resolved after
/// the policy check: a superseded number is refused with the pointer (audited); a number others
/// were merged into exports their entries and access log too (each keeping its own number).
/// </summary>
public sealed partial class SubjectAccessExporter(
    CallerAuthenticator authenticator,
    IOptions<GovernanceOptions> governance,
    IOptions<SubjectAccessOptions> options,
    Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient demographics, Lcr.Clinical.V1.ClinicalRecordService.ClinicalRecordServiceClient clinical, Lcr.Audit.V1.AuditService.AuditServiceClient auditService, Lcr.Consent.V1.ConsentService.ConsentServiceClient consent,
    AuditTrail audit,
    PatientResolver patients,
    TimeProvider clock,
    ILogger<SubjectAccessExporter> logger)
{
    public const string ContentType = "application/fhir+json; fhirVersion=4.0";

    /// <summary>Largest page the clinical and audit services serve.</summary>
    private const int EntryPageSize = 200;
    private const int AuditPageSize = 500;

    /// <summary>Entries whose history is fetched at once.</summary>
    private const int Concurrency = 4;

    private static readonly Regex OdsCode = new("^[A-Za-z0-9]{3,12}$", RegexOptions.CultureInvariant);

    /// <summary>The SDK's own System.Text.Json serializer for R4 (never hand-written JSON).</summary>
    public static readonly JsonSerializerOptions Json = new JsonSerializerOptions().ForFhir(R4.ModelInfo.ModelInspector).Pretty();

    public async Task<SubjectAccessExport> PrepareAsync(ExportSubjectAccessRequest request, ServerCallContext context)
    {
        var token = await authenticator.RequireAccessAsync(context); // authenticated before any field is looked at
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        string? ods = null;
        switch (request.ScopeCase)
        {
            case ExportSubjectAccessRequest.ScopeOneofCase.OrganisationOdsCode:
                if (v.Check(OdsCode.IsMatch(request.OrganisationOdsCode), "organisation_ods_code", "must be an ODS code: 3 to 12 letters and digits"))
                {
                    ods = request.OrganisationOdsCode.ToUpperInvariant();
                }

                break;
            case ExportSubjectAccessRequest.ScopeOneofCase.WholeRecord:
                v.Check(request.WholeRecord, "whole_record", "must be true when set; or give organisation_ods_code");
                break;
            default:
                v.Add("organisation_ods_code", "is required: the contributing organisation's ODS code, or set whole_record");
                break;
        }

        v.ThrowIfAny();

        var e = audit.For(token, request.NhsNumber, AuditAction.SubjectAccessExport);
        if (SubjectAccessPolicy.Check(token, request.NhsNumber, ods, governance.Value, options.Value) is { } refusal)
        {
            throw await audit.DenyAsync(e, refusal.AuditReason, new PermissionDeniedException(refusal.Reason, refusal.Message), context);
        }

        var resolved = await patients.ResolveAsync(request.NhsNumber, context);
        await patients.RefuseIfSupersededAsync(resolved, e, context); // subject access continues after death
        var actor = token.ToActor();
        var patientTask = GetPatientOrNullAsync(request.NhsNumber, actor, context);
        var reviewTask = AccessLogReviews.IsUnderReviewAsync(consent, request.NhsNumber, context);
        var entries = await CollectEntriesAsync(resolved, ods, actor, context);
        var patient = await patientTask;
        var logWithheld = await reviewTask;

        // The index is complete before anything is sent, so the event names every entry the
        // stream will carry; document contents are fetched later, while the Bundle is written.
        e.ReturnedCategories.AddRange(entries.Select(x => x.Current.Category)
            .Concat(patient is null ? [] : [RecordCategory.Demographics]).Distinct().Order());
        e.ReturnedEntryIds.AddRange(entries.Select(x => x.Current.Id));
        await audit.CommitAsync(e, context);

        // While an IG officer holds the access log for enhanced review it is left out, and the Bundle says so.
        var log = logWithheld ? [] : await CollectAccessLogAsync(resolved, actor, context);
        var data = new SubjectAccessData(Guid.CreateVersion7().ToString(), clock.GetUtcNow(), request.NhsNumber, ods, patient, entries, log)
        {
            AccessLogWithheld = logWithheld,
        };
        var bundle = FhirBundleBuilder.Build(data);

        var header = new SubjectAccessExportHeader
        {
            AuditEventId = e.EventId,
            BundleId = data.BundleId,
            ContentType = ContentType,
            CreateTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(data.CreatedAt),
            OrganisationOdsCode = ods ?? string.Empty,
            EntryCount = entries.Count,
            EntryVersionCount = entries.Sum(x => x.Versions.Count),
        };
        header.ResourceCounts.AddRange(bundle.Entry.GroupBy(x => x.Resource!.TypeName).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new SubjectAccessResourceCount { ResourceType = g.Key, Count = g.Count() }));
        return new SubjectAccessExport(header, bundle, request.NhsNumber, actor, log.Count) { MergedNhsNumbers = resolved.MergedNhsNumbers };
    }

    /// <summary>
    /// Writes the prepared Bundle's UTF-8 JSON to <paramref name="output"/> entry by entry,
    /// fetching each current document's content (one at a time) as its DocumentReference is
    /// written and dropping it straight after.
    /// </summary>
    public async Task WriteBundleAsync(SubjectAccessExport export, BundleChunkStream output, ServerCallContext context)
    {
        await SubjectAccessBundleWriter.WriteAsync(export.Bundle, output,
            (entryId, _) => GetDocumentContentAsync(export.NhsNumber, export.MergedNhsNumbers, entryId, export.Actor, context), context.CancellationToken);
        LogExported(logger, export.Header.AuditEventId, export.Header.OrganisationOdsCode.Length == 0 ? "whole-record" : "organisation",
            export.Header.EntryCount, export.Header.EntryVersionCount, export.AccessLogEvents, output.BytesWritten);
    }

    private async Task<DocumentContent> GetDocumentContentAsync(string nhsNumber, IReadOnlyList<string> merged, string entryId, Actor actor,
        ServerCallContext context)
    {
        var request = new Clinical.V1.GetDocumentContentRequest { NhsNumber = nhsNumber, EntryId = entryId, MergedNhsNumbers = { merged } };
        return (await clinical.GetDocumentContentAsync(request, DownstreamCalls.As(actor, context))).Content;
    }

    /// <summary>Every entry in scope, retracted ones included, each with every version (metadata only).</summary>
    private async Task<IReadOnlyList<EntryWithHistory>> CollectEntriesAsync(PatientResolution patient, string? ods, Actor actor, ServerCallContext context)
    {
        var nhsNumber = patient.CurrentNhsNumber;
        var current = new List<Entry>();
        var pageToken = string.Empty;
        do
        {
            var list = new ListEntriesRequest
            {
                NhsNumber = nhsNumber,
                IncludeSensitive = true,
                IncludeEnteredInError = true,
                PageSize = EntryPageSize,
                PageToken = pageToken,
                MergedNhsNumbers = { patient.MergedNhsNumbers },
            };
            if (ods is not null)
            {
                list.SourceOrganisationOdsCodes.Add(ods);
            }

            var page = await clinical.ListEntriesAsync(list, DownstreamCalls.As(actor, context));
            // Defence in depth: nothing of another organisation leaves in an organisation's export.
            current.AddRange(page.Entries.Where(x => patient.Includes(x.NhsNumber) &&
                (ods is null || string.Equals(x.Provenance?.SourceOrganisation?.OdsCode, ods, StringComparison.OrdinalIgnoreCase))));
            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);

        var results = new EntryWithHistory[current.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, current.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = context.CancellationToken },
            async (i, _) => results[i] = await CollectHistoryAsync(current[i], actor, context));
        return results;
    }

    private async Task<EntryWithHistory> CollectHistoryAsync(Entry entry, Actor actor, ServerCallContext context)
    {
        var versions = new List<Entry>();
        var pageToken = string.Empty;
        do
        {
            var request = new ListEntryHistoryRequest { NhsNumber = entry.NhsNumber, EntryId = entry.Id, PageSize = EntryPageSize, PageToken = pageToken };
            var page = await clinical.ListEntryHistoryAsync(request, DownstreamCalls.As(actor, context));
            versions.AddRange(page.Versions);
            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);

        if (versions.All(x => x.Version != entry.Version))
        {
            versions.Insert(0, entry);
        }

        return new EntryWithHistory(entry, versions);
    }

    private async Task<Patient?> GetPatientOrNullAsync(string nhsNumber, Actor actor, ServerCallContext context)
    {
        try
        {
            return (await demographics.GetPatientAsync(new GetPatientRequest { NhsNumber = nhsNumber }, DownstreamCalls.As(actor, context))).Patient;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The patient's whole audit trail (every action and outcome), newest first.</summary>
    private async Task<IReadOnlyList<AuditEvent>> CollectAccessLogAsync(PatientResolution patient, Actor actor, ServerCallContext context)
    {
        var nhsNumber = patient.CurrentNhsNumber;
        var events = new List<AuditEvent>();
        var pageToken = string.Empty;
        do
        {
            var request = new ListEventsByPatientRequest
            {
                NhsNumber = nhsNumber, PageSize = AuditPageSize, PageToken = pageToken, MergedNhsNumbers = { patient.MergedNhsNumbers },
            };
            var page = await auditService.ListEventsByPatientAsync(request, DownstreamCalls.As(actor, context));
            events.AddRange(page.Events);
            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);

        return events;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Subject access export {AuditEventId} ({Scope}): {Entries} entries, {Versions} versions, {Events} access log events, {Bytes} bytes streamed")]
    private static partial void LogExported(ILogger logger, string auditEventId, string scope, int entries, int versions, int events, long bytes);
}
