using Lcr.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Lcr.Testing;

/// <summary>
/// A reader's view of the patient version store a service host writes to: a store of its own
/// on the host's Redis connection and pseudonym key, as a gateway in another process would probe.
/// </summary>
public static class PatientVersionReader
{
    public static PatientVersionStore For(IServiceProvider services) =>
        new(services.GetRequiredService<IConnectionMultiplexer>(), services.GetRequiredService<PatientPseudonymiser>(),
            new PatientVersionOptions { ProbeTimeout = TimeSpan.FromSeconds(5) }, NullLogger<PatientVersionStore>.Instance); // a loaded CI machine may exceed production's 250 ms
}
