using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Demographics.V1;

namespace Lcr.Demographics.Tests;

/// <summary>The supersession calls the tests make, as the platform's PDS feed.</summary>
internal static class SupersessionCalls
{
    private static int _notice;

    /// <summary>Metadata of the platform's PDS feed.</summary>
    public static Metadata Pds() => DemographicsHost.Feed("LCR", "pds-feed");

    /// <summary>A fresh notice id.</summary>
    public static string Notice(string prefix = "pds") =>
        $"{prefix}:{Interlocked.Increment(ref _notice)}-{Guid.NewGuid():N}";

    public static async Task<string> NewPatientAsync(DemographicsHost host, DateOnly? death = null)
    {
        var p = DemographicsHost.NewPatient();
        if (death is { } d)
        {
            p.DeathDate = new Date { Year = d.Year, Month = d.Month, Day = d.Day };
        }

        return (await host.CreateAsync(p)).NhsNumber;
    }

    public static async Task<ReportSupersessionResponse> ReportAsync(DemographicsHost host, string superseded, string by, string? notice = null) =>
        await host.Client.ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = notice ?? Notice(),
            SupersededNhsNumber = superseded,
            NhsNumber = by,
        }, Pds());

    public static async Task<WithdrawSupersessionResponse> WithdrawAsync(DemographicsHost host, string superseded, string by, string? notice = null) =>
        await host.Client.WithdrawSupersessionAsync(new WithdrawSupersessionRequest
        {
            NoticeId = notice ?? Notice("withdraw"),
            SupersededNhsNumber = superseded,
            NhsNumber = by,
        }, Pds());

    public static async Task<ResolveNhsNumberResponse> ResolveAsync(DemographicsHost host, string nhs) =>
        await host.Client.ResolveNhsNumberAsync(new ResolveNhsNumberRequest { NhsNumber = nhs });
}
