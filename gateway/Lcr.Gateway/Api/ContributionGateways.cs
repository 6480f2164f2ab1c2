using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Api;

/// <summary>
/// Clinical contributions from system clients with <c>record.contribute</c>. The source
/// organisation is always the token's organisation: a feed cannot contribute in another
/// organisation's name. Every change is audited as a CONTRIBUTION event per patient naming
/// the entries written, committed before the reply. Known gap: if the write commits and the
/// audit commit then fails, the feed is told UNAVAILABLE and its retry is answered UNCHANGED,
/// which records no event; the contribution stays attributable through the clinical
/// record's own version history (actor, organisation and time of every version), see
/// docs/services/audit.md "Known limits". Record reads are not exposed here: they go through
/// GatewayService, where consent and audit are enforced.
/// </summary>
[AuthenticatedCaller]
public sealed class ClinicalGateway(CallerAuthenticator auth, Downstream.Downstream downstream, AuditTrail audit) : ClinicalRecordService.ClinicalRecordServiceBase
{
    [SystemScope(Scopes.RecordContribute)]
    public override async Task<UpsertEntriesResponse> UpsertEntries(UpsertEntriesRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.RecordContribute);
        if (!string.IsNullOrEmpty(request.SourceOrganisationOdsCode) &&
            !string.Equals(request.SourceOrganisationOdsCode, system.OrganisationOdsCode, StringComparison.OrdinalIgnoreCase))
        {
            throw new PermissionDeniedException("SOURCE_ORGANISATION_MISMATCH",
                "A system may contribute only for its own organisation (source_organisation_ods_code must be the token's).");
        }

        var forwarded = request.Clone();
        forwarded.SourceOrganisationOdsCode = system.OrganisationOdsCode;
        var actor = system.ToActor();
        var response = await downstream.CallAsync(ServiceNames.Clinical,
            () => downstream.Clinical.UpsertEntriesAsync(forwarded, downstream.Options(context, actor)), context.CancellationToken);

        // One event per patient whose record changed, naming the entries written (unchanged re-sends change nothing).
        var events = new List<AuditEvent>();
        var results = response.Results.GroupBy(r => r.SourceEntryId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var changed = forwarded.Entries
            .Select(c => (c.Entry, Result: c.Entry?.Provenance is { } p ? results.GetValueOrDefault(p.SourceEntryId) : null))
            .Where(x => x.Entry is not null && x.Result?.Outcome is UpsertOutcome.Created or UpsertOutcome.Updated)
            .GroupBy(x => x.Entry.NhsNumber, StringComparer.Ordinal);
        foreach (var patient in changed)
        {
            var e = audit.For(actor, patient.Key, AuditAction.Contribution, PurposeOfUse.RecordContribution);
            e.ReturnedCategories.AddRange(patient.Select(x => x.Entry.Category).Distinct().Order());
            e.ReturnedEntryIds.AddRange(patient.Select(x => x.Result!.EntryId).Distinct().Take(1000));
            events.Add(e);
        }

        foreach (var chunk in events.Chunk(100))
        {
            await audit.CommitAsync(chunk, context);
        }

        return response;
    }

    [SystemScope(Scopes.RecordContribute)]
    public override async Task<RetractEntryResponse> RetractEntry(RetractEntryRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.RecordContribute);
        var actor = system.ToActor();
        var response = await downstream.CallAsync(ServiceNames.Clinical,
            () => downstream.Clinical.RetractEntryAsync(request, downstream.Options(context, actor)), context.CancellationToken);
        var e = audit.For(actor, request.NhsNumber, AuditAction.Contribution, PurposeOfUse.RecordContribution);
        if (response.Entry is { } entry)
        {
            e.ReturnedCategories.Add(entry.Category);
            e.ReturnedEntryIds.Add(entry.Id);
        }

        await audit.CommitAsync(e, context);
        return response;
    }

    private static PermissionDeniedException ReadHere() =>
        new("USE_GATEWAY_SERVICE", "Record reads go through lcr.gateway.v1.GatewayService, which enforces consent and audit.");

    public override Task<GetRecordSummaryResponse> GetRecordSummary(GetRecordSummaryRequest request, ServerCallContext context) => throw ReadHere();
    public override Task<ListEntriesResponse> ListEntries(ListEntriesRequest request, ServerCallContext context) => throw ReadHere();
    public override Task<GetEntryResponse> GetEntry(GetEntryRequest request, ServerCallContext context) => throw ReadHere();
    public override Task<Clinical.V1.GetDocumentContentResponse> GetDocumentContent(Clinical.V1.GetDocumentContentRequest request, ServerCallContext context) => throw ReadHere();
    public override Task<ListEntryHistoryResponse> ListEntryHistory(ListEntryHistoryRequest request, ServerCallContext context) => throw ReadHere();
}

