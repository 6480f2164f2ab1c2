using Google.Protobuf.WellKnownTypes;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The range a <c>google.protobuf.Timestamp</c> may hold (timestamp.proto): seconds from
/// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z and nanos from 0 to 999,999,999. The wire
/// format carries any int64/int32, and <see cref="Timestamp.ToDateTimeOffset"/> throws outside
/// this range, so every request timestamp is checked here (through
/// <see cref="FieldViolations.Time"/>) before it is converted.
/// </summary>
public static class TimestampRange
{
    /// <summary>0001-01-01T00:00:00Z in seconds since the Unix epoch.</summary>
    public const long MinSeconds = -62_135_596_800L;

    /// <summary>9999-12-31T23:59:59Z in seconds since the Unix epoch.</summary>
    public const long MaxSeconds = 253_402_300_799L;

    /// <summary>The largest nanos value.</summary>
    public const int MaxNanos = 999_999_999;

    /// <summary>What a caller is told when a timestamp is out of range (never the value itself).</summary>
    public const string Description =
        "must be a valid timestamp: seconds from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z and nanos from 0 to 999999999";

    /// <summary>True when <paramref name="value"/> can be converted without throwing.</summary>
    public static bool IsValid(Timestamp value) =>
        value.Seconds is >= MinSeconds and <= MaxSeconds && value.Nanos is >= 0 and <= MaxNanos;
}
