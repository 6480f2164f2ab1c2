using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Lcr.ServiceDefaults;

/// <summary>
/// In a writer service: announces the pseudonym key fingerprint to the patient version store on
/// start and every 15 s (so a flushed Redis gets it back without waiting for a write); readers
/// reuse nothing until it is there. A failure is retried on the next round.
/// </summary>
internal sealed class PatientVersionAnnouncer(PatientVersionStore store) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.AnnounceAsync(stoppingToken);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Redis down: writes are refused anyway until it is back; try again next round.
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(15), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
