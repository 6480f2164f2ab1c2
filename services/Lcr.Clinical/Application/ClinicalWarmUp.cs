using Lcr.Clinical.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Clinical.Application;

/// <summary>
/// The read path the gateway calls on every read that it does not hold (GetRecordSummary, then
/// ListEntries), run for an NHS number that is never issued before the process reports ready
/// (<see cref="WarmUp"/>): EF Core's model and queries, the summary rebuild's Npgsql batch, the
/// Redis summary tier and their JIT are paid for before the first real call. Reads only.
/// </summary>
internal sealed class ClinicalWarmUp : IWarmUpStep
{
    public string Name => "clinical.read";

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<SummaryService>().GetAsync(
            new GetRecordSummaryRequest { NhsNumber = WarmUp.UnissuedNhsNumber }, cancellationToken);
        await services.GetRequiredService<RecordReader>().ListAsync(
            new ListEntriesRequest { NhsNumber = WarmUp.UnissuedNhsNumber, PageSize = 20 }, cancellationToken);
    }
}
