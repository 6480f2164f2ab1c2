namespace Lcr.Identity.Tests.Federation;

/// <summary>The system clock moved by <see cref="Offset"/>: lets a test look at a real token from the future.</summary>
public sealed class ShiftableClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
