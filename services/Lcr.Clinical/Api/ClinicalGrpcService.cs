using Grpc.Core;
using Lcr.Clinical.Application;
using Lcr.Clinical.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Clinical.Api;

/// <summary>The gRPC face of the clinical record use cases: no logic, just translation.</summary>
[InternalCaller]
public sealed class ClinicalGrpcService(
    ContributionService contributions,
    SummaryService summaries,
    RecordReader reader) : ClinicalRecordService.ClinicalRecordServiceBase
{
    public override Task<UpsertEntriesResponse> UpsertEntries(UpsertEntriesRequest request, ServerCallContext context) =>
        contributions.UpsertAsync(request, CallerHeaders.RequireActor(context), context.CancellationToken);

    public override async Task<RetractEntryResponse> RetractEntry(RetractEntryRequest request, ServerCallContext context) =>
        new() { Entry = await contributions.RetractAsync(request, CallerHeaders.RequireActor(context), context.CancellationToken) };

    public override async Task<GetRecordSummaryResponse> GetRecordSummary(GetRecordSummaryRequest request, ServerCallContext context) =>
        new() { Summary = await summaries.GetAsync(request, context.CancellationToken) };

    public override Task<ListEntriesResponse> ListEntries(ListEntriesRequest request, ServerCallContext context) =>
        reader.ListAsync(request, context.CancellationToken);

    public override async Task<GetEntryResponse> GetEntry(GetEntryRequest request, ServerCallContext context) =>
        new() { Entry = await reader.GetAsync(request, context.CancellationToken) };

    public override Task<GetDocumentContentResponse> GetDocumentContent(GetDocumentContentRequest request, ServerCallContext context) =>
        reader.GetContentAsync(request, context.CancellationToken);

    public override Task<ListEntryHistoryResponse> ListEntryHistory(ListEntryHistoryRequest request, ServerCallContext context) =>
        reader.HistoryAsync(request, context.CancellationToken);
}
