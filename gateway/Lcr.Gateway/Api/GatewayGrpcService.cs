using Grpc.Core;
using Lcr.Gateway.Records;
using Lcr.Gateway.V1;
using Lcr.Security;

namespace Lcr.Gateway.Api;

/// <summary>The record-read calls of the front door; the logic is in <see cref="RecordReader"/> and <see cref="AccessLogReader"/>.</summary>
[AccessTokenCaller]
public sealed class GatewayGrpcService(RecordReader records, AccessLogReader accessLog) : GatewayService.GatewayServiceBase
{
    public override Task<GetPatientRecordResponse> GetPatientRecord(GetPatientRecordRequest request, ServerCallContext context) =>
        records.GetPatientRecordAsync(request, context);

    public override Task<ListRecordEntriesResponse> ListRecordEntries(ListRecordEntriesRequest request, ServerCallContext context) =>
        records.ListRecordEntriesAsync(request, context);

    public override Task<GetRecordEntryResponse> GetRecordEntry(GetRecordEntryRequest request, ServerCallContext context) =>
        records.GetRecordEntryAsync(request, context);

    public override Task<GetDocumentContentResponse> GetDocumentContent(GetDocumentContentRequest request, ServerCallContext context) =>
        records.GetDocumentContentAsync(request, context);

    public override Task<GetAccessLogResponse> GetAccessLog(GetAccessLogRequest request, ServerCallContext context) =>
        accessLog.GetAccessLogAsync(request, context);
}
