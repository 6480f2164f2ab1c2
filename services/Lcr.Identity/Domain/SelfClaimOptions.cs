using Lcr.Common.V1;

namespace Lcr.Identity.Domain;

/// <summary>
/// Self-claim settings: section <c>Identity:SelfClaims</c>. <c>MaximumDurations</c> maps a
/// reason (its C# name, e.g. <c>ReferralReceived</c>) to its longest duration; a reason not
/// configured keeps its default (<see cref="SelfClaimRules.DefaultMaximumDurations"/>).
/// </summary>
public sealed class SelfClaimOptions
{
    public Dictionary<SelfClaimReason, TimeSpan> MaximumDurations { get; set; } = [];

    /// <summary>The longest claim the reason allows.</summary>
    public TimeSpan MaximumFor(SelfClaimReason reason) =>
        MaximumDurations.TryGetValue(reason, out var configured) ? configured : SelfClaimRules.DefaultMaximumDurations[reason];

    /// <summary>Every configured duration is positive and at most a year, and names a real reason.</summary>
    public bool IsValid() => MaximumDurations.All(kv =>
        SelfClaimRules.DefaultMaximumDurations.ContainsKey(kv.Key) && kv.Value > TimeSpan.Zero && kv.Value <= TimeSpan.FromDays(366));
}
