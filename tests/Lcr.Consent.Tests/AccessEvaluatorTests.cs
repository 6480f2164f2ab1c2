using Lcr.Common.V1;
using Lcr.Consent.Domain;
using Lcr.Consent.V1;

namespace Lcr.Consent.Tests;

/// <summary>The access decision as a table: consent state x viewer -> decision, reason and what is withheld.</summary>
public class AccessEvaluatorTests
{
    private const string Viewer = "7d1e5b8a-2c4f-4a9e-8b3d-6f0a1c2e3d4b";
    private const string Entry = "0f9e8d7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b";
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static SnapshotRestriction R(TargetKind kind, string value = "", DateTimeOffset? end = null) => new(kind, value, end);

    private static SnapshotRestriction Category(RecordCategory c, DateTimeOffset? end = null) =>
        R(TargetKind.WithheldCategory, ((int)c).ToString(System.Globalization.CultureInfo.InvariantCulture), end);

    private static ConsentSnapshot State(bool optedOut, params SnapshotRestriction[] restrictions) => new(7, optedOut, restrictions);

    private static AccessQuery Query(string org = "RR8", bool emergency = false, string viewer = Viewer, params RecordCategory[] categories) =>
        new(viewer, org, categories, emergency);

    /// <summary>Name, state, query, expected decision, reason, withheld orgs, categories, entries, sensitive released.</summary>
    public static TheoryData<string, ConsentSnapshot, AccessQuery, AccessDecision, AccessDecisionReason, string[], RecordCategory[], string[], bool> Table => new()
    {
        { "no consent record", ConsentSnapshot.None, Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "no consent record, emergency", ConsentSnapshot.None, Query(emergency: true), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "opted out", State(true), Query(), AccessDecision.Deny, AccessDecisionReason.PatientOptedOut, [], [], [], false },
        { "opted out + emergency", State(true), Query(emergency: true), AccessDecision.Deny, AccessDecisionReason.PatientOptedOut, [], [], [], false },
        { "opted out wins over a release", State(true, R(TargetKind.SensitiveEntriesRelease)), Query(), AccessDecision.Deny, AccessDecisionReason.PatientOptedOut, [], [], [], false },
        { "withheld organisation", State(false, R(TargetKind.WithheldOrganisation, "RGD")), Query(), AccessDecision.Permit, AccessDecisionReason.RestrictionsApplied, ["RGD"], [], [], false },
        { "withheld organisation, emergency", State(false, R(TargetKind.WithheldOrganisation, "RGD")), Query(emergency: true), AccessDecision.Permit, AccessDecisionReason.RestrictionsApplied, ["RGD"], [], [], false },
        { "withheld category, all requested", State(false, Category(RecordCategory.Documents)), Query(), AccessDecision.Permit, AccessDecisionReason.RestrictionsApplied, [], [RecordCategory.Documents], [], false },
        { "withheld category requested", State(false, Category(RecordCategory.Documents)), Query(categories: [RecordCategory.Documents, RecordCategory.Problems]), AccessDecision.Permit, AccessDecisionReason.RestrictionsApplied, [], [RecordCategory.Documents], [], false },
        { "withheld category not requested", State(false, Category(RecordCategory.Documents)), Query(categories: [RecordCategory.Problems]), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "withheld entry", State(false, R(TargetKind.WithheldEntry, Entry)), Query(), AccessDecision.Permit, AccessDecisionReason.RestrictionsApplied, [], [], [Entry], false },
        { "blocked professional", State(false, R(TargetKind.BlockedProfessional, Viewer)), Query(), AccessDecision.Deny, AccessDecisionReason.ProfessionalBlocked, [], [], [], false },
        { "blocked professional, emergency", State(false, R(TargetKind.BlockedProfessional, Viewer)), Query(emergency: true), AccessDecision.Deny, AccessDecisionReason.ProfessionalBlocked, [], [], [], false },
        { "blocked professional, upper-case id", State(false, R(TargetKind.BlockedProfessional, Viewer)), Query(viewer: Viewer.ToUpperInvariant()), AccessDecision.Deny, AccessDecisionReason.ProfessionalBlocked, [], [], [], false },
        { "another professional blocked", State(false, R(TargetKind.BlockedProfessional, Entry)), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "blocked organisation", State(false, R(TargetKind.BlockedOrganisation, "RR8")), Query(), AccessDecision.Deny, AccessDecisionReason.OrganisationBlocked, [], [], [], false },
        { "blocked organisation, emergency", State(false, R(TargetKind.BlockedOrganisation, "RR8")), Query(emergency: true), AccessDecision.Deny, AccessDecisionReason.OrganisationBlocked, [], [], [], false },
        { "another organisation blocked", State(false, R(TargetKind.BlockedOrganisation, "RGD")), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "professional block reported before organisation block", State(false, R(TargetKind.BlockedOrganisation, "RR8"), R(TargetKind.BlockedProfessional, Viewer)), Query(), AccessDecision.Deny, AccessDecisionReason.ProfessionalBlocked, [], [], [], false },
        { "sensitive without explicit consent", State(false), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "sensitive with explicit consent", State(false, R(TargetKind.SensitiveEntriesRelease)), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], true },
        { "sensitive release expired", State(false, R(TargetKind.SensitiveEntriesRelease, end: Now)), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "expired withheld organisation", State(false, R(TargetKind.WithheldOrganisation, "RGD", Now.AddDays(-1))), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "expired block", State(false, R(TargetKind.BlockedProfessional, Viewer, Now)), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, [], [], [], false },
        { "block ending in the future", State(false, R(TargetKind.BlockedProfessional, Viewer, Now.AddTicks(1))), Query(), AccessDecision.Deny, AccessDecisionReason.ProfessionalBlocked, [], [], [], false },
        { "everything withheld at once, sorted and distinct", State(false, R(TargetKind.WithheldOrganisation, "RY6"), R(TargetKind.WithheldOrganisation, "RGD"), R(TargetKind.WithheldOrganisation, "RGD"), Category(RecordCategory.TestResults), Category(RecordCategory.Documents), R(TargetKind.WithheldEntry, Entry), R(TargetKind.SensitiveEntriesRelease)), Query(), AccessDecision.Permit, AccessDecisionReason.RestrictionsApplied, ["RGD", "RY6"], [RecordCategory.TestResults, RecordCategory.Documents], [Entry], true },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Decision_table(string name, ConsentSnapshot state, AccessQuery query, AccessDecision decision, AccessDecisionReason reason,
        string[] organisations, RecordCategory[] categories, string[] entries, bool released)
    {
        var outcome = AccessEvaluator.Evaluate(state, query, Now);
        Assert.True(decision == outcome.Decision, $"{name}: decision {outcome.Decision}");
        Assert.True(reason == outcome.Reason, $"{name}: reason {outcome.Reason}");
        Assert.Equal(organisations, outcome.WithheldOrganisations);
        Assert.Equal(categories.Order(), outcome.WithheldCategories.Order());
        Assert.Equal(entries, outcome.WithheldEntryIds);
        Assert.Equal(released, outcome.SensitiveEntriesReleased);
        Assert.Equal(state.Version, outcome.ConsentVersion);
    }

