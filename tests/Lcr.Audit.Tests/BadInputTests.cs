using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Audit.Tests;

/// <summary>Issue 17 section 3 in the audit service: out-of-range timestamps and update masks.</summary>
public class BadInputTests(AuditHost host) : IClassFixture<AuditHost>
{
    private AuditService.AuditServiceClient Client => host.Client;

    private static readonly Timestamp[] OutOfRange =
    [
        new() { Seconds = TimestampRange.MaxSeconds + 1 },
        new() { Seconds = TimestampRange.MinSeconds - 1 },
        new() { Seconds = 1_700_000_000, Nanos = -1 },
        new() { Seconds = 1_700_000_000, Nanos = 1_000_000_000 },
    ];

    private static Timestamp DaysAgo(int days) => Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-days));

    [Fact]
    public async Task Out_of_range_timestamps_in_queries_and_review_are_invalid_argument_naming_the_field()
    {
        foreach (var bad in OutOfRange)
        {
            await RpcAssert.InvalidFields(async () => await Client.ListEventsByPatientAsync(new ListEventsByPatientRequest
            {
                NhsNumber = AuditHost.NewNhsNumber(), Period = new Period { StartTime = bad },
            }, AuditHost.IgOfficer()), "period.start_time");
            await RpcAssert.InvalidFields(async () => await Client.ListEventsByActorAsync(new ListEventsByActorRequest
            {
                ActorId = "prof-1", Period = new Period { StartTime = DaysAgo(2), EndTime = bad },
            }, AuditHost.IgOfficer()), "period.end_time");
            await RpcAssert.InvalidFields(async () => await Client.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest
            {
                CreatePeriod = new Period { StartTime = bad, EndTime = bad },
            }, AuditHost.IgOfficer()), "create_period.start_time", "create_period.end_time");
            await RpcAssert.InvalidFields(async () => await Client.RunPrivacyReviewAsync(new RunPrivacyReviewRequest
            {
                Period = new Period { StartTime = bad, EndTime = DaysAgo(1) },
            }, AuditHost.IgOfficer()), "period.start_time");
        }
    }

    [Fact]
    public async Task An_update_mask_path_is_named_by_position_and_never_echoed()
    {
        var e = await RpcAssert.Fails(StatusCode.InvalidArgument, async () => await Client.UpdatePrivacyReviewCaseAsync(new UpdatePrivacyReviewCaseRequest
        {
            ReviewCase = new PrivacyReviewCase { Id = Guid.NewGuid().ToString(), Etag = "1" },
            UpdateMask = new FieldMask { Paths = { "status", "zqx\r\n9434765919" } },
        }, AuditHost.IgOfficer()));
        var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations,
            v => v.Field.StartsWith("update_mask", StringComparison.Ordinal));
        Assert.Equal("update_mask.paths[1]", violation.Field);
        Assert.Contains("allowed: status, resolution_note", violation.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("zqx", e.Status.Detail + violation.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("9434765919", e.Status.Detail + violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_does_not_parse_is_invalid_argument_not_unknown()
    {
        var raw = Grpc.Core.Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Grpc.Core.Method<byte[], byte[]>(Grpc.Core.MethodType.Unary, "lcr.audit.v1.AuditService", "ListEventsByPatient", raw, raw);
        foreach (var body in new byte[][] { [0x0A, 0x02, 0xC3, 0x28], [.. Enumerable.Repeat((byte)0x1B, 150)], [0x0F], [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F] })
        {
            var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
                await host.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new Grpc.Core.CallOptions(AuditHost.IgOfficer()), body));
            Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
            Assert.Equal(RequestParsing.Reason, e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
        }
    }
}
