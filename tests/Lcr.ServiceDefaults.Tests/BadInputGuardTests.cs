using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.ServiceDefaults.Tests;

/// <summary>The shared guards of issue 17 section 3: timestamps, update masks, unparsable bodies.</summary>
public class BadInputGuardTests
{
    public static TheoryData<long, int> OutOfRange() => new()
    {
        { TimestampRange.MaxSeconds + 1, 0 },
        { TimestampRange.MinSeconds - 1, 0 },
        { long.MaxValue, 0 },
        { long.MinValue, 0 },
        { 0, -1 },
        { 0, 1_000_000_000 },
        { 0, int.MinValue },
        { TimestampRange.MaxSeconds, int.MaxValue },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void An_out_of_range_timestamp_is_a_violation_naming_the_field_not_an_exception(long seconds, int nanos)
    {
        var v = new FieldViolations();
        var ts = new Timestamp { Seconds = seconds, Nanos = nanos };
        Assert.Null(v.Time(ts, "clinical_period.start_time"));
        var violation = Assert.Single(v.Items);
        Assert.Equal("clinical_period.start_time", violation.Field);
        if (seconds is > 99_999 or < -99_999)
        {
            Assert.DoesNotContain(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), violation.Description, StringComparison.Ordinal);
        }

        Assert.False(TimestampRange.IsValid(ts));
        var e = Assert.Throws<InvalidArgumentException>(v.ThrowIfAny);
        Assert.Equal(StatusCode.InvalidArgument, e.Code);
    }

    [Fact]
    public void The_extremes_of_the_range_convert()
    {
        var v = new FieldViolations();
        Assert.Equal(DateTimeOffset.MinValue, v.Time(new Timestamp { Seconds = TimestampRange.MinSeconds }, "t"));
        Assert.Equal(new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999),
            v.Time(new Timestamp { Seconds = TimestampRange.MaxSeconds, Nanos = TimestampRange.MaxNanos }, "t"));
        Assert.Null(v.Time(null, "t"));
        Assert.False(v.Any);
    }

    [Fact]
    public void A_period_names_each_bad_bound_under_its_own_field()
    {
        var v = new FieldViolations();
        var (start, end) = v.Period(new Period
        {
            StartTime = new Timestamp { Seconds = 1_700_000_000 },
            EndTime = new Timestamp { Seconds = TimestampRange.MaxSeconds + 1 },
        }, "period");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), start);
        Assert.Null(end);
        Assert.Equal(["period.end_time"], v.Items.Select(i => i.Field));
        Assert.Equal((null, null), v.Period(null, "period"));
    }

    [Fact]
    public void A_bad_update_mask_path_is_named_by_position_with_the_allowed_paths_and_never_quoted()
    {
        var v = new FieldViolations();
        const string Hostile = "given\r\n9434765919";
        var valid = v.UpdateMask(["name", Hostile, "address", "name"], new HashSet<string>(StringComparer.Ordinal) { "name", "address" });
        Assert.Equal(["address", "name"], valid.Order());
        var violation = Assert.Single(v.Items);
        Assert.Equal("update_mask.paths[1]", violation.Field);
        Assert.Equal("is not a field this call can update; allowed: name, address", violation.Description);
        var e = Assert.Throws<InvalidArgumentException>(v.ThrowIfAny);
        Assert.DoesNotContain("9434765919", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("given", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[]> Unparsable() => new()
    {
        { "invalid UTF-8 in a string", [0x0A, 0x02, 0xC3, 0x28] },
        { "groups nested past the recursion limit", [.. Enumerable.Repeat((byte)0x1B, 150), .. Enumerable.Repeat((byte)0x1C, 150)] },
        { "a truncated length", [0x0A, 0x7F, 0x41] },
        { "wire type 7", [0x0F] },
        { "garbage", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] },
    };

    [Theory]
    [MemberData(nameof(Unparsable))]
    public void A_body_that_does_not_parse_is_invalid_argument_naming_the_method_without_its_bytes(string what, byte[] body)
    {
        Assert.ThrowsAny<InvalidProtocolBufferException>(() => StringValue.Parser.ParseFrom(body));
        var marshaller = RequestParsing.Guard(Marshallers.Create(m => m.ToByteArray(), StringValue.Parser.ParseFrom), "/lcr.test.v1.TestService/Read");
        var e = Assert.Throws<RpcException>(() => marshaller.ContextualDeserializer(new Payload(body)));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("/lcr.test.v1.TestService/Read", e.Status.Detail, StringComparison.Ordinal);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal(RequestParsing.Reason, info.Reason);
        Assert.Equal(ErrorDomain.Name, info.Domain);
        Assert.True(what.Length > 0);
    }

    [Fact]
    public void A_body_that_parses_is_returned_unchanged()
    {
        var period = new StringValue { Value = "Öztürk" };
        var marshaller = RequestParsing.Guard(Marshallers.Create(m => m.ToByteArray(), StringValue.Parser.ParseFrom), "/x.Y/Z");
        Assert.Equal(period, marshaller.ContextualDeserializer(new Payload(period.ToByteArray())));
    }

    private sealed class Payload(byte[] bytes) : DeserializationContext
    {
        public override int PayloadLength => bytes.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])bytes.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(bytes);
    }
}
