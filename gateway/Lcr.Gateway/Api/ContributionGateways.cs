using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Api;

/// <summary>
/// Clinical contributions from system clients with <c>record.contribute</c>. The source
/// organisation is always the token's organisation: a feed cannot contribute in another
/// organisation's name. Record reads are not exposed here: they go through GatewayService,
/// where consent and audit are enforced.
/// </summary>
public sealed class ClinicalGateway(CallerAuthenticator auth, Downstream.Downstream downstream) : ClinicalRecordService.ClinicalRecordServiceBase
{
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
        return await downstream.CallAsync(ServiceNames.Clinical,
            () => downstream.Clinical.UpsertEntriesAsync(forwarded, downstream.Options(context, system.ToActor())), context.CancellationToken);
    }

    public override async Task<RetractEntryResponse> RetractEntry(RetractEntryRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.RecordContribute);
        return await downstream.CallAsync(ServiceNames.Clinical,
            () => downstream.Clinical.RetractEntryAsync(request, downstream.Options(context, system.ToActor())), context.CancellationToken);
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
public sealed class DemographicsGateway(CallerAuthenticator auth, Downstream.Downstream downstream, AuditTrail audit)
    : DemographicsService.DemographicsServiceBase
{
    public override async Task<CreatePatientResponse> CreatePatient(CreatePatientRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.DemographicsWrite);
        return await downstream.CallAsync(ServiceNames.Demographics,
            () => downstream.Demographics.CreatePatientAsync(request, downstream.Options(context, system.ToActor())), context.CancellationToken);
    }

    public override async Task<UpdatePatientResponse> UpdatePatient(UpdatePatientRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.DemographicsWrite);
        return await downstream.CallAsync(ServiceNames.Demographics,
            () => downstream.Demographics.UpdatePatientAsync(request, downstream.Options(context, system.ToActor())), context.CancellationToken);
    }

    public override async Task<UpdateContactDetailsResponse> UpdateContactDetails(UpdateContactDetailsRequest request, ServerCallContext context)
    {
        var system = await auth.RequireSystemAsync(context, Scopes.DemographicsWrite);
        return await downstream.CallAsync(ServiceNames.Demographics,
            () => downstream.Demographics.UpdateContactDetailsAsync(request, downstream.Options(context, system.ToActor())), context.CancellationToken);
    }

    public override async Task<SearchPatientsResponse> SearchPatients(SearchPatientsRequest request, ServerCallContext context)
    {
        var professional = await auth.RequireSessionAsync(context);
        var found = await downstream.CallAsync(ServiceNames.Demographics,
            () => downstream.Demographics.SearchPatientsAsync(request, downstream.Options(context, professional)), context.CancellationToken);
        var response = new SearchPatientsResponse { NextPageToken = found.NextPageToken };
        var events = new List<AuditEvent>();
        foreach (var p in found.Patients)
        {
            response.Patients.Add(RecordFilter.Demographics(p, out _));
            var e = audit.For(professional, p.NhsNumber, AuditAction.Search, PurposeOfUse.DirectCare);
            e.ReturnedCategories.Add(RecordCategory.Demographics);
            events.Add(e);
        }

        await audit.CommitAsync(events, context);

        return response;
    }

    public override Task<GetPatientResponse> GetPatient(GetPatientRequest request, ServerCallContext context) =>
        throw new PermissionDeniedException("USE_GATEWAY_SERVICE", "Read a patient with lcr.gateway.v1.GatewayService.GetPatientRecord.");

    public override Task<ListPatientHistoryResponse> ListPatientHistory(ListPatientHistoryRequest request, ServerCallContext context) =>
        throw new PermissionDeniedException("USE_GATEWAY_SERVICE", "Demographic history is not exposed outside the platform.");
}
