using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Records;

namespace Lcr.Gateway.Tests;

/// <summary>The access scope with a token whose role profile lacks B1611 (no host).</summary>
public class SensitiveActivityUnitTests
{
    private static readonly EvaluateAccessResponse Released = new() { Decision = AccessDecision.Permit, SensitiveEntriesReleased = true };

    private static Entry Sensitive() => new()
    {
        Id = "e1",
        Category = RecordCategory.Problems,
        Sensitivity = Sensitivity.Sensitive,
        Provenance = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = "B86001" } },
    };

    [Fact]
    public void Released_sensitive_entries_are_shown_only_when_the_role_profile_does_not_withhold_them()
    {
        var allowed = new AccessScope([RecordCategory.Problems], Released);
        Assert.True(allowed.Allows(Sensitive()));
        Assert.False(RecordFilter.SummaryRequest("9000000009", allowed, [RecordCategory.Problems]).ExcludeSensitive);

        var withheld = new AccessScope([RecordCategory.Problems], Released, sensitiveWithheldByRole: true);
        Assert.False(withheld.Allows(Sensitive()));
        Assert.False(withheld.Counts(RecordCategory.Problems, "B86001", Sensitivity.Sensitive));
        Assert.True(RecordFilter.SummaryRequest("9000000009", withheld, [RecordCategory.Problems]).ExcludeSensitive);
        Assert.False(withheld.RestrictionsApply); // it would disclose that sensitive entries exist
    }
}
