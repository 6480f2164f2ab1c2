using System.Globalization;
using Lcr.Audit.V1;
using Lcr.Common.V1;

namespace Lcr.Audit.Domain;

/// <summary>Who an event is about, as privacy review needs it.</summary>
public sealed record ReviewActor(int Kind, string Id, string? DisplayName, string? Ods, string? RoleCode);

/// <summary>One recorded event, reduced to what the rules look at.</summary>
public sealed record ReviewEvent(
    Guid EventId,
    DateTimeOffset RecordTime,
    AuditAction Action,
    AuditOutcome Outcome,
    ReviewActor Actor,
    string? NhsNumber,
    PurposeOfUse Purpose,
    string? CareRelationshipId,
    EmergencyAccessReason? EmergencyReason,
    bool? SamePerson,
    bool? SameFamilyName,
    bool? SameAddress,
    string? AccessTokenId = null,
    string? SelfClaimRelationshipId = null,
    AuditDenialReason DenialReason = AuditDenialReason.Unspecified)
{
    public bool IsEmergency => EmergencyReason is not null || Action == AuditAction.EmergencyAccess;
}

/// <summary>
/// A professional's own habits over the 30 days before the reviewed period: distinct
/// patients viewed on each active day, and record views per local hour of day (24 counts).
/// </summary>
public sealed record ActorBaseline(IReadOnlyList<int> DailyDistinctPatients, IReadOnlyList<int> HourCounts)
{
    public static readonly ActorBaseline Empty = new([], new int[24]);
}

/// <summary>What a rule found: becomes (or matches) one stored review case.</summary>
public sealed record Finding(
    PrivacyRule Rule,
    PrivacySeverity Severity,
    ReviewActor Actor,
    string? NhsNumber,
    DateOnly LocalDay,
    IReadOnlyList<ReviewEvent> Events,
    string Explanation)
{
    /// <summary>Stable identity of the finding: a re-run of the same period finds the same key.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"{(int)Rule}|{Actor.Id}|{NhsNumber}|{LocalDay:yyyy-MM-dd}");
}

/// <summary>
/// The privacy review rules: pure functions over one local day's events (and, for the
/// volume and hours rules, the actor's baseline). Each returns its findings, grouped so one
/// case covers one actor (and patient, where the rule is about one) on one day.
/// </summary>
public static class PrivacyRules
{
    /// <summary>Fewer active baseline days than this and the volume rule uses <see cref="NoBaselineVolumeThreshold"/>.</summary>
    public const int MinimumBaselineDays = 5;

    /// <summary>Never flag fewer distinct patients in a day than this, whatever the baseline.</summary>
    public const int MinimumVolumeThreshold = 20;

    /// <summary>The volume threshold for a professional without a baseline.</summary>
    public const int NoBaselineVolumeThreshold = 50;

    /// <summary>Flag a day above this multiple of the professional's median.</summary>
    public const int VolumeMultiple = 3;

    /// <summary>Fewer baseline record views than this and the hours rule uses the default working day.</summary>
    public const int MinimumBaselineViews = 20;

    /// <summary>Default usual hours without a baseline: 07:00 to 19:59 local time.</summary>
    public const int DefaultFirstHour = 7;
    public const int DefaultLastHour = 19;

    /// <summary>Denied attempts by one actor in one day that make a finding (and a high one).</summary>
    public const int DenialThreshold = 3;
    public const int HighDenialThreshold = 10;

    /// <summary>Actions that show a patient's record to the viewer.</summary>
    public static bool IsRecordView(AuditAction action) => action is AuditAction.ViewSummary or AuditAction.ViewCategory
        or AuditAction.ViewEntry or AuditAction.ViewDocument or AuditAction.ViewDemographics;

    /// <summary>Actions about looking at a patient (views, searches, emergency access).</summary>
    public static bool IsPatientLookup(AuditAction action) =>
        IsRecordView(action) || action is AuditAction.Search or AuditAction.EmergencyAccess;

