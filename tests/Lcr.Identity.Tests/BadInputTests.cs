using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;

namespace Lcr.Identity.Tests;

/// <summary>Issue 17 section 3 in the identity service: out-of-range relationship times and update masks.</summary>
[Collection(IdentityCollection.Name)]
public sealed class BadInputTests(IdentityHost host)
{
    private static readonly Timestamp[] OutOfRange =
    [
        new() { Seconds = TimestampRange.MaxSeconds + 1 },
        new() { Seconds = TimestampRange.MinSeconds - 1 },
        new() { Seconds = 1_700_000_000, Nanos = -1 },
        new() { Seconds = 1_700_000_000, Nanos = 1_000_000_000 },
    ];

    [Fact]
    public async Task Out_of_range_relationship_times_are_invalid_argument_naming_the_field()
    {
        var feed = await host.SystemAsync("rr8-ppm-feed");
        foreach (var bad in OutOfRange)
        {
            CareRelationship Episode() => new()
            {
                NhsNumber = IdentityHost.NewNhsNumber(), Kind = CareRelationshipKind.InpatientEpisode, TeamId = "RR8:WARD-7",
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)),
                Source = new Provenance { SourceEntryId = "bad-time-" + Guid.NewGuid().ToString("N"), SourceSystem = "PPM+" },
            };
            var start = Episode();
            start.StartTime = bad;
            await RpcAssert.InvalidFields(async () => await host.Client.RecordCareRelationshipAsync(
                new RecordCareRelationshipRequest { CareRelationship = start }, feed), "care_relationship.start_time");
            var end = Episode();
            end.EndTime = bad;
            await RpcAssert.InvalidFields(async () => await host.Client.RecordCareRelationshipAsync(
                new RecordCareRelationshipRequest { CareRelationship = end }, feed), "care_relationship.end_time");
            await RpcAssert.InvalidFields(async () => await host.Client.EndCareRelationshipAsync(
                new EndCareRelationshipRequest { SourceEntryId = "bad-time-" + Guid.NewGuid().ToString("N"), EndTime = bad }, feed), "end_time");
        }
    }

    [Fact]
    public async Task Update_mask_paths_are_named_by_position_and_never_echoed()
    {
        var admin = await host.AdminAsync();
        const string Hostile = "zqx\r\n9434765919";
        var calls = new Func<Task>[]
        {
            async () => await host.Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
            {
                Professional = new Professional { Id = Guid.NewGuid().ToString(), Etag = "1" }, UpdateMask = new FieldMask { Paths = { Hostile } },
            }, admin),
            async () => await host.Client.UpdateSystemClientAsync(new UpdateSystemClientRequest
            {
                SystemClient = new SystemClient { ClientId = "rr8-ppm-feed", Etag = "1" }, UpdateMask = new FieldMask { Paths = { Hostile } },
            }, admin),
        };
        foreach (var call in calls)
        {
            var e = await RpcAssert.Fails(StatusCode.InvalidArgument, call);
            var violation = Assert.Single(e.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations);
            Assert.Equal("update_mask.paths[0]", violation.Field);
            Assert.Contains("allowed:", violation.Description, StringComparison.Ordinal);
            Assert.DoesNotContain("zqx", e.Status.Detail + violation.Description, StringComparison.Ordinal);
            Assert.DoesNotContain("9434765919", e.Status.Detail + violation.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_body_that_does_not_parse_is_invalid_argument_not_unknown()
    {
        var raw = Grpc.Core.Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Grpc.Core.Method<byte[], byte[]>(Grpc.Core.MethodType.Unary, "lcr.identity.v1.IdentityService", "RecordCareRelationship", raw, raw);
        foreach (var body in new byte[][] { [0x0A, 0x02, 0xC3, 0x28], [.. Enumerable.Repeat((byte)0x1B, 150)], [0x0F], [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F] })
        {
            var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
                await host.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new Grpc.Core.CallOptions(await host.SystemAsync("rr8-ppm-feed")), body));
            Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
            Assert.Equal(RequestParsing.Reason, e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
        }
    }
}
