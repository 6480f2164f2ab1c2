namespace Lcr.Clinical.Tests;

/// <summary>The system clock moved by <see cref="Offset"/>: lets a test read a record days later.</summary>
public sealed class ShiftableClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
