using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Clinical.Tests;

/// <summary>Issue 17 section 3 in the clinical service: out-of-range timestamps in a list's clinical period.</summary>
public class BadInputTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    [Fact]
    public async Task An_out_of_range_clinical_period_is_invalid_argument_naming_the_field()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        foreach (var bad in new Timestamp[]
                 {
                     new() { Seconds = TimestampRange.MaxSeconds + 1 }, new() { Seconds = TimestampRange.MinSeconds - 1 },
                     new() { Seconds = 0, Nanos = -1 }, new() { Seconds = 0, Nanos = 1_000_000_000 },
                 })
        {
            await RpcAssert.InvalidFields(async () => await host.Client.ListEntriesAsync(new ListEntriesRequest
            {
                NhsNumber = nhs, ClinicalPeriod = new Period { StartTime = bad },
            }), "clinical_period.start_time");
            await RpcAssert.InvalidFields(async () => await host.Client.ListEntriesAsync(new ListEntriesRequest
            {
                NhsNumber = nhs, ClinicalPeriod = new Period { StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow), EndTime = bad },
            }), "clinical_period.end_time");
        }
    }

    [Fact]
    public async Task A_body_that_does_not_parse_is_invalid_argument_not_unknown()
    {
        var raw = Grpc.Core.Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Grpc.Core.Method<byte[], byte[]>(Grpc.Core.MethodType.Unary, "lcr.clinical.v1.ClinicalRecordService", "ListEntries", raw, raw);
        foreach (var body in new byte[][] { [0x0A, 0x02, 0xC3, 0x28], [.. Enumerable.Repeat((byte)0x1B, 150)], [0x0F], [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F] })
        {
            var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
                await host.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new Grpc.Core.CallOptions(null), body));
            Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
            Assert.Equal(RequestParsing.Reason, e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
        }
    }
}
