using Lcr.Common.V1;
using Lcr.Consent.Domain;
using Lcr.Consent.V1;

namespace Lcr.Consent.Tests;

/// <summary>The merged-record decision as a table: each number's outcome in, the stricter combined outcome out.</summary>
public class MergedAccessCombinerTests
{
    private static AccessOutcome Permit(long version = 3, string[]? orgs = null, RecordCategory[]? categories = null, string[]? entries = null,
        bool released = false, bool sealedRecord = false, bool named = false, bool review = false) =>
        new(AccessDecision.Permit, AccessDecisionReason.NoRestrictions, orgs ?? [], categories ?? [], entries ?? [], released, version,
            sealedRecord, named, review);

    private static AccessOutcome Deny(AccessDecisionReason reason, long version = 3) =>
        new(AccessDecision.Deny, reason, [], [], [], false, version);

    [Fact]
    public void No_merged_numbers_gives_the_own_outcome_unchanged()
    {
        var own = Permit(orgs: ["RGD"], released: true);
        Assert.Same(own, MergedAccessCombiner.Combine(own, []));
    }

    [Theory]
    [InlineData(AccessDecisionReason.PatientOptedOut)]
    [InlineData(AccessDecisionReason.ProfessionalBlocked)]
    [InlineData(AccessDecisionReason.OrganisationBlocked)]
    public void A_denial_under_the_merged_number_denies_the_record_with_the_own_version(AccessDecisionReason reason)
    {
        var combined = MergedAccessCombiner.Combine(Permit(version: 5, orgs: ["RGD"]), [Deny(reason, version: 9)]);
        Assert.Equal(AccessDecision.Deny, combined.Decision);
        Assert.Equal(reason, combined.Reason);
        Assert.Equal(5, combined.ConsentVersion);
        Assert.Empty(combined.WithheldOrganisations);
        Assert.False(combined.SensitiveEntriesReleased);
    }

    [Fact]
    public void Opt_out_is_reported_before_a_block_whichever_number_holds_it()
    {
        Assert.Equal(AccessDecisionReason.PatientOptedOut,
            MergedAccessCombiner.Combine(Deny(AccessDecisionReason.ProfessionalBlocked), [Deny(AccessDecisionReason.PatientOptedOut)]).Reason);
        Assert.Equal(AccessDecisionReason.ProfessionalBlocked,
            MergedAccessCombiner.Combine(Deny(AccessDecisionReason.OrganisationBlocked), [Permit(), Deny(AccessDecisionReason.ProfessionalBlocked)]).Reason);
    }

    [Fact]
    public void Withheld_lists_are_the_union_sorted_and_distinct()
    {
        var combined = MergedAccessCombiner.Combine(
            Permit(orgs: ["RR8"], categories: [RecordCategory.Documents], entries: ["b"]),
            [Permit(orgs: ["RGD", "RR8"], categories: [RecordCategory.Problems, RecordCategory.Documents]), Permit(entries: ["a", "b"])]);
        Assert.Equal(AccessDecision.Permit, combined.Decision);
        Assert.Equal(AccessDecisionReason.RestrictionsApplied, combined.Reason);
        Assert.Equal(["RGD", "RR8"], combined.WithheldOrganisations);
        Assert.Equal([RecordCategory.Problems, RecordCategory.Documents], combined.WithheldCategories);
        Assert.Equal(["a", "b"], combined.WithheldEntryIds);
    }

    [Fact]
    public void A_restriction_under_the_merged_number_alone_makes_the_reason_restrictions_applied()
    {
        var combined = MergedAccessCombiner.Combine(Permit(), [Permit(categories: [RecordCategory.Medications])]);
        Assert.Equal(AccessDecisionReason.RestrictionsApplied, combined.Reason);
        Assert.Equal(AccessDecisionReason.NoRestrictions, MergedAccessCombiner.Combine(Permit(), [Permit()]).Reason);
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, false)]
    public void Sensitive_entries_are_released_only_when_every_number_released_them(bool own, bool merged, bool expected) =>
        Assert.Equal(expected, MergedAccessCombiner.Combine(Permit(released: own), [Permit(released: merged)]).SensitiveEntriesReleased);

    [Theory]
    [InlineData(false, false, false, false, false, false)]
    [InlineData(true, true, false, false, true, true)]
    [InlineData(false, false, true, false, true, false)]
    [InlineData(true, true, true, false, true, false)]
    [InlineData(true, true, true, true, true, true)]
    [InlineData(true, false, true, true, true, false)]
    public void Sealed_when_any_number_is_and_named_only_on_every_seal(
        bool ownSealed, bool ownNamed, bool mergedSealed, bool mergedNamed, bool expectSealed, bool expectNamed)
    {
        var combined = MergedAccessCombiner.Combine(
            Permit(sealedRecord: ownSealed, named: ownNamed), [Permit(sealedRecord: mergedSealed, named: mergedNamed)]);
        Assert.Equal(expectSealed, combined.Sealed);
        Assert.Equal(expectNamed, combined.ViewerNamedOnSeal);
    }

    [Fact]
    public void Seal_and_review_are_reported_with_a_denial_too()
    {
        var combined = MergedAccessCombiner.Combine(Permit(review: true), [Deny(AccessDecisionReason.PatientOptedOut) with { Sealed = true }]);
        Assert.Equal(AccessDecision.Deny, combined.Decision);
        Assert.True(combined.Sealed);
        Assert.False(combined.ViewerNamedOnSeal);
        Assert.True(combined.AccessLogUnderReview);
    }
}
