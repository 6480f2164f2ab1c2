using Lcr.Audit.Domain;
using Lcr.Audit.V1;
using Lcr.Common.V1;

namespace Lcr.Audit.Tests;

/// <summary>Each rule fires on a crafted case and stays quiet on a normal day. Pure functions, no host.</summary>
public class PrivacyRuleTests
{
    private static readonly DateOnly Day = new(2026, 3, 2);
    private static readonly DateTimeOffset Nine = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly ReviewActor Gp = new((int)ActorKind.Professional, "gp-1", "Dr Priya Shah", "B86001", "R8000");
    private static readonly Dictionary<string, ActorBaseline> NoBaselines = [];

    private static int Hour(DateTimeOffset t) => t.UtcDateTime.Hour;

    private static ReviewEvent View(string nhs = "9990000018", ReviewActor? actor = null, DateTimeOffset? at = null,
        string? relationship = "rel-1", EmergencyAccessReason? emergency = null, AuditOutcome outcome = AuditOutcome.Permitted,
        bool? samePerson = null, bool? sameName = null, bool? sameAddress = null, AuditAction action = AuditAction.ViewSummary) =>
        new(Guid.NewGuid(), at ?? Nine, action, outcome, actor ?? Gp, nhs, PurposeOfUse.DirectCare, relationship, emergency,
            samePerson, sameName, sameAddress);

    /// <summary>An ordinary working day: a dozen patients, each under a care relationship, in office hours, context compared and clear.</summary>
    private static List<ReviewEvent> NormalDay() =>
        Enumerable.Range(0, 12).Select(i => View(nhs: $"99900000{i:00}", at: Nine.AddMinutes(20 * i),
            samePerson: false, sameName: false, sameAddress: false)).ToList();

    [Fact]
    public void A_normal_day_raises_no_finding_under_any_rule()
    {
        var baseline = new ActorBaseline([10, 12, 11, 9, 13, 12], Enumerable.Range(0, 24).Select(h => h is >= 8 and <= 17 ? 20 : 0).ToArray());
        var findings = PrivacyRules.Run(NormalDay(), Day, Hour, new Dictionary<string, ActorBaseline> { ["gp-1"] = baseline },
            new HashSet<PrivacyRule>());
        Assert.Empty(findings);
    }