    [Fact]
    public void A_denial_withholds_nothing_because_nothing_may_be_shown()
    {
        var outcome = AccessEvaluator.Evaluate(State(true, R(TargetKind.WithheldOrganisation, "RGD"), Category(RecordCategory.Documents)), Query(), Now);
        Assert.Equal(AccessDecision.Deny, outcome.Decision);
        Assert.Empty(outcome.WithheldOrganisations);
        Assert.Empty(outcome.WithheldCategories);
    }

    [Fact]
    public void Demographics_are_never_listed_as_withheld()
    {
        var outcome = AccessEvaluator.Evaluate(State(false, Category(RecordCategory.Demographics)), Query(categories: [RecordCategory.Demographics]), Now);
        Assert.Empty(outcome.WithheldCategories);
    }

    private const string Team = "RGD:CMHT-NORTH";

    private static ConsentSnapshot Sealed(bool optedOut = false, bool review = false, params SnapshotRestriction[] restrictions) =>
        new(7, optedOut, restrictions, new SnapshotSeal([Viewer], [Team]), review);

    /// <summary>Name, state, query, expected decision, reason, sealed, viewer named, access log under review.</summary>
    public static TheoryData<string, ConsentSnapshot, AccessQuery, AccessDecision, AccessDecisionReason, bool, bool, bool> SealTable => new()
    {
        { "not sealed", State(false), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, false, false, false },
        { "not sealed, a team given", State(false), Query() with { ViewerTeam = Team }, AccessDecision.Permit, AccessDecisionReason.NoRestrictions, false, false, false },
        { "sealed, named professional", Sealed(), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, true, false },
        { "sealed, named professional in upper case", Sealed(), Query(viewer: Viewer.ToUpperInvariant()), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, true, false },
        { "sealed, named team", Sealed(), Query(viewer: Entry) with { ViewerTeam = Team }, AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, true, false },
        { "sealed, named team in lower case", Sealed(), Query(viewer: Entry) with { ViewerTeam = Team.ToLowerInvariant() }, AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, true, false },
        { "sealed, another team", Sealed(), Query(viewer: Entry) with { ViewerTeam = "RGD:OTHER" }, AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, false, false },
        { "sealed, neither named", Sealed(), Query(viewer: Entry), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, false, false },
        { "sealed, neither named, emergency", Sealed(), Query(viewer: Entry, emergency: true), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, false, false },
        { "sealed naming nobody (automatic)", new ConsentSnapshot(3, false, [], new SnapshotSeal([], []), false), Query() with { ViewerTeam = Team }, AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, false, false },
        { "sealed and opted out: still denied", Sealed(optedOut: true), Query(), AccessDecision.Deny, AccessDecisionReason.PatientOptedOut, true, true, false },
        { "sealed and named professional blocked: still denied", Sealed(restrictions: R(TargetKind.BlockedProfessional, Viewer)), Query(), AccessDecision.Deny, AccessDecisionReason.ProfessionalBlocked, true, true, false },
        { "sealed and named team's organisation blocked: still denied", Sealed(restrictions: R(TargetKind.BlockedOrganisation, "RGD")), Query(viewer: Entry, org: "RGD") with { ViewerTeam = Team }, AccessDecision.Deny, AccessDecisionReason.OrganisationBlocked, true, true, false },
        { "sealed with restrictions, named", Sealed(restrictions: R(TargetKind.WithheldOrganisation, "RY6")), Query(), AccessDecision.Permit, AccessDecisionReason.RestrictionsApplied, true, true, false },
        { "access log under review", new ConsentSnapshot(2, false, [], null, true), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, false, false, true },
        { "access log under review, opted out", new ConsentSnapshot(2, true, [], null, true), Query(), AccessDecision.Deny, AccessDecisionReason.PatientOptedOut, false, false, true },
        { "sealed and under review", Sealed(review: true), Query(), AccessDecision.Permit, AccessDecisionReason.NoRestrictions, true, true, true },
    };

    [Theory]
    [MemberData(nameof(SealTable))]
    public void Seal_and_review_table(string name, ConsentSnapshot state, AccessQuery query, AccessDecision decision, AccessDecisionReason reason,
        bool isSealed, bool named, bool underReview)
    {
        var outcome = AccessEvaluator.Evaluate(state, query, Now);
        Assert.True(decision == outcome.Decision, $"{name}: decision {outcome.Decision}");
        Assert.True(reason == outcome.Reason, $"{name}: reason {outcome.Reason}");
        Assert.True(isSealed == outcome.Sealed, $"{name}: sealed {outcome.Sealed}");
        Assert.True(named == outcome.ViewerNamedOnSeal, $"{name}: named {outcome.ViewerNamedOnSeal}");
        Assert.True(underReview == outcome.AccessLogUnderReview, $"{name}: under review {outcome.AccessLogUnderReview}");
    }
}