    /// <summary>Runs the selected rules (every rule when <paramref name="rules"/> is empty) over one day.</summary>
    public static IReadOnlyList<Finding> Run(IReadOnlyList<ReviewEvent> dayEvents, DateOnly day, Func<DateTimeOffset, int> localHour,
        IReadOnlyDictionary<string, ActorBaseline> baselines, IReadOnlySet<PrivacyRule> rules)
    {
        bool On(PrivacyRule r) => rules.Count == 0 || rules.Contains(r);
        var findings = new List<Finding>();
        if (On(PrivacyRule.EmergencyAccess))
        {
            findings.AddRange(EmergencyAccess(dayEvents, day));
        }

        if (On(PrivacyRule.NoCareRelationship))
        {
            findings.AddRange(NoCareRelationship(dayEvents, day));
        }

        if (On(PrivacyRule.OwnRecord))
        {
            findings.AddRange(OwnRecord(dayEvents, day));
        }

        if (On(PrivacyRule.SharedFamilyName))
        {
            findings.AddRange(SharedFamilyName(dayEvents, day));
        }

        if (On(PrivacyRule.SharedAddress))
        {
            findings.AddRange(SharedAddress(dayEvents, day));
        }

        if (On(PrivacyRule.UnusualPatientVolume))
        {
            findings.AddRange(UnusualPatientVolume(dayEvents, day, baselines));
        }

        if (On(PrivacyRule.OutsideUsualHours))
        {
            findings.AddRange(OutsideUsualHours(dayEvents, day, localHour, baselines));
        }

        if (On(PrivacyRule.RepeatedDenials))
        {
            findings.AddRange(RepeatedDenials(dayEvents, day));
        }

        return findings;
    }

    /// <summary>Every permitted emergency (break-glass) access is reviewed: high.</summary>
    public static IEnumerable<Finding> EmergencyAccess(IReadOnlyList<ReviewEvent> events, DateOnly day) =>
        PerActorAndPatient(events.Where(e => e.Outcome == AuditOutcome.Permitted && e.IsEmergency), day,
            PrivacyRule.EmergencyAccess, PrivacySeverity.High,
            g => $"Emergency (break-glass) access: {Plural(g.Count, "event")}; coded reason {ReasonName(g)}.");

    /// <summary>
    /// A permitted record view for care without a care relationship and without emergency
    /// access: the gateway should never have allowed it, or the relationship was missing. High.
    /// </summary>
    public static IEnumerable<Finding> NoCareRelationship(IReadOnlyList<ReviewEvent> events, DateOnly day) =>
        PerActorAndPatient(events.Where(e => e.Outcome == AuditOutcome.Permitted && IsRecordView(e.Action) && !e.IsEmergency &&
                                             string.IsNullOrEmpty(e.CareRelationshipId) && e.SelfClaimRelationshipId is null &&
                                             e.Purpose is not (PurposeOfUse.SubjectAccessRequest or PurposeOfUse.InformationGovernance)),
            day, PrivacyRule.NoCareRelationship, PrivacySeverity.High,
            g => $"{Plural(g.Count, "record view")} with no care relationship and no emergency access recorded.");

    /// <summary>The viewer looked at (or tried to look at) their own record. High.</summary>
    public static IEnumerable<Finding> OwnRecord(IReadOnlyList<ReviewEvent> events, DateOnly day) =>
        PerActorAndPatient(events.Where(e => IsPatientLookup(e.Action) && e.SamePerson == true), day,
            PrivacyRule.OwnRecord, PrivacySeverity.High,
            g => $"The professional looked at their own record: {Plural(g.Count, "event")}.");

