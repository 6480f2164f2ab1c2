using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Patients;
using Lcr.Gateway.Records;

namespace Lcr.Gateway.Tests.Patients;

/// <summary>The pure rules of issue 21 at the gateway: deceased access, the superseded pointer, resolution sets, event ids, log lines.</summary>
public class PatientRulesUnitTests
{
    private static readonly Date Died = new() { Year = 2026, Month = 11, Day = 3 };

    [Fact]
    public void The_notice_says_when_the_patient_died_in_words()
    {
        var notice = DeceasedRule.Notice(Died);
        Assert.Equal("This patient died on 3 November 2026.", notice.Message);
        Assert.Equal(Died, notice.DeathDate);
    }

    [Theory]
    [InlineData("2026-11-03T23:59:59Z", false)] // the day of death
    [InlineData("2026-12-03T23:59:59Z", false)] // within 30 days after it
    [InlineData("2026-12-04T00:00:00Z", true)]  // the day after death plus 30 days
    public void Direct_care_ends_the_configured_period_after_the_day_of_death(string now, bool ended) =>
        Assert.Equal(ended, DeceasedRule.CareHasEnded(Died, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromDays(30)));

    [Theory]
    [InlineData(PurposeOfUse.DirectCare, true)]
    [InlineData(PurposeOfUse.EmergencyCare, true)]
    [InlineData(PurposeOfUse.InformationGovernance, false)]
    [InlineData(PurposeOfUse.SubjectAccessRequest, false)]
    public void Only_direct_and_emergency_care_end_after_death(PurposeOfUse purpose, bool refused) =>
        Assert.Equal(refused, DeceasedRule.Refuses(Died, purpose, new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), TimeSpan.FromDays(90)));

    [Fact]
    public void A_living_patient_and_an_impossible_date_are_told_apart()
    {
        Assert.False(DeceasedRule.Refuses(null, PurposeOfUse.DirectCare, DateTimeOffset.UtcNow, TimeSpan.Zero));
        Assert.True(DeceasedRule.CareHasEnded(new Date { Year = 2026, Month = 2, Day = 30 }, DateTimeOffset.MinValue.AddYears(2000), TimeSpan.FromDays(90)));
    }

    [Fact]
    public void The_period_is_validated()
    {
        Assert.True(new DeceasedOptions().IsValid);
        Assert.False(new DeceasedOptions { CareContinuesFor = TimeSpan.FromDays(-1) }.IsValid);
        Assert.False(new DeceasedOptions { CareContinuesFor = TimeSpan.FromDays(4000) }.IsValid);
    }

    [Fact]
    public void The_pointer_carries_the_current_number_in_metadata_never_in_the_message()
    {
        var refusal = SupersededNumber.Refusal("9434765919");
        Assert.Equal("NHS_NUMBER_SUPERSEDED", refusal.Reason);
        Assert.Equal("9434765919", refusal.Metadata["current_nhs_number"]);
        Assert.DoesNotContain("9434765919", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_resolution_includes_the_current_and_merged_numbers_only()
    {
        var r = new PatientResolution("9434765919", "9434765919", false, ["9434765870"], null, true);
        Assert.True(r.Includes("9434765919"));
        Assert.True(r.Includes("9434765870"));
        Assert.False(r.Includes("9000000009"));
        Assert.False(r.Includes(null));
        Assert.True(r.Merged);
        Assert.False(PatientResolution.Unmerged("9434765919").Merged);
    }

    [Fact]
    public void Supersession_event_ids_are_stable_per_supersession_action_and_number()
    {
        var a = SupersessionEvents.EventIdOf("s1", AuditAction.NhsNumberSuperseded, "9434765919");
        Assert.Equal(a, SupersessionEvents.EventIdOf("s1", AuditAction.NhsNumberSuperseded, "9434765919"));
        Assert.NotEqual(a, SupersessionEvents.EventIdOf("s1", AuditAction.NhsNumberSupersessionWithdrawn, "9434765919"));
        Assert.NotEqual(a, SupersessionEvents.EventIdOf("s1", AuditAction.NhsNumberSuperseded, "9434765870"));
        Assert.NotEqual(a, SupersessionEvents.EventIdOf("s2", AuditAction.NhsNumberSuperseded, "9434765919"));
    }

    [Fact]
    public void A_log_line_of_a_merged_number_names_the_number_it_was_recorded_under()
    {
        var e = new AuditEvent { NhsNumber = "9434765870", Action = AuditAction.ViewSummary, Outcome = AuditOutcome.Permitted };
        Assert.Equal("9434765870", AccessLogLine.From(e, "9434765919").RecordedUnderNhsNumber);
        Assert.Equal(string.Empty, AccessLogLine.From(e, "9434765870").RecordedUnderNhsNumber);
    }
}
