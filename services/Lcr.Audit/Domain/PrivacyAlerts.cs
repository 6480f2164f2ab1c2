using System.Globalization;
using Lcr.Audit.Persistence;
using Lcr.Audit.V1;
using Lcr.Common.V1;

namespace Lcr.Audit.Domain;

/// <summary>An alert an event raises as it is recorded: a case keyed so that one access token (or relationship) has one case.</summary>
public sealed record RaisedAlert(PrivacyRule Rule, PrivacySeverity Severity, string Key, string Explanation);

/// <summary>
/// The privacy alerts raised at access: pure rules over one event as recorded. The case goes to
/// the privacy officer of the event's acting organisation. Explanations never carry free text
/// (the reasons stay on the events, which the case lists).
/// </summary>
public static class PrivacyAlerts
{
    /// <summary>The alerts <paramref name="e"/> raises (none for an ordinary view, nor for anything denied).</summary>
    public static IReadOnlyList<RaisedAlert> RaisedBy(AuditEventRow e)
    {
        if (e.Outcome != (int)AuditOutcome.Permitted)
        {
            return [];
        }

        var action = (AuditAction)e.Action;
        var token = TokenOf(e.AccessTokenId, e.EventId);
        var alerts = new List<RaisedAlert>(2);
        if (action == AuditAction.RecordSealed && e.SealAutomatic == true)
        {
            alerts.Add(new RaisedAlert(PrivacyRule.ViewSurge, PrivacySeverity.High,
                Key(PrivacyRule.ViewSurge, "event", e.EventId.ToString("D")),
                string.Create(CultureInfo.InvariantCulture,
                    $"The platform sealed the record automatically after {e.SealDistinctViewers ?? 0} distinct professionals viewed it within the surge window; review and unseal it when appropriate.")));
        }

        if (action == AuditAction.SelfClaimedRelationship && e.SelfClaimRelationshipId is not null)
        {
            alerts.Add(new RaisedAlert(PrivacyRule.SelfClaimedRelationship, PrivacySeverity.Medium,
                Key(PrivacyRule.SelfClaimedRelationship, "relationship", e.SelfClaimRelationshipId),
                $"The professional claimed a care relationship themselves; coded reason {Name((SelfClaimReason)(e.SelfClaimReasonCode ?? 0))}."));
        }

        var emergency = action == AuditAction.EmergencyAccess || e.EmergencyReasonCode is not null;
        if (e.SealedBreakGlassJustification is not null)
        {
            // The stronger alert stands for the plain emergency one: one case per break-glass into a sealed record.
            alerts.Add(new RaisedAlert(PrivacyRule.SealedRecordEmergencyAccess, PrivacySeverity.High,
                Key(PrivacyRule.SealedRecordEmergencyAccess, "token", token),
                "Emergency (break-glass) access into a sealed record, with a sealed-record justification."));
        }
        else if (emergency)
        {
            alerts.Add(new RaisedAlert(PrivacyRule.EmergencyAccess, PrivacySeverity.High,
                Key(PrivacyRule.EmergencyAccess, "token", token),
                $"Emergency (break-glass) access; coded reason {(e.EmergencyReasonCode is { } r ? Name((EmergencyAccessReason)r) : "not given")}."));
        }

        if (e.SealedViewerNamed == true && PrivacyRules.IsRecordView(action))
        {
            alerts.Add(new RaisedAlert(PrivacyRule.SealedRecordAccess, PrivacySeverity.Low,
                Key(PrivacyRule.SealedRecordAccess, "token", token),
                "A professional named on the seal viewed the sealed record."));
        }

        return alerts;
    }

    /// <summary>
    /// The keys of the cases raised at access that already cover an emergency access found by a
    /// review run (so the run does not raise it a second time).
    /// </summary>
    public static IReadOnlyList<string> EmergencyKeysCovering(string? accessTokenId, Guid eventId)
    {
        var token = TokenOf(accessTokenId, eventId);
        return [Key(PrivacyRule.EmergencyAccess, "token", token), Key(PrivacyRule.SealedRecordEmergencyAccess, "token", token)];
    }

    private static string TokenOf(string? accessTokenId, Guid eventId) =>
        string.IsNullOrEmpty(accessTokenId) ? "event:" + eventId.ToString("D") : accessTokenId;

    /// <summary>A raised-at-access key: never the shape of a review run's key (rule|actor|patient|day).</summary>
    private static string Key(PrivacyRule rule, string kind, string id) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)rule}|at-access|{kind}|{id}");

    private static string Name<T>(T value) where T : struct, Enum =>
        Enum.IsDefined(value) ? value.ToString() : "not given";
}