    [Fact]
    public void Emergency_access_is_always_flagged_high_per_professional_and_patient()
    {
        var events = new List<ReviewEvent>
        {
            View(relationship: null, emergency: EmergencyAccessReason.ClinicalEmergency),
            View(relationship: null, emergency: EmergencyAccessReason.ClinicalEmergency, at: Nine.AddMinutes(5)),
            View(nhs: "9990000026", relationship: null, emergency: EmergencyAccessReason.Safeguarding),
        };
        var findings = PrivacyRules.EmergencyAccess(events, Day).ToList();
        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Equal(PrivacySeverity.High, f.Severity));
        Assert.Equal(2, findings.Single(f => f.NhsNumber == "9990000018").Events.Count);
        Assert.Contains("ClinicalEmergency", findings[0].Explanation, StringComparison.Ordinal);
        Assert.Empty(PrivacyRules.EmergencyAccess(NormalDay(), Day));
        Assert.Empty(PrivacyRules.EmergencyAccess([View(emergency: EmergencyAccessReason.ClinicalEmergency, outcome: AuditOutcome.Denied)], Day));
    }

    [Fact]
    public void A_view_without_care_relationship_or_emergency_is_flagged()
    {
        var finding = Assert.Single(PrivacyRules.NoCareRelationship([View(relationship: null)], Day));
        Assert.Equal(PrivacyRule.NoCareRelationship, finding.Rule);
        Assert.Empty(PrivacyRules.NoCareRelationship(NormalDay(), Day));
        Assert.Empty(PrivacyRules.NoCareRelationship([View(relationship: null, emergency: EmergencyAccessReason.ClinicalEmergency)], Day));
        Assert.Empty(PrivacyRules.NoCareRelationship([View(relationship: null, outcome: AuditOutcome.Denied)], Day));
    }

    [Fact]
    public void Viewing_own_record_is_flagged_high_and_not_also_as_shared_name_or_address()
    {
        var own = View(samePerson: true, sameName: true, sameAddress: true);
        Assert.Equal(PrivacySeverity.High, Assert.Single(PrivacyRules.OwnRecord([own], Day)).Severity);
        Assert.Empty(PrivacyRules.SharedFamilyName([own], Day));
        Assert.Empty(PrivacyRules.SharedAddress([own], Day));
        Assert.Empty(PrivacyRules.OwnRecord(NormalDay(), Day));
        Assert.Empty(PrivacyRules.OwnRecord([View()], Day)); // no context given: nothing known, nothing flagged
    }

    [Fact]
    public void Patient_sharing_family_name_or_address_is_flagged()
    {
        Assert.Equal(PrivacySeverity.Medium, Assert.Single(PrivacyRules.SharedFamilyName([View(sameName: true, samePerson: false)], Day)).Severity);
        Assert.Equal(PrivacySeverity.High, Assert.Single(PrivacyRules.SharedAddress([View(sameAddress: true, samePerson: false)], Day)).Severity);
        Assert.Single(PrivacyRules.SharedFamilyName([View(sameName: true, outcome: AuditOutcome.Denied)], Day)); // attempts count too
        Assert.Empty(PrivacyRules.SharedFamilyName(NormalDay(), Day));
        Assert.Empty(PrivacyRules.SharedAddress(NormalDay(), Day));
    }

    [Fact]
    public void Many_more_distinct_patients_than_the_professionals_own_median_is_flagged()
    {
        var baseline = new Dictionary<string, ActorBaseline> { ["gp-1"] = new([10, 12, 11, 9, 13, 12, 10], new int[24]) };
        Assert.Equal((33, 11.0), PrivacyRules.VolumeThreshold(baseline["gp-1"]));

        var busy = Enumerable.Range(0, 40).Select(i => View(nhs: $"9990001{i:000}")).ToList();
        var finding = Assert.Single(PrivacyRules.UnusualPatientVolume(busy, Day, baseline));
        Assert.Equal(PrivacySeverity.Medium, finding.Severity);
        Assert.Null(finding.NhsNumber);
        Assert.Equal("40 distinct patients on 2026-03-02 against a 30-day daily median of 11 (threshold 33).", finding.Explanation);

        // Forty views of the same few patients is not forty patients.
        var repeat = Enumerable.Range(0, 40).Select(i => View(nhs: $"999000000{i % 4}")).ToList();
        Assert.Empty(PrivacyRules.UnusualPatientVolume(repeat, Day, baseline));
        Assert.Empty(PrivacyRules.UnusualPatientVolume(NormalDay(), Day, baseline));

        // A ward clerk who always sees 60 patients a day is normal at 70.
        var clerk = new Dictionary<string, ActorBaseline> { ["gp-1"] = new([60, 58, 61, 59, 62], new int[24]) };
        Assert.Empty(PrivacyRules.UnusualPatientVolume(busy.Concat(Enumerable.Range(0, 30).Select(i => View(nhs: $"9990002{i:000}"))).ToList(), Day, clerk));

        // Without a baseline the fixed threshold applies; twice over it is high.
        var flood = Enumerable.Range(0, 120).Select(i => View(nhs: $"9990003{i:000}")).ToList();
        Assert.Equal(PrivacySeverity.High, Assert.Single(PrivacyRules.UnusualPatientVolume(flood, Day, NoBaselines)).Severity);
    }

    [Fact]
    public void Views_outside_the_professionals_usual_hours_are_flagged()
    {
        var dayWorker = new ActorBaseline([10, 10, 10, 10, 10],
            Enumerable.Range(0, 24).Select(h => h is >= 8 and <= 17 ? 20 : 0).ToArray());
        var baselines = new Dictionary<string, ActorBaseline> { ["gp-1"] = dayWorker };
        var night = View(at: new DateTimeOffset(2026, 3, 2, 2, 30, 0, TimeSpan.Zero));
        var finding = Assert.Single(PrivacyRules.OutsideUsualHours([night, View()], Day, Hour, baselines));
        Assert.Equal(PrivacySeverity.Low, finding.Severity);
        Assert.Equal([night.EventId], finding.Events.Select(e => e.EventId));
        Assert.Contains("02:00", finding.Explanation, StringComparison.Ordinal);
        Assert.Empty(PrivacyRules.OutsideUsualHours(NormalDay(), Day, Hour, baselines));

        // One hour either side of the usual day is tolerated.
        Assert.Empty(PrivacyRules.OutsideUsualHours([View(at: new DateTimeOffset(2026, 3, 2, 18, 30, 0, TimeSpan.Zero))], Day, Hour, baselines));

        // A night-shift nurse's 02:30 is usual for them.
        var nightWorker = new ActorBaseline([10], Enumerable.Range(0, 24).Select(h => h is >= 22 or <= 6 ? 20 : 0).ToArray());
        Assert.Empty(PrivacyRules.OutsideUsualHours([night], Day, Hour, new Dictionary<string, ActorBaseline> { ["gp-1"] = nightWorker }));

        // Without a baseline: 07:00-19:59.
        Assert.Single(PrivacyRules.OutsideUsualHours([night], Day, Hour, NoBaselines));
        Assert.Empty(PrivacyRules.OutsideUsualHours([View()], Day, Hour, NoBaselines));
    }

    [Fact]
    public void Repeated_denials_by_one_actor_in_a_day_are_flagged()
    {
        var three = Enumerable.Range(0, 3).Select(i => View(outcome: AuditOutcome.Denied, at: Nine.AddMinutes(i))).ToList();
        var finding = Assert.Single(PrivacyRules.RepeatedDenials(three, Day));
        Assert.Equal(PrivacySeverity.Medium, finding.Severity);
        Assert.Equal("9990000018", finding.NhsNumber);

        var ten = Enumerable.Range(0, 10).Select(i => View(nhs: $"99900000{i:00}", outcome: AuditOutcome.Denied)).ToList();
        var high = Assert.Single(PrivacyRules.RepeatedDenials(ten, Day));
        Assert.Equal(PrivacySeverity.High, high.Severity);
        Assert.Null(high.NhsNumber);

        Assert.Empty(PrivacyRules.RepeatedDenials(three.Take(2).ToList(), Day));
        Assert.Empty(PrivacyRules.RepeatedDenials(NormalDay(), Day));
    }

    [Fact]
    public void Requests_naming_a_superseded_number_are_not_counted_as_repeated_denials()
    {
        var pointers = Enumerable.Range(0, 5).Select(_ => View(outcome: AuditOutcome.Denied) with { DenialReason = AuditDenialReason.NhsNumberSuperseded }).ToList();
        Assert.Empty(PrivacyRules.RepeatedDenials(pointers, Day));
        var deceased = Enumerable.Range(0, 3).Select(_ => View(outcome: AuditOutcome.Denied) with { DenialReason = AuditDenialReason.PatientDeceased }).ToList();
        Assert.Single(PrivacyRules.RepeatedDenials(deceased, Day));
    }

    [Fact]
    public void Finding_keys_are_stable_so_a_rerun_matches_the_stored_case()
    {
        var a = Assert.Single(PrivacyRules.NoCareRelationship([View(relationship: null)], Day));
        var b = Assert.Single(PrivacyRules.NoCareRelationship([View(relationship: null, at: Nine.AddHours(1))], Day));
        Assert.Equal(a.Key, b.Key);
    }
}

