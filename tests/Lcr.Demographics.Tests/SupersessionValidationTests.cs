using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Demographics.V1;

namespace Lcr.Demographics.Tests;

/// <summary>Bad supersession requests: every bad field named, no caller text or NHS number echoed, nothing written.</summary>
public class SupersessionValidationTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    private DemographicsService.DemographicsServiceClient Client => host.Client;

    [Fact]
    public async Task Every_bad_report_field_is_named_and_nothing_is_written()
    {
        var hostile = "notice <script>" + new string('x', 120);
        var e = await RpcAssert.Fails(StatusCode.InvalidArgument, async () => await Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = hostile,
            SupersededNhsNumber = "9990000000",
            NhsNumber = "12345",
            EffectiveTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(1)),
        }, SupersessionCalls.Pds()));
        var fields = e.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Select(f => f.Field).Order();
        Assert.Equal(["effective_time", "nhs_number", "notice_id", "superseded_nhs_number"], fields);
        Assert.DoesNotContain("script", e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("9990000000", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from supersessions where superseded_nhs_number = '9990000000' or notice_id like 'notice%'"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/notice")]
    [InlineData("line\n")]
    public async Task Malformed_notice_ids_are_refused(string notice)
    {
        await RpcAssert.InvalidFields(async () => await Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = notice, SupersededNhsNumber = DemographicsHost.NewNhsNumber(), NhsNumber = DemographicsHost.NewNhsNumber(),
        }, SupersessionCalls.Pds()), "notice_id");
        await RpcAssert.InvalidFields(async () => await Client.WithdrawSupersessionAsync(new WithdrawSupersessionRequest
        {
            NoticeId = notice, SupersededNhsNumber = DemographicsHost.NewNhsNumber(), NhsNumber = DemographicsHost.NewNhsNumber(),
        }, SupersessionCalls.Pds()), "notice_id");
    }

    [Fact]
    public async Task A_number_cannot_supersede_itself()
    {
        var n = DemographicsHost.NewNhsNumber();
        await RpcAssert.InvalidFields(async () => await Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = n, NhsNumber = n,
        }, SupersessionCalls.Pds()), "nhs_number");
    }

    [Fact]
    public async Task Missing_and_unparseable_timestamps_and_numbers_are_named()
    {
        await RpcAssert.InvalidFields(async () => await Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = SupersessionCalls.Notice(),
            EffectiveTime = new Timestamp { Seconds = long.MaxValue },
        }, SupersessionCalls.Pds()), "superseded_nhs_number", "nhs_number", "effective_time");
        await RpcAssert.InvalidFields(async () => await Client.WithdrawSupersessionAsync(new WithdrawSupersessionRequest(), SupersessionCalls.Pds()),
            "notice_id", "superseded_nhs_number", "nhs_number");
        await RpcAssert.InvalidFields(async () => await Client.ResolveNhsNumberAsync(new ResolveNhsNumberRequest { NhsNumber = "9990000000" }), "nhs_number");
    }

    [Fact]
    public async Task Unknown_patients_are_not_found_naming_the_field_not_the_number()
    {
        var known = (await host.CreateAsync(DemographicsHost.NewPatient())).NhsNumber;
        var unknown = DemographicsHost.NewNhsNumber();

        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = unknown, NhsNumber = known,
        }, SupersessionCalls.Pds()));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>()!;
        Assert.Equal("PATIENT_NOT_FOUND", info.Reason);
        Assert.Equal("superseded_nhs_number", info.Metadata["field"]);
        Assert.DoesNotContain(unknown, e.Status.ToString(), StringComparison.Ordinal);

        var other = await RpcAssert.Fails(StatusCode.NotFound, "PATIENT_NOT_FOUND", async () => await Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = known, NhsNumber = unknown,
        }, SupersessionCalls.Pds()));
        Assert.Equal("nhs_number", other.Metadata["field"]);
    }

    [Fact]
    public async Task Writes_without_a_caller_are_unauthenticated()
    {
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () => await Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = DemographicsHost.NewNhsNumber(), NhsNumber = DemographicsHost.NewNhsNumber(),
        }));
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () => await Client.WithdrawSupersessionAsync(new WithdrawSupersessionRequest
        {
            NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = DemographicsHost.NewNhsNumber(), NhsNumber = DemographicsHost.NewNhsNumber(),
        }));
    }

    [Fact]
    public async Task No_nhs_number_reaches_logs_or_spans_from_supersession_calls()
    {
        var a = (await host.CreateAsync(DemographicsHost.NewPatient())).NhsNumber;
        var b = (await host.CreateAsync(DemographicsHost.NewPatient())).NhsNumber;
        var c = (await host.CreateAsync(DemographicsHost.NewPatient())).NhsNumber;
        await Client.ReportSupersessionAsync(new ReportSupersessionRequest { NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = a, NhsNumber = b }, SupersessionCalls.Pds());
        await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ReportSupersessionAsync(new ReportSupersessionRequest { NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = a, NhsNumber = c }, SupersessionCalls.Pds()));
        await Client.ResolveNhsNumberAsync(new ResolveNhsNumberRequest { NhsNumber = a });
        await Client.WithdrawSupersessionAsync(new WithdrawSupersessionRequest { NoticeId = SupersessionCalls.Notice(), SupersededNhsNumber = a, NhsNumber = b }, SupersessionCalls.Pds());
        await Client.ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = b });

        var text = string.Join('\n', host.Logs.Lines) + '\n' + string.Join('\n', SpanText.Of(host.Spans.ToArray()));
        Assert.Contains("Supersession", text, StringComparison.Ordinal);
        foreach (var secret in new[] { a, b, c })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }
}
