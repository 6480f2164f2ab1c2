using System.Diagnostics;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Patients;
using Lcr.Gateway.Telemetry;
using Lcr.Gateway.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Records;

/// <summary>
/// The read path, in the design's order, for every record read:
/// 1. access token verified locally; 2. token patient = requested patient, role allows the
/// categories; 2a+3. the NHS number resolved with demographics (<see cref="PatientResolver"/>) IN
/// PARALLEL with consent for the number: a superseded number is refused with a pointer to the
/// current one (audited NHS_NUMBER_SUPERSEDED), direct and emergency care of a patient dead longer
/// than the configured period are refused PATIENT_DECEASED; a number others were merged into has
/// its consent evaluated again over the merged set (so the common, unmerged read adds no hop) and
/// every clinical call is given the merged numbers; 3. consent applied (opt-out, blocks refused;
/// withholdings filtered);
/// 3a. a sealed record (<see cref="SealedRecordRule"/>): read as usual by a viewer named on the seal
/// or breaking the glass with a sealed-record justification (flagged in audit); anyone else gets the
/// sealed notice only (GetPatientRecord) or RECORD_SEALED, audited as denied;
/// 4. summary and demographics fetched in parallel; 5. the audit event listing exactly what is
/// returned committed (else UNAVAILABLE, no data); 6. answer, then the view is handed to the
/// view-surge monitor (off the response path).
/// </summary>
public sealed class RecordReader(
    CallerAuthenticator authenticator,
    Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient demographics, Lcr.Consent.V1.ConsentService.ConsentServiceClient consent, Lcr.Clinical.V1.ClinicalRecordService.ClinicalRecordServiceClient clinical,
    AuditTrail audit,
    GatewayMetrics metrics,
    ViewSurgeMonitor surge,
    PatientResolver patients,
    ViewerContextSource viewers,
    ReadCache.VersionedAnswers answers,
    PatientVersionStore versions)
{
    private static readonly RecordCategory[] ClinicalCategories =
    [
        RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.TestResults, RecordCategory.Documents, RecordCategory.RisksAndAlerts,
    ];

    public async Task<GetPatientRecordResponse> GetPatientRecordAsync(GetPatientRecordRequest request, ServerCallContext context) =>
        await GetPatientRecordAsync(await authenticator.RequireAccessAsync(context), request, context); // step 1 before any field is looked at

    /// <summary>
    /// Steps 2-6 for a caller whose access token is already verified (step 1): the core every
    /// door calls (gRPC above, the FHIR API with its own bearer-token seam). The context gives
    /// the deadline, cancellation and peer (<see cref="Fhir.FhirCallContext"/> for HTTP).
    /// </summary>
    public async Task<GetPatientRecordResponse> GetPatientRecordAsync(VerifiedAccessToken token, GetPatientRecordRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        for (var i = 0; i < request.Categories.Count; i++)
        {
            v.RequireEnum(request.Categories[i], $"categories[{i}]");
        }

        v.ThrowIfAny();
        var e = audit.For(token, request.NhsNumber, AuditAction.ViewSummary);
        var categories = await AuthoriseCategoriesAsync(token, request.NhsNumber, request.Categories, e, context);
        var read = await BeginReadAsync(token, request.NhsNumber, categories, e, context, noticeWhenSealed: true);
        var (patient, scope, decision, seal) = (read.Patient, read.Scope, read.Decision, read.Seal);
        if (seal == SealedRecordAccessKind.Notice)
        {
            return await SealedNoticeAsync(token, e, context);
        }

        var wantsClinical = scope.Categories.Any(c => c != RecordCategory.Demographics);
        // One call however many entries the patient withholds: the clinical service applies every
        // exclusion to the summary's lists and counts. Kept under the record tag of this read's probe.
        var summaryRequest = RecordFilter.SummaryRequest(request.NhsNumber, scope, ClinicalCategories);
        summaryRequest.MergedNhsNumbers.AddRange(patient.MergedNhsNumbers);
        var summaryTask = wantsClinical
            ? answers.GetOrFetchAsync(PatientDataKind.Record, request.NhsNumber, summaryRequest, read.Probe,
                () => clinical.GetRecordSummaryAsync(summaryRequest, DownstreamCalls.As(token.ToActor(), context)).ResponseAsync)
            : Task.FromResult<GetRecordSummaryResponse?>(null)!;
        var patientTask = scope.Categories.Contains(RecordCategory.Demographics) ? read.Details : Task.FromResult<Patient?>(null);
        await Task.WhenAll(summaryTask, patientTask);

        var view = RecordFilter.Compose((await summaryTask)?.Summary, await patientTask, scope);
        view.EmergencyAccess = token.IsEmergency;
        view.SealedRecord = seal != SealedRecordAccessKind.NotSealed;
        view.MergedNhsNumbers.AddRange(patient.MergedNhsNumbers);
        view.Deceased = Notice(patient);
        e.ConsentVersion = decision.ConsentVersion;
        ReleasedContent.Describe(e, view);
        await audit.CommitAsync(e, context);
        view.AuditEventId = e.EventId;
        surge.Observe(token, request.NhsNumber, seal);
        Record(started, "summary");
        return view;
    }

    public async Task<ListRecordEntriesResponse> ListRecordEntriesAsync(ListRecordEntriesRequest request, ServerCallContext context) =>
        await ListRecordEntriesAsync(await authenticator.RequireAccessAsync(context), request, context); // step 1 before any field is looked at

    /// <summary>Steps 2-6 of a category listing for a verified access token (the core every door calls).</summary>
    public async Task<ListRecordEntriesResponse> ListRecordEntriesAsync(VerifiedAccessToken token, ListRecordEntriesRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        if (v.RequireEnum(request.Category, "category"))
        {
            v.Check(request.Category != RecordCategory.Demographics, "category", "demographics are read with GetPatientRecord");
        }

        for (var i = 0; i < request.Statuses.Count; i++)
        {
            v.RequireEnum(request.Statuses[i], $"statuses[{i}]");
        }

        v.Period(request.ClinicalPeriod, "clinical_period");
        Paging.ResolvePageSize(request.PageSize, v);
        v.ThrowIfAny();

        var e = audit.For(token, request.NhsNumber, AuditAction.ViewCategory);
        await AuthoriseCategoriesAsync(token, request.NhsNumber, [request.Category], e, context);
        var read = await BeginReadAsync(token, request.NhsNumber, [request.Category], e, context);
        var (patient, scope, decision, seal) = (read.Patient, read.Scope, read.Decision, read.Seal);

        var response = new ListRecordEntriesResponse
        {
            PatientRestrictionsApply = scope.RestrictionsApply, AlertDetailsWithheld = scope.AlertDetailsWithheld, Deceased = Notice(patient),
        };
        if (scope.Categories.Contains(request.Category))
        {
            var list = new ListEntriesRequest
            {
                NhsNumber = request.NhsNumber,
                Categories = { request.Category },
                Statuses = { request.Statuses },
                ClinicalPeriod = request.ClinicalPeriod,
                ExcludedSourceOrganisationOdsCodes = { scope.WithheldOrganisations },
                ExcludedEntryIds = { scope.WithheldEntryIds },
                IncludeSensitive = scope.SensitiveReleased,
                PageSize = request.PageSize,
                PageToken = request.PageToken,
                MergedNhsNumbers = { patient.MergedNhsNumbers },
            };
            var page = await answers.GetOrFetchAsync(PatientDataKind.Record, request.NhsNumber, list, read.Probe,
                () => clinical.ListEntriesAsync(list, DownstreamCalls.As(token.ToActor(), context)).ResponseAsync);
            // Defence in depth: the clinical service applied the exclusions; nothing passes without the scope's check.
            response.Entries.AddRange(scope.Release(page.Entries));
            response.NextPageToken = page.NextPageToken;
        }

        e.ConsentVersion = decision.ConsentVersion;
        ReleasedContent.Describe(e, response.Entries, alertDetailsWithheld: scope.AlertDetailsWithheld);
        await audit.CommitAsync(e, context);
        response.AuditEventId = e.EventId;
        surge.Observe(token, request.NhsNumber, seal);
        Record(started, "list");
        return response;
    }

    public async Task<GetRecordEntryResponse> GetRecordEntryAsync(GetRecordEntryRequest request, ServerCallContext context) =>
        await GetRecordEntryAsync(await authenticator.RequireAccessAsync(context), request, context); // step 1 before any field is looked at

    /// <summary>One entry for a verified access token (the core every door calls); <paramref name="only"/>: NOT_FOUND, unaudited, for another category.</summary>
    public async Task<GetRecordEntryResponse> GetRecordEntryAsync(VerifiedAccessToken token, GetRecordEntryRequest request, ServerCallContext context,
        RecordCategory? only = null)
    {
        var started = Stopwatch.GetTimestamp();
        var (entry, e, seal, patient) = await ReadEntryAsync(token, request.NhsNumber, request.EntryId, AuditAction.ViewEntry, context);
        if (only is { } category && entry.Category != category)
        {
            throw new NotFoundException("entry");
        }

        await audit.CommitAsync(e, context);
        surge.Observe(token, request.NhsNumber, seal);
        Record(started, "entry");
        return new GetRecordEntryResponse { Entry = entry, AuditEventId = e.EventId, AlertDetailsWithheld = e.AlertDetailsWithheld, Deceased = Notice(patient) };
    }

    public async Task<V1.GetDocumentContentResponse> GetDocumentContentAsync(V1.GetDocumentContentRequest request, ServerCallContext context) =>
        await GetDocumentContentAsync(await authenticator.RequireAccessAsync(context), request, context); // step 1 before any field is looked at

    /// <summary>A document's content for a verified access token (the core every door calls).</summary>
    public async Task<V1.GetDocumentContentResponse> GetDocumentContentAsync(VerifiedAccessToken token, V1.GetDocumentContentRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var (entry, e, seal, patient) = await ReadEntryAsync(token, request.NhsNumber, request.EntryId, AuditAction.ViewDocument, context);
        if (entry.Category != RecordCategory.Documents)
        {
            throw new FailedPreconditionException("NOT_A_DOCUMENT", "The entry is not a document; use GetRecordEntry.");
        }

        var content = await clinical.GetDocumentContentAsync(new Clinical.V1.GetDocumentContentRequest
            {
                NhsNumber = request.NhsNumber, EntryId = request.EntryId, MergedNhsNumbers = { patient.MergedNhsNumbers },
            },
                DownstreamCalls.As(token.ToActor(), context));
        await audit.CommitAsync(e, context);
        surge.Observe(token, request.NhsNumber, seal);
        Record(started, "document");
        return new V1.GetDocumentContentResponse
        {
            Content = content.Content, EntryVersion = content.EntryVersion, AuditEventId = e.EventId, Deceased = Notice(patient),
        };
    }

    /// <summary>Steps 2-3 for one entry, then the entry itself; NOT_FOUND for anything withheld, as for anything absent.</summary>
    private async Task<(Entry Entry, AuditEvent Event, SealedRecordAccessKind Seal, PatientResolution Patient)> ReadEntryAsync(VerifiedAccessToken token, string nhsNumber, string entryId, AuditAction action,
        ServerCallContext context)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(nhsNumber, v);
        v.RequireText(entryId, "entry_id", 100);
        v.ThrowIfAny();

        var e = audit.For(token, nhsNumber, action);
        var categories = await AuthoriseCategoriesAsync(token, nhsNumber, [], e, context);
        var read = await BeginReadAsync(token, nhsNumber, categories, e, context);
        var (patient, scope, decision, seal) = (read.Patient, read.Scope, read.Decision, read.Seal);
        var get = new GetEntryRequest { NhsNumber = nhsNumber, EntryId = entryId, MergedNhsNumbers = { patient.MergedNhsNumbers } };
        var entry = (await answers.GetOrFetchAsync(PatientDataKind.Record, nhsNumber, get, read.Probe,
            () => clinical.GetEntryAsync(get, DownstreamCalls.As(token.ToActor(), context)).ResponseAsync)).Entry;
        if (entry is null || !patient.Includes(entry.NhsNumber) || !scope.Allows(entry))
        {
            // Withheld, retracted, another patient's (not one merged into this one), or outside the role: indistinguishable from absent.
            throw new NotFoundException("entry");
        }

        e.ConsentVersion = decision.ConsentVersion;
        entry = scope.Release(entry);
        ReleasedContent.Describe(e, [entry], alertDetailsWithheld: scope.AlertDetailsWithheld);
        return (entry, e, seal, patient);
    }

    /// <summary>Step 2: the token's patient must be this patient, and its role must allow what is asked.</summary>
    private async Task<IReadOnlyList<RecordCategory>> AuthoriseCategoriesAsync(VerifiedAccessToken token, string nhsNumber,
        IReadOnlyCollection<RecordCategory> requested, AuditEvent e, ServerCallContext context)
    {
        if (!string.Equals(token.NhsNumber, nhsNumber, StringComparison.Ordinal))
        {
            throw await audit.DenyAsync(e, AuditDenialReason.PatientMismatch, new PermissionDeniedException("PATIENT_MISMATCH",
                "The access token was issued for a different patient; request a token for this patient."), context);
        }

        if (token.Purpose is not (PurposeOfUse.DirectCare or PurposeOfUse.EmergencyCare))
        {
            throw await audit.DenyAsync(e, AuditDenialReason.RoleNotPermitted, new PermissionDeniedException("PURPOSE_NOT_PERMITTED",
                "Record views need a direct-care or emergency-care access token."), context);
        }

        if (requested.Count == 0)
        {
            var all = token.AllowedCategories.Order().ToList();
            if (all.Count == 0)
            {
                throw await audit.DenyAsync(e, AuditDenialReason.RoleNotPermitted, new PermissionDeniedException("ROLE_NOT_PERMITTED",
                    "Your role does not allow viewing patient records."), context);
            }

            return all;
        }

        var refused = requested.Where(c => !token.Allows(c)).ToList();
        if (refused.Count > 0)
        {
            throw await audit.DenyAsync(e, AuditDenialReason.RoleNotPermitted, new PermissionDeniedException("ROLE_NOT_PERMITTED",
                $"Your role does not allow: {string.Join(", ", refused)}."), context);
        }

        return requested.Distinct().Order().ToList();
    }

    /// <summary>
    /// Steps 2a and 3: the number resolved (<see cref="PatientResolver"/>) while consent is evaluated
    /// for it, in parallel; a superseded number or ended direct care is refused (audited) whatever
    /// consent says; a merged record's consent is evaluated again over the merged set (the stricter
    /// wins). Opted out or a blocked viewer is refused; the rest is a scope. Then 3a, a seal: a viewer
    /// who may not see the sealed record is refused RECORD_SEALED (audited denied), or, with
    /// <paramref name="noticeWhenSealed"/>, told so by the caller with the notice.
    /// </summary>
    private async Task<PatientRead> BeginReadAsync(
        VerifiedAccessToken token, string nhsNumber, IReadOnlyCollection<RecordCategory> categories, AuditEvent e, ServerCallContext context,
        bool noticeWhenSealed = false)
    {
        // One round trip to the patient's version record, BEFORE anything is fetched: every answer
        // fetched below is kept under it, and every kept answer is reused only if it still matches.
        var probe = answers.Enabled ? await versions.ProbeAsync(nhsNumber, context.CancellationToken) : null;
        // The patient's details, once per read: for the view (demographics in scope) and for privacy
        // review's viewer comparison (started now, awaited when the event is committed).
        var details = categories.Contains(RecordCategory.Demographics) || viewers.Applies(e, token)
            ? GetPatientOrNullAsync(nhsNumber, token, context, probe)
            : Task.FromResult<Patient?>(null);
        viewers.Begin(e, token, details);
        var resolving = patients.ResolveAsync(nhsNumber, context, probe);
        var evaluating = EvaluateAsync(token, nhsNumber, categories, [], context, probe);
        try
        {
            await Task.WhenAll(resolving, evaluating);
        }
        catch (Exception) when (resolving.IsCompletedSuccessfully)
        {
            // Consent failed: the number's own rules (a pointer, a death) still answer first; consent's failure is rethrown below.
        }

        var patient = await resolving;
        await patients.RequireAccessibleAsync(patient, token.Purpose, e, context);
        // A merged record's answers depend on the other numbers' data too, which this probe did not
        // cover: evaluated again over the merged set, and nothing of it kept or reused.
        var decision = patient.Merged
            ? await EvaluateAsync(token, nhsNumber, categories, patient.MergedNhsNumbers, context, probe: null)
            : await evaluating;
        e.ConsentVersion = decision.ConsentVersion;
        if (decision.Decision != AccessDecision.Permit)
        {
            var (auditReason, reason, message) = decision.Reason switch
            {
                AccessDecisionReason.PatientOptedOut => (AuditDenialReason.PatientOptedOut, "PATIENT_OPTED_OUT",
                    "This patient has opted out of the shared care record; it cannot be viewed through it, including in an emergency."),
                AccessDecisionReason.ProfessionalBlocked => (AuditDenialReason.ProfessionalBlocked, "VIEWER_BLOCKED",
                    "This patient has asked that you do not see their shared care record."),
                AccessDecisionReason.OrganisationBlocked => (AuditDenialReason.OrganisationBlocked, "ORGANISATION_BLOCKED",
                    "This patient has asked that your organisation does not see their shared care record."),
                _ => (AuditDenialReason.Other, "CONSENT_DENIED", "The patient's consent does not allow this access."),
            };
            throw await audit.DenyAsync(e, auditReason, new PermissionDeniedException(reason, message), context);
        }

        var seal = SealedRecordRule.Decide(decision, token);
        e.SealedRecord = SealedRecordRule.AuditDetail(seal, token);
        if (seal == SealedRecordAccessKind.Notice && !noticeWhenSealed)
        {
            throw await audit.DenyAsync(e, AuditDenialReason.RecordSealed,
                new PermissionDeniedException(SealedRecordRule.Reason, SealedRecordRule.Message), context);
        }

        return new PatientRead(patient, new AccessScope(categories, decision, token.SensitiveRecordsWithheld, token.AlertDetailsWithheld), decision, seal,
            patient.Merged ? null : probe, details);
    }

    /// <summary>Consent's decision for this viewer and request: kept under the consent tag (the decision is a pure function of the patient's consent state and the request).</summary>
    private Task<EvaluateAccessResponse> EvaluateAsync(VerifiedAccessToken token, string nhsNumber, IReadOnlyCollection<RecordCategory> categories,
        IReadOnlyList<string> merged, ServerCallContext context, PatientVersionProbe? probe)
    {
        var request = new EvaluateAccessRequest
        {
            NhsNumber = nhsNumber,
            ViewerProfessionalId = token.ProfessionalId,
            ViewerOrganisationOdsCode = token.OrganisationOdsCode,
            ViewerRoleCode = token.RoleCode,
            RequestedCategories = { categories },
            Emergency = token.IsEmergency,
            ViewerTeamId = token.CareTeamId ?? string.Empty,
            MergedNhsNumbers = { merged },
        };
        return answers.GetOrFetchAsync(PatientDataKind.Consent, nhsNumber, request, probe,
            () => consent.EvaluateAccessAsync(request, DownstreamCalls.As(token.ToActor(), context)).ResponseAsync);
    }

    /// <summary>What steps 2a-3a established for a read, and the probe its fetches are kept under (null for a merged record).</summary>
    private sealed record PatientRead(PatientResolution Patient, AccessScope Scope, EvaluateAccessResponse Decision, SealedRecordAccessKind Seal,
        PatientVersionProbe? Probe, Task<Patient?> Details);


    /// <summary>The deceased notice every view of a deceased patient carries; null while alive.</summary>
    private static DeceasedNotice? Notice(PatientResolution patient) => patient.DeathDate is { } died ? DeceasedRule.Notice(died) : null;

    /// <summary>
    /// GetPatientRecord for a viewer who may not see the sealed record: the notice and nothing
    /// else (no demographics, counts, versions or audit id), given only once its denied event
    /// (RECORD_SEALED, <c>sealed_record { viewer_named: false }</c>) is committed.
    /// </summary>
    private async Task<GetPatientRecordResponse> SealedNoticeAsync(VerifiedAccessToken token, AuditEvent e, ServerCallContext context)
    {
        e.Outcome = AuditOutcome.Denied;
        e.DenialReason = AuditDenialReason.RecordSealed;
        e.ReturnedCategories.Clear();
        e.ReturnedEntryIds.Clear();
        metrics.Denials.Add(1, new KeyValuePair<string, object?>("reason", AuditDenialReason.RecordSealed.ToString()));
        await audit.CommitAsync(e, context);
        return new GetPatientRecordResponse { SealedNotice = SealedRecordRule.Notice(token) };
    }

    private async Task<Patient?> GetPatientOrNullAsync(string nhsNumber, VerifiedAccessToken token, ServerCallContext context, PatientVersionProbe? probe)
    {
        var request = new GetPatientRequest { NhsNumber = nhsNumber };
        try
        {
            return (await answers.GetOrFetchAsync(PatientDataKind.Demographics, nhsNumber, request, probe,
                () => demographics.GetPatientAsync(request, DownstreamCalls.As(token.ToActor(), context)).ResponseAsync)).Patient;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private void Record(long started, string kind)
    {
        metrics.Reads.Add(1, new KeyValuePair<string, object?>("kind", kind));
        metrics.ReadDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("kind", kind));
    }
}