public class ViewerPatientMatchingTests
{
    [Theory]
    [InlineData("O'Brien", "OBRIEN", true)]
    [InlineData("Müller", "Muller", true)]
    [InlineData("Smith-Jones", "Smith", true)]
    [InlineData("Öztürk", "ozturk", true)]
    [InlineData("Hart", "Hartley", false)]
    [InlineData("Shah", "", false)]
    [InlineData("", "", false)]
    public void Family_names_match_ignoring_case_accents_punctuation_and_double_barrelling(string a, string b, bool same) =>
        Assert.Equal(same, ViewerPatientMatching.SameFamilyName(a, b));

    [Fact]
    public void Addresses_match_on_postcode_and_first_line()
    {
        var home = new MatchableAddress { Lines = { "12 Beckett Street", "Leeds" }, Postcode = "LS9 7TF" };
        Assert.True(ViewerPatientMatching.SameAddress(home, new MatchableAddress { Lines = { "12, Beckett St" + "reet" }, Postcode = "ls97tf" }));
        Assert.False(ViewerPatientMatching.SameAddress(home, new MatchableAddress { Lines = { "14 Beckett Street" }, Postcode = "LS9 7TF" }));
        Assert.False(ViewerPatientMatching.SameAddress(home, new MatchableAddress { Lines = { "12 Beckett Street" }, Postcode = "LS8 5AB" }));
        Assert.False(ViewerPatientMatching.SameAddress(home, new MatchableAddress { Lines = { "12 Beckett Street" } }));
        Assert.False(ViewerPatientMatching.SameAddress(home, null));
    }

    [Fact]
    public void Own_record_is_the_viewers_nhs_number_and_no_context_means_no_match()
    {
        var match = ViewerPatientMatching.Compare(new ViewerPatientContext { ViewerNhsNumber = "9434765919" }, "9434765919");
        Assert.True(match!.SamePerson);
        Assert.False(ViewerPatientMatching.Compare(new ViewerPatientContext { ViewerNhsNumber = "9434765919" }, "9990000018")!.SamePerson);
        Assert.Null(ViewerPatientMatching.Compare(null, "9434765919"));
    }
}