    /// <summary>The viewer looked at a patient sharing their family name (not themselves). Medium.</summary>
    public static IEnumerable<Finding> SharedFamilyName(IReadOnlyList<ReviewEvent> events, DateOnly day) =>
        PerActorAndPatient(events.Where(e => IsPatientLookup(e.Action) && e.SameFamilyName == true && e.SamePerson != true), day,
            PrivacyRule.SharedFamilyName, PrivacySeverity.Medium,
            g => $"The patient shares the professional's family name: {Plural(g.Count, "event")}.");

    /// <summary>The viewer looked at a patient living at their address (not themselves). High.</summary>
    public static IEnumerable<Finding> SharedAddress(IReadOnlyList<ReviewEvent> events, DateOnly day) =>
        PerActorAndPatient(events.Where(e => IsPatientLookup(e.Action) && e.SameAddress == true && e.SamePerson != true), day,
            PrivacyRule.SharedAddress, PrivacySeverity.High,
            g => $"The patient lives at the professional's address: {Plural(g.Count, "event")}.");

    /// <summary>The distinct-patient threshold for one actor's day given their baseline.</summary>
    public static (int Threshold, double? Median) VolumeThreshold(ActorBaseline baseline)
    {
        if (baseline.DailyDistinctPatients.Count < MinimumBaselineDays)
        {
            return (NoBaselineVolumeThreshold, null);
        }

        var median = Median(baseline.DailyDistinctPatients);
        return (Math.Max(MinimumVolumeThreshold, (int)Math.Ceiling(VolumeMultiple * median)), median);
    }

    /// <summary>
    /// More distinct patients viewed in the day than <see cref="VolumeMultiple"/> times the
    /// professional's own daily median (at least <see cref="MinimumVolumeThreshold"/>).
    /// Medium; high above twice the threshold.
    /// </summary>
    public static IEnumerable<Finding> UnusualPatientVolume(IReadOnlyList<ReviewEvent> events, DateOnly day,
        IReadOnlyDictionary<string, ActorBaseline> baselines)
    {
        foreach (var g in events.Where(e => e.Outcome == AuditOutcome.Permitted && IsRecordView(e.Action) && e.NhsNumber is not null)
                     .GroupBy(e => e.Actor.Id, StringComparer.Ordinal))
        {
            var distinct = g.Select(e => e.NhsNumber).Distinct(StringComparer.Ordinal).Count();
            var (threshold, median) = VolumeThreshold(baselines.GetValueOrDefault(g.Key) ?? ActorBaseline.Empty);
            if (distinct <= threshold)
            {
                continue;
            }

            var list = g.OrderBy(e => e.RecordTime).ToList();
            var against = median is { } m
                ? string.Create(CultureInfo.InvariantCulture, $"against a 30-day daily median of {m:0.#} (threshold {threshold})")
                : $"with no 30-day baseline (threshold {threshold})";
            yield return new Finding(PrivacyRule.UnusualPatientVolume,
                distinct > 2 * threshold ? PrivacySeverity.High : PrivacySeverity.Medium,
                list[0].Actor, null, day, list,
                string.Create(CultureInfo.InvariantCulture, $"{distinct} distinct patients on {day:yyyy-MM-dd} {against}."));
        }
    }

    /// <summary>
    /// The local hours of day the actor usually works: hours whose neighbourhood (the hour
    /// either side) holds at least 2% of their baseline views; 07:00 to 19:59 without enough baseline.
    /// </summary>
    public static bool[] UsualHours(ActorBaseline baseline)
    {
        var usual = new bool[24];
        var total = baseline.HourCounts.Sum();
        if (total < MinimumBaselineViews)
        {
            for (var h = DefaultFirstHour; h <= DefaultLastHour; h++)
            {
                usual[h] = true;
            }

            return usual;
        }

        var needed = Math.Max(1, (int)Math.Ceiling(total * 0.02));
        for (var h = 0; h < 24; h++)
        {
            var window = baseline.HourCounts[(h + 23) % 24] + baseline.HourCounts[h] + baseline.HourCounts[(h + 1) % 24];
            usual[h] = window >= needed;
        }

        return usual;
    }

