using Lcr.Common.V1;

namespace Lcr.Identity.Domain;

/// <summary>
/// The pure rules of a self-claimed care relationship (ClaimCareRelationship): which reasons
/// need the professional's own words, how long a claim lasts, and the longest each reason
/// allows by default (section <c>Identity:SelfClaims</c>, <see cref="SelfClaimOptions"/>).
/// </summary>
public static class SelfClaimRules
{
    public const int MinReasonText = 10;
    public const int MaxReasonText = 1000;

    /// <summary>The defaults of the SelfClaimReason comments in access.proto.</summary>
    public static IReadOnlyDictionary<SelfClaimReason, TimeSpan> DefaultMaximumDurations { get; } = new Dictionary<SelfClaimReason, TimeSpan>
    {
        [SelfClaimReason.ClinicAttendanceNotYetRecorded] = TimeSpan.FromHours(24),
        [SelfClaimReason.ReferralReceived] = TimeSpan.FromDays(7),
        [SelfClaimReason.PatientPresented] = TimeSpan.FromHours(24),
        [SelfClaimReason.Safeguarding] = TimeSpan.FromDays(30),
        [SelfClaimReason.Other] = TimeSpan.FromHours(24),
    };

    /// <summary>Safeguarding and "other" claims must say why in the professional's own words.</summary>
    public static bool NeedsText(SelfClaimReason reason) => reason is SelfClaimReason.Safeguarding or SelfClaimReason.Other;

    /// <summary>
    /// What is wrong with the reason text (already trimmed), or null when it is acceptable:
    /// required for <see cref="NeedsText"/> reasons, and 10 to 1000 characters whenever given.
    /// </summary>
    public static string? TextProblem(SelfClaimReason reason, string text)
    {
        if (text.Length == 0)
        {
            return NeedsText(reason) ? "is required for SAFEGUARDING and OTHER: explain why you are caring for the patient" : null;
        }

        if (text.Length < MinReasonText)
        {
            return $"must be at least {MinReasonText} characters";
        }

        return text.Length > MaxReasonText ? $"must be at most {MaxReasonText} characters" : null;
    }

    /// <summary>
    /// How long the claim lasts: the duration asked for, capped at the reason's longest; the
    /// longest when none (or zero) was asked for. A negative duration is the caller's error,
    /// checked before this.
    /// </summary>
    public static TimeSpan Duration(TimeSpan? asked, TimeSpan maximum) =>
        asked is { } d && d > TimeSpan.Zero && d < maximum ? d : maximum;
}
