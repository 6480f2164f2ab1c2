namespace Lcr.Identity.Domain;

/// <summary>PostgreSQL keeps microseconds; times are cut to that before use, so what is answered equals what is stored.</summary>
public static class Clock
{
    public static DateTimeOffset Micros(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);

    public static DateTimeOffset UtcNowMicros(this TimeProvider clock) => Micros(clock.GetUtcNow());
}