    /// <summary>Record views outside the actor's usual hours. Low.</summary>
    public static IEnumerable<Finding> OutsideUsualHours(IReadOnlyList<ReviewEvent> events, DateOnly day,
        Func<DateTimeOffset, int> localHour, IReadOnlyDictionary<string, ActorBaseline> baselines)
    {
        foreach (var g in events.Where(e => IsRecordView(e.Action) && e.Actor.Kind == (int)ActorKind.Professional)
                     .GroupBy(e => e.Actor.Id, StringComparer.Ordinal))
        {
            var usual = UsualHours(baselines.GetValueOrDefault(g.Key) ?? ActorBaseline.Empty);
            var outside = g.Where(e => !usual[localHour(e.RecordTime)]).OrderBy(e => e.RecordTime).ToList();
            if (outside.Count == 0)
            {
                continue;
            }

            var hours = string.Join(", ", outside.Select(e => localHour(e.RecordTime)).Distinct().Order()
                .Select(h => h.ToString("00", CultureInfo.InvariantCulture) + ":00"));
            var patients = outside.Select(e => e.NhsNumber).Distinct(StringComparer.Ordinal).ToList();
            yield return new Finding(PrivacyRule.OutsideUsualHours, PrivacySeverity.Low, outside[0].Actor,
                patients.Count == 1 ? patients[0] : null, day, outside,
                $"{Plural(outside.Count, "record view")} outside the professional's usual hours (local hours {hours}).");
        }
    }

    /// <summary>
    /// At least <see cref="DenialThreshold"/> denied attempts by one actor in a day: medium;
    /// high from <see cref="HighDenialThreshold"/>. A request naming a superseded NHS number
    /// (<c>NHS_NUMBER_SUPERSEDED</c>) is not counted: it was answered with the number in use, a
    /// pointer rather than a refusal, and old numbers linger in every local system after a merge.
    /// </summary>
    public static IEnumerable<Finding> RepeatedDenials(IReadOnlyList<ReviewEvent> events, DateOnly day)
    {
        foreach (var g in events.Where(e => e.Outcome == AuditOutcome.Denied && e.DenialReason != AuditDenialReason.NhsNumberSuperseded)
                     .GroupBy(e => e.Actor.Id, StringComparer.Ordinal))
        {
            var list = g.OrderBy(e => e.RecordTime).ToList();
            if (list.Count < DenialThreshold)
            {
                continue;
            }

            var patients = list.Select(e => e.NhsNumber).Distinct(StringComparer.Ordinal).ToList();
            yield return new Finding(PrivacyRule.RepeatedDenials,
                list.Count >= HighDenialThreshold ? PrivacySeverity.High : PrivacySeverity.Medium,
                list[0].Actor, patients.Count == 1 ? patients[0] : null, day, list,
                $"{list.Count} denied attempts in one day, about {Plural(patients.Count(p => p is not null), "patient")}.");
        }
    }

    private static IEnumerable<Finding> PerActorAndPatient(IEnumerable<ReviewEvent> events, DateOnly day, PrivacyRule rule,
        PrivacySeverity severity, Func<IReadOnlyList<ReviewEvent>, string> explain) =>
        events.GroupBy(e => (e.Actor.Id, e.NhsNumber))
            .Select(g =>
            {
                var list = g.OrderBy(e => e.RecordTime).ToList();
                return new Finding(rule, severity, list[0].Actor, g.Key.NhsNumber, day, list, explain(list));
            });

    private static string ReasonName(IReadOnlyList<ReviewEvent> events)
    {
        var reasons = events.Select(e => e.EmergencyReason).OfType<EmergencyAccessReason>().Distinct().ToList();
        return reasons.Count == 0 ? "not given" : string.Join(", ", reasons.Select(r => r.ToString()));
    }

    private static double Median(IReadOnlyList<int> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
