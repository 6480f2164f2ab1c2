using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Clinical.Tests;

/// <summary>The clinical record service with a clock the test can move forward.</summary>
public sealed class ClockedClinicalHost : ClinicalHost
{
    public ShiftableClock Clock { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}
