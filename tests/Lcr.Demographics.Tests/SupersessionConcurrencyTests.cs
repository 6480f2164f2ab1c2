using Grpc.Core;
using Lcr.Demographics.V1;

namespace Lcr.Demographics.Tests;

/// <summary>Supersession writes racing each other: the checks and the write are serial, so there is one winner.</summary>
public class SupersessionConcurrencyTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    private Task<string> NewPatientAsync() => SupersessionCalls.NewPatientAsync(host);

    private Task<ReportSupersessionResponse> ReportAsync(string superseded, string by, string? notice = null) =>
        SupersessionCalls.ReportAsync(host, superseded, by, notice);

    [Fact]
    public async Task Concurrent_notices_for_the_same_number_make_exactly_one_supersession()
    {
        var a = await NewPatientAsync();
        var targets = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            targets.Add(await NewPatientAsync());
        }

        var outcomes = await Task.WhenAll(targets.Select(async t =>
        {
            try
            {
                return (await ReportAsync(a, t)).Created ? "created" : "returned";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
            {
                return "conflict";
            }
        }));

        Assert.Equal(1, outcomes.Count(o => o == "created"));
        Assert.Equal(targets.Count - 1, outcomes.Count(o => o == "conflict"));
        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from supersessions where superseded_nhs_number = @n and state = 1", ("n", a)));
    }

    [Fact]
    public async Task Concurrent_opposite_notices_never_make_a_cycle()
    {
        for (var round = 0; round < 5; round++)
        {
            var a = await NewPatientAsync();
            var b = await NewPatientAsync();
            var results = await Task.WhenAll(
                Outcome(() => ReportAsync(a, b)),
                Outcome(() => ReportAsync(b, a)));
            Assert.Single(results, r => r == "created");
            Assert.Single(results, r => r == "SUPERSESSION_CYCLE");
        }

        static async Task<string> Outcome(Func<Task<ReportSupersessionResponse>> call)
        {
            try
            {
                return (await call()).Created ? "created" : "returned";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
            {
                return e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>()!.Reason;
            }
        }
    }

    [Fact]
    public async Task Concurrent_re_sends_of_one_notice_create_it_once()
    {
        var a = await NewPatientAsync();
        var b = await NewPatientAsync();
        var notice = SupersessionCalls.Notice();
        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => ReportAsync(a, b, notice)));
        Assert.Single(replies, r => r.Created);
        Assert.Single(replies.Select(r => r.Supersession.Id).Distinct());
    }
}
