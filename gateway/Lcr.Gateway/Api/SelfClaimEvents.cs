using System.Security.Cryptography;
using System.Text;
using Google.Rpc;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Records;
using Lcr.Identity.V1;

namespace Lcr.Gateway.Api;

/// <summary>
/// The audit events of ClaimCareRelationship: one SELF_CLAIMED_RELATIONSHIP event per claim
/// (purpose direct care, the professional as actor with the organisation and role they claimed
/// in, <c>self_claim</c> naming the relationship, reason and text), and a denied one per refusal.
/// A permitted claim's event is built only from the stored claim (its id is derived from the
/// relationship's, its time is the claim's start, it carries no trace id), so a retry that gets
/// the same claim back (created=false) sends the same event and audit records it once.
/// </summary>
public static class SelfClaimEvents
{
    /// <summary>The permitted event for <paramref name="claim"/>, made by <paramref name="professional"/> (from their session).</summary>
    public static AuditEvent Claimed(AuditTrail audit, Actor professional, CareRelationship claim)
    {
        var actor = professional.Clone();
        actor.Organisation = claim.Source?.SourceOrganisation?.Clone() ?? new OrganisationReference();
        actor.RoleCode = claim.SelfClaim?.RoleCode ?? string.Empty;
        var e = audit.For(actor, claim.NhsNumber, AuditAction.SelfClaimedRelationship, PurposeOfUse.DirectCare);
        e.EventId = EventIdOf(claim.Id).ToString("D");
        e.OccurrenceTime = claim.StartTime;
        e.TraceId = string.Empty;
        e.CareRelationshipKind = CareRelationshipKind.SelfClaimed;
        e.SelfClaim = new SelfClaimDetail
        {
            CareRelationshipId = claim.Id,
            ReasonCode = claim.SelfClaim?.ReasonCode ?? SelfClaimReason.Unspecified,
            ReasonText = claim.SelfClaim?.ReasonText ?? string.Empty,
        };
        return e;
    }

    /// <summary>
    /// The event of a refused claim (its outcome is set when the denial is recorded): the
    /// organisation and role identity says the claim was tried in, when it says so.
    /// </summary>
    public static AuditEvent Refused(AuditTrail audit, Actor professional, string nhsNumber, RpcException refusal)
    {
        var actor = professional.Clone();
        var info = refusal.GetRpcStatus()?.GetDetail<ErrorInfo>();
        if (info is not null && info.Metadata.TryGetValue("organisation_ods_code", out var ods))
        {
            actor.Organisation = new OrganisationReference { OdsCode = ods };
        }

        if (info is not null && info.Metadata.TryGetValue("role_code", out var role))
        {
            actor.RoleCode = role;
        }

        return audit.For(actor, nhsNumber, AuditAction.SelfClaimedRelationship, PurposeOfUse.DirectCare);
    }

    /// <summary>A stable UUID (version 8, name-based on SHA-256) for the audit event of one claim.</summary>
    public static Guid EventIdOf(string relationshipId)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("lcr-gateway/self-claimed-relationship/" + relationshipId)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
