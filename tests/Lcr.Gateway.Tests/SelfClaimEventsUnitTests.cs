using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Api;
using Lcr.Gateway.Records;
using Lcr.Identity.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Lcr.Gateway.Tests;

/// <summary>The self-claim audit events, without a host: one claim is always the same event.</summary>
public class SelfClaimEventsUnitTests
{
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));

    // Building events needs only the clock; nothing here commits.
    private static AuditTrail Trail() => new(null!, Clock, null!, null!, NullLogger<AuditTrail>.Instance);

    private static Actor Professional() => new() { Kind = ActorKind.Professional, Id = "prof-1", DisplayName = "Dr Sam Okoro" };

    private static CareRelationship Claim(string id = "0193a4c2-0000-7000-8000-00000000c1a1") => new()
    {
        Id = id,
        NhsNumber = "9000000009",
        Kind = CareRelationshipKind.SelfClaimed,
        ProfessionalId = "prof-1",
        StartTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 12, 7, 8, 30, 0, TimeSpan.Zero)),
        Source = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = "RR8", DisplayName = "Leeds Teaching Hospitals" } },
        SelfClaim = new SelfClaim { ReasonCode = SelfClaimReason.PatientPresented, ReasonText = "Walked into the emergency department", RoleCode = "R8000" },
    };

    [Fact]
    public void The_same_claim_makes_the_same_event_whenever_it_is_built()
    {
        var first = SelfClaimEvents.Claimed(Trail(), Professional(), Claim());
        Clock.Advance(TimeSpan.FromMinutes(7));
        var retry = SelfClaimEvents.Claimed(Trail(), Professional(), Claim());
        Assert.Equal(first, retry);
        Assert.Equal(Claim().StartTime, first.OccurrenceTime);
        Assert.Empty(first.TraceId);
        Assert.NotEqual(first.EventId, SelfClaimEvents.Claimed(Trail(), Professional(), Claim("0193a4c2-0000-7000-8000-00000000c1a2")).EventId);
    }

    [Fact]
    public void The_event_names_the_claim_and_the_organisation_and_role_it_was_made_in()
    {
        var e = SelfClaimEvents.Claimed(Trail(), Professional(), Claim());
        Assert.Equal(AuditAction.SelfClaimedRelationship, e.Action);
        Assert.Equal(AuditOutcome.Permitted, e.Outcome);
        Assert.Equal(PurposeOfUse.DirectCare, e.PurposeOfUse);
        Assert.Equal(("prof-1", "RR8", "R8000"), (e.Actor.Id, e.Actor.Organisation.OdsCode, e.Actor.RoleCode));
        Assert.Equal(CareRelationshipKind.SelfClaimed, e.CareRelationshipKind);
        Assert.Equal(AuditEvent.AccessBasisOneofCase.SelfClaim, e.AccessBasisCase);
        Assert.Equal(Claim().Id, e.SelfClaim.CareRelationshipId);
        Assert.Equal(SelfClaimReason.PatientPresented, e.SelfClaim.ReasonCode);
        var id = Guid.Parse(e.EventId);
        Assert.Equal(8, id.Version);
    }

    [Fact]
    public void A_refusal_names_the_organisation_and_role_identity_says_it_was_tried_in()
    {
        var status = new Google.Rpc.Status { Code = (int)Code.PermissionDenied, Message = "No." };
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = "SELF_CLAIMS_DISABLED", Metadata = { ["organisation_ods_code"] = "RGD", ["role_code"] = "R8001" } }));
        RpcException refusal = status.ToRpcException();
        var e = SelfClaimEvents.Refused(Trail(), Professional(), "9000000009", refusal);
        Assert.Equal(("RGD", "R8001"), (e.Actor.Organisation.OdsCode, e.Actor.RoleCode));
        Assert.Equal(AuditDenialReason.SelfClaimsDisabled, IdentityGateway.DenialReason(refusal));
        // Without ErrorInfo the reason is Other, never a guess.
        Assert.Equal(AuditDenialReason.Other, IdentityGateway.DenialReason(new RpcException(new Grpc.Core.Status(StatusCode.PermissionDenied, "x"))));
    }
}
