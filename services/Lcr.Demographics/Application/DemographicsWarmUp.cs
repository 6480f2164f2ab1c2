using Lcr.ServiceDefaults;

namespace Lcr.Demographics.Application;

/// <summary>
/// What every read the gateway does not hold asks demographics (ResolveNhsNumber, GetPatient),
/// asked about an NHS number that is never issued before the process reports ready
/// (<see cref="WarmUp"/>): EF Core's model and queries and their JIT are paid for before the first
/// real call. Reads only; the unknown patient's NOT_FOUND is the expected answer.
/// </summary>
internal sealed class DemographicsWarmUp : IWarmUpStep
{
    public string Name => "demographics.resolve";

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<NhsNumberResolver>().ResolveAsync(WarmUp.UnissuedNhsNumber, cancellationToken);
        try
        {
            await services.GetRequiredService<PatientService>().GetAsync(WarmUp.UnissuedNhsNumber, cancellationToken);
        }
        catch (NotFoundException)
        {
            // As expected: nobody has this number.
        }
    }
}
