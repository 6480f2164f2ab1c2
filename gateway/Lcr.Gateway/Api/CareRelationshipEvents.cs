using Google.Rpc;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Records;
using Lcr.Identity.V1;

namespace Lcr.Gateway.Api;

/// <summary>
/// The audit events of a feed's care-relationship calls: one CARE_RELATIONSHIP_CHANGE event in
/// the patient's trail per call that created, changed or ended a relationship (purpose record
/// contribution, actor the system, the relationship named), and a denied one when identity
/// refuses a relationship outside the feed's organisation.
/// </summary>
public static class CareRelationshipEvents
{
    /// <summary>Identity's ErrorInfo reason for a subject outside the calling system's organisation.</summary>
    public const string OutsideOrganisation = "RELATIONSHIP_OUTSIDE_ORGANISATION";

    /// <summary>A permitted event naming the relationship as stored.</summary>
    public static AuditEvent Changed(AuditTrail audit, Actor system, CareRelationship relationship)
    {
        var e = audit.For(system, relationship.NhsNumber, AuditAction.CareRelationshipChange, PurposeOfUse.RecordContribution);
        e.CareRelationshipId = relationship.Id;
        return e;
    }

    /// <summary>An event for a refused attempt (its outcome is set when the denial is recorded).</summary>
    public static AuditEvent Attempt(AuditTrail audit, Actor system, string nhsNumber) =>
        audit.For(system, nhsNumber, AuditAction.CareRelationshipChange, PurposeOfUse.RecordContribution);

    /// <summary>Identity refused because the subject is outside the caller's organisation.</summary>
    public static bool IsOutsideOrganisation(RpcException e) =>
        e.StatusCode == StatusCode.PermissionDenied && e.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason == OutsideOrganisation;
}