/// <summary>
/// Demographics at the front door: registration and PDS feeds write with
/// <c>demographics.write</c>; signed-in professionals trace patients with SearchPatients, each
/// returned patient audited as a search and restricted patients' location withheld. A single
/// patient's demographics are read with GatewayService.GetPatientRecord.
/// </summary>
[AuthenticatedCaller]
public sealed class DemographicsGateway(CallerAuthenticator auth, GovernancePolicy policy, Downstream.Downstream downstream, AuditTrail audit)
    : DemographicsService.DemographicsServiceBase
{
    /// <summary>
    /// A system changing a patient's details must be of an organisation linked to the patient
    /// (docs/architecture.md, "Where trust stops"); a malformed NHS number is left to
    /// demographics, which names the field.
    /// </summary>
    private async Task<Actor> LinkedWriterAsync(ServerCallContext context, string nhsNumber)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.DemographicsWrite);
        var actor = system.ToActor();
        if (NhsNumber.IsValid(nhsNumber))
        {
            await policy.RequireLinkedAsync(system.OrganisationOdsCode,
                policy.Attempt(actor, nhsNumber, Scopes.DemographicsWrite, PurposeOfUse.RecordContribution), context);
        }

        return actor;
    }

    [SystemScope(Scopes.DemographicsWrite)]
    public override async Task<CreatePatientResponse> CreatePatient(CreatePatientRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.DemographicsWrite);
        return await downstream.CallAsync(ServiceNames.Demographics,
            () => downstream.Demographics.CreatePatientAsync(request, downstream.Options(context, system.ToActor())), context.CancellationToken);
    }

    [SystemScope(Scopes.DemographicsWrite)]
    public override async Task<UpdatePatientResponse> UpdatePatient(UpdatePatientRequest request, ServerCallContext context)
    {
        var actor = await LinkedWriterAsync(context, request.Patient?.NhsNumber ?? string.Empty);
        return await downstream.CallAsync(ServiceNames.Demographics,
            () => downstream.Demographics.UpdatePatientAsync(request, downstream.Options(context, actor)), context.CancellationToken);
    }

    [SystemScope(Scopes.DemographicsWrite)]
    public override async Task<UpdateContactDetailsResponse> UpdateContactDetails(UpdateContactDetailsRequest request, ServerCallContext context)
    {
        var actor = await LinkedWriterAsync(context, request.NhsNumber);
        return await downstream.CallAsync(ServiceNames.Demographics,
            () => downstream.Demographics.UpdateContactDetailsAsync(request, downstream.Options(context, actor)), context.CancellationToken);
    }

    /// <summary>
    /// A trace. A session names no organisation relationship, so each found patient's seal is read
    /// from consent (GetConsent, internally as the platform, in parallel; consent caches): a sealed
    /// patient whose seal does not name the professional is left out of <c>patients</c>, listed in
    /// <c>sealed_nhs_numbers</c>, and audited as a SEARCH denied RECORD_SEALED with nothing returned.
    /// A seal naming only teams does not admit a search (a session rests on no team): such a viewer
    /// reads the record with an access token resting on the team's relationship.
    /// </summary>
    [SessionCaller]
    public override async Task<SearchPatientsResponse> SearchPatients(SearchPatientsRequest request, ServerCallContext context)
    {
        var professional = await auth.RequireSessionAsync(context);
        var found = await downstream.CallAsync(ServiceNames.Demographics,
            () => downstream.Demographics.SearchPatientsAsync(request, downstream.Options(context, professional)), context.CancellationToken);
        var seals = await Task.WhenAll(found.Patients.Select(p => SealOfAsync(p.NhsNumber, context)));
        var response = new SearchPatientsResponse { NextPageToken = found.NextPageToken };
        var events = new List<AuditEvent>();
        for (var i = 0; i < found.Patients.Count; i++)
        {
            var p = found.Patients[i];
            var e = audit.For(professional, p.NhsNumber, AuditAction.Search, PurposeOfUse.DirectCare);
            if (seals[i] is { } seal && !SealedRecordRule.NamesProfessional(seal, professional.Id))
            {
                response.SealedNhsNumbers.Add(p.NhsNumber);
                e.Outcome = AuditOutcome.Denied;
                e.DenialReason = AuditDenialReason.RecordSealed;
                e.SealedRecord = new SealedRecordAccess { ViewerNamed = false };
                events.Add(e);
                continue;
            }

            if (seals[i] is not null)
            {
                e.SealedRecord = new SealedRecordAccess { ViewerNamed = true };
            }

            response.Patients.Add(RecordFilter.Demographics(p, out _));
            e.ReturnedCategories.Add(RecordCategory.Demographics);
            events.Add(e);
        }

        await audit.CommitAsync(events, context);

        return response;
    }

    /// <summary>The patient's seal, or null when the record is not sealed.</summary>
    private async Task<Consent.V1.Seal?> SealOfAsync(string nhsNumber, ServerCallContext context) =>
        (await downstream.CallAsync(ServiceNames.Consent,
            () => downstream.Consent.GetConsentAsync(new Consent.V1.GetConsentRequest { NhsNumber = nhsNumber }, downstream.Options(context, PlatformActor.Gateway)),
            context.CancellationToken)).Consent?.Seal;

    public override Task<GetPatientResponse> GetPatient(GetPatientRequest request, ServerCallContext context) =>
        throw new PermissionDeniedException("USE_GATEWAY_SERVICE", "Read a patient with lcr.gateway.v1.GatewayService.GetPatientRecord.");

    public override Task<ListPatientHistoryResponse> ListPatientHistory(ListPatientHistoryRequest request, ServerCallContext context) =>
        throw new PermissionDeniedException("USE_GATEWAY_SERVICE", "Demographic history is not exposed outside the platform.");
}
