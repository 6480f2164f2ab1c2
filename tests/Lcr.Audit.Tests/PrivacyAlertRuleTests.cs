using Lcr.Audit.Domain;
using Lcr.Audit.Persistence;
using Lcr.Audit.V1;
using Lcr.Common.V1;

namespace Lcr.Audit.Tests;

/// <summary>The pure rules: which events raise which alerts, and which decisions may follow which.</summary>
public class PrivacyAlertRuleTests
{
    private static AuditEventRow Row(AuditAction action, AuditOutcome outcome = AuditOutcome.Permitted) => new()
    {
        EventId = Guid.NewGuid(),
        Action = (int)action,
        Outcome = (int)outcome,
        ActorId = "prof-1",
        ActorOds = "RR8",
        AccessTokenId = "jti-1",
        ChainHash = [],
        PreviousChainHash = [],
    };

    [Fact]
    public void An_ordinary_view_raises_nothing()
    {
        Assert.Empty(PrivacyAlerts.RaisedBy(Row(AuditAction.ViewSummary)));
    }

    [Fact]
    public void Emergency_access_and_emergency_reads_share_one_key_per_token()
    {
        var issued = Row(AuditAction.EmergencyAccess);
        issued.EmergencyReasonCode = (int)EmergencyAccessReason.ClinicalEmergency;
        var read = Row(AuditAction.ViewSummary);
        read.EmergencyReasonCode = (int)EmergencyAccessReason.ClinicalEmergency;
        var a = Assert.Single(PrivacyAlerts.RaisedBy(issued));
        var b = Assert.Single(PrivacyAlerts.RaisedBy(read));
        Assert.Equal((PrivacyRule.EmergencyAccess, PrivacySeverity.High), (a.Rule, a.Severity));
        Assert.Equal(a.Key, b.Key);
        Assert.Contains(a.Key, PrivacyAlerts.EmergencyKeysCovering("jti-1", Guid.NewGuid()));

        issued.Outcome = (int)AuditOutcome.Denied;
        Assert.Empty(PrivacyAlerts.RaisedBy(issued));
    }

    [Fact]
    public void Sealed_break_glass_raises_the_sealed_emergency_alert_instead_of_the_plain_one()
    {
        var e = Row(AuditAction.EmergencyAccess);
        e.EmergencyReasonCode = (int)EmergencyAccessReason.ClinicalEmergency;
        e.SealedViewerNamed = false;
        e.SealedBreakGlassJustification = "Collapsed in the emergency department";
        var alert = Assert.Single(PrivacyAlerts.RaisedBy(e));
        Assert.Equal((PrivacyRule.SealedRecordEmergencyAccess, PrivacySeverity.High), (alert.Rule, alert.Severity));
        Assert.DoesNotContain("Collapsed", alert.Explanation, StringComparison.Ordinal);
        Assert.Contains(alert.Key, PrivacyAlerts.EmergencyKeysCovering("jti-1", e.EventId));
    }

    [Fact]
    public void A_named_viewer_raises_a_low_alert_only_for_views()
    {
        var view = Row(AuditAction.ViewEntry);
        view.SealedViewerNamed = true;
        var alert = Assert.Single(PrivacyAlerts.RaisedBy(view));
        Assert.Equal((PrivacyRule.SealedRecordAccess, PrivacySeverity.Low), (alert.Rule, alert.Severity));

        var token = Row(AuditAction.TokenIssued);
        token.SealedViewerNamed = true;
        Assert.Empty(PrivacyAlerts.RaisedBy(token));
    }

    [Fact]
    public void Self_claims_are_keyed_by_relationship_and_seals_only_when_automatic()
    {
        var claim = Row(AuditAction.SelfClaimedRelationship);
        claim.SelfClaimRelationshipId = "rel-1";
        claim.SelfClaimReasonCode = (int)SelfClaimReason.Safeguarding;
        claim.SelfClaimReasonText = "Concern raised by the school nurse";
        var other = Row(AuditAction.SelfClaimedRelationship);
        other.SelfClaimRelationshipId = "rel-1";
        var a = Assert.Single(PrivacyAlerts.RaisedBy(claim));
        Assert.Equal((PrivacyRule.SelfClaimedRelationship, PrivacySeverity.Medium), (a.Rule, a.Severity));
        Assert.Equal(a.Key, Assert.Single(PrivacyAlerts.RaisedBy(other)).Key);
        Assert.DoesNotContain("school", a.Explanation, StringComparison.Ordinal);

        var manual = Row(AuditAction.RecordSealed);
        manual.SealReason = (int)SealReason.HighProfile;
        manual.SealAutomatic = false;
        Assert.Empty(PrivacyAlerts.RaisedBy(manual));
        manual.SealAutomatic = true;
        manual.SealDistinctViewers = 12;
        var surge = Assert.Single(PrivacyAlerts.RaisedBy(manual));
        Assert.Equal((PrivacyRule.ViewSurge, PrivacySeverity.High), (surge.Rule, surge.Severity));
    }

    [Theory]
    [InlineData(PrivacyReviewCaseStatus.Open, PrivacyReviewCaseStatus.FlaggedForInvestigation, true)]
    [InlineData(PrivacyReviewCaseStatus.Open, PrivacyReviewCaseStatus.Escalated, true)]
    [InlineData(PrivacyReviewCaseStatus.Open, PrivacyReviewCaseStatus.Justified, true)]
    [InlineData(PrivacyReviewCaseStatus.Open, PrivacyReviewCaseStatus.Breach, true)]
    [InlineData(PrivacyReviewCaseStatus.FlaggedForInvestigation, PrivacyReviewCaseStatus.Escalated, true)]
    [InlineData(PrivacyReviewCaseStatus.FlaggedForInvestigation, PrivacyReviewCaseStatus.Justified, true)]
    [InlineData(PrivacyReviewCaseStatus.FlaggedForInvestigation, PrivacyReviewCaseStatus.Breach, true)]
    [InlineData(PrivacyReviewCaseStatus.FlaggedForInvestigation, PrivacyReviewCaseStatus.Open, false)]
    [InlineData(PrivacyReviewCaseStatus.Escalated, PrivacyReviewCaseStatus.Justified, true)]
    [InlineData(PrivacyReviewCaseStatus.Escalated, PrivacyReviewCaseStatus.Breach, true)]
    [InlineData(PrivacyReviewCaseStatus.Escalated, PrivacyReviewCaseStatus.FlaggedForInvestigation, false)]
    [InlineData(PrivacyReviewCaseStatus.Escalated, PrivacyReviewCaseStatus.Open, false)]
    [InlineData(PrivacyReviewCaseStatus.Justified, PrivacyReviewCaseStatus.Breach, false)]
    [InlineData(PrivacyReviewCaseStatus.Breach, PrivacyReviewCaseStatus.Escalated, false)]
    public void Transitions(PrivacyReviewCaseStatus from, PrivacyReviewCaseStatus to, bool allowed)
    {
        Assert.Equal(allowed, CaseTransitions.CanMove(from, to));
        Assert.Equal(!CaseTransitions.IsClosed(from), CaseTransitions.IsOpen(from));
    }
}
