using Google.Protobuf.WellKnownTypes;
using Lcr.Audit.Application;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Audit.Tests;

/// <summary>How the audit service takes a feed's care-relationship change (issue 17), without a host.</summary>
public sealed class CareRelationshipEventTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static AuditEvent Change(AuditOutcome outcome) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        OccurrenceTime = Timestamp.FromDateTimeOffset(Now),
        Action = AuditAction.CareRelationshipChange,
        Outcome = outcome,
        DenialReason = outcome == AuditOutcome.Denied ? AuditDenialReason.OutsideOrganisation : AuditDenialReason.Unspecified,
        Actor = new Actor { Kind = ActorKind.System, Id = "00da-social-care-feed", Organisation = new OrganisationReference { OdsCode = "00DA" } },
        NhsNumber = "9434765919",
        PurposeOfUse = PurposeOfUse.RecordContribution,
    };

    private static List<string> Violations(AuditEvent e)
    {
        var v = new FieldViolations();
        EventMapping.Validate(e, "", Now, v);
        return [.. v.Items.Select(i => i.Field)];
    }

    [Fact]
    public void A_permitted_change_names_the_patient_the_purpose_and_the_relationship()
    {
        var e = Change(AuditOutcome.Permitted);
        e.CareRelationshipId = Guid.NewGuid().ToString();
        Assert.Empty(Violations(e));

        var bare = Change(AuditOutcome.Permitted);
        bare.NhsNumber = string.Empty;
        bare.PurposeOfUse = PurposeOfUse.Unspecified;
        Assert.Equal(["care_relationship_id", "nhs_number", "purpose_of_use"], Violations(bare).Order());
    }

    [Fact]
    public void A_refused_attempt_needs_no_relationship_but_a_reason()
    {
        Assert.Empty(Violations(Change(AuditOutcome.Denied)));
        var noReason = Change(AuditOutcome.Denied);
        noReason.DenialReason = AuditDenialReason.Unspecified;
        Assert.Equal(["denial_reason"], Violations(noReason));
    }
}
