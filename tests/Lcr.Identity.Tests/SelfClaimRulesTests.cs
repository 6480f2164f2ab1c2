using Lcr.Common.V1;
using Lcr.Identity.Domain;

namespace Lcr.Identity.Tests;

/// <summary>The pure self-claim rules: text requirement and durations, without a host.</summary>
public sealed class SelfClaimRulesTests
{
    [Theory]
    [InlineData(SelfClaimReason.Safeguarding, "", true)]
    [InlineData(SelfClaimReason.Other, "", true)]
    [InlineData(SelfClaimReason.ReferralReceived, "", false)]
    [InlineData(SelfClaimReason.PatientPresented, "too short", true)]
    [InlineData(SelfClaimReason.Other, "Covering for a colleague on leave", false)]
    public void Text_is_required_for_safeguarding_and_other_and_ten_characters_when_given(SelfClaimReason reason, string text, bool refused) =>
        Assert.Equal(refused, SelfClaimRules.TextProblem(reason, text) is not null);

    [Fact]
    public void Text_over_a_thousand_characters_is_refused() =>
        Assert.NotNull(SelfClaimRules.TextProblem(SelfClaimReason.Safeguarding, new string('a', 1001)));

    [Fact]
    public void Default_longest_durations_follow_the_contract()
    {
        var o = new SelfClaimOptions();
        Assert.Equal(TimeSpan.FromHours(24), o.MaximumFor(SelfClaimReason.ClinicAttendanceNotYetRecorded));
        Assert.Equal(TimeSpan.FromDays(7), o.MaximumFor(SelfClaimReason.ReferralReceived));
        Assert.Equal(TimeSpan.FromHours(24), o.MaximumFor(SelfClaimReason.PatientPresented));
        Assert.Equal(TimeSpan.FromDays(30), o.MaximumFor(SelfClaimReason.Safeguarding));
        Assert.Equal(TimeSpan.FromHours(24), o.MaximumFor(SelfClaimReason.Other));
    }

    [Fact]
    public void A_configured_duration_replaces_the_default_for_its_reason_only()
    {
        var o = new SelfClaimOptions { MaximumDurations = { [SelfClaimReason.ReferralReceived] = TimeSpan.FromDays(3) } };
        Assert.Equal(TimeSpan.FromDays(3), o.MaximumFor(SelfClaimReason.ReferralReceived));
        Assert.Equal(TimeSpan.FromDays(30), o.MaximumFor(SelfClaimReason.Safeguarding));
        Assert.True(o.IsValid());
        Assert.False(new SelfClaimOptions { MaximumDurations = { [SelfClaimReason.Other] = TimeSpan.Zero } }.IsValid());
        Assert.False(new SelfClaimOptions { MaximumDurations = { [SelfClaimReason.Unspecified] = TimeSpan.FromHours(1) } }.IsValid());
    }

    [Fact]
    public void The_duration_asked_for_is_kept_up_to_the_longest_and_defaults_to_it()
    {
        var max = TimeSpan.FromHours(24);
        Assert.Equal(TimeSpan.FromHours(2), SelfClaimRules.Duration(TimeSpan.FromHours(2), max));
        Assert.Equal(max, SelfClaimRules.Duration(TimeSpan.FromDays(9), max));
        Assert.Equal(max, SelfClaimRules.Duration(null, max));
        Assert.Equal(max, SelfClaimRules.Duration(TimeSpan.Zero, max));
    }

    [Fact]
    public void Clinicians_and_social_care_may_self_claim_but_not_admin_clerical_or_ig()
    {
        var roles = new RoleCatalogue(null);
        Assert.True(roles.Find(RoleCatalogue.ClinicalPractitioner)!.SelfClaim);
        Assert.True(roles.Find(RoleCatalogue.NurseAccess)!.SelfClaim);
        Assert.True(roles.Find(RoleCatalogue.HealthProfessional)!.SelfClaim);
        Assert.True(roles.Find(RoleCatalogue.SocialCarePractitioner)!.SelfClaim);
        Assert.False(roles.Find(RoleCatalogue.AdminClinicalSupport)!.SelfClaim);
        Assert.False(roles.Find(RoleCatalogue.ClericalAccess)!.SelfClaim);
        Assert.False(roles.Find(RoleCatalogue.InformationGovernanceOfficer)!.SelfClaim);
    }
}
