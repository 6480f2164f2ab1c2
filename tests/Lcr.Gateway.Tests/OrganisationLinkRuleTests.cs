using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Api;

namespace Lcr.Gateway.Tests;

/// <summary>The organisation-link rule and the token-refusal reason mapping, without a host.</summary>
public class OrganisationLinkRuleTests
{
    private static Patient RegisteredAt(string ods) => new() { RegisteredPractice = new OrganisationReference { OdsCode = ods } };

    private static PatientVersion RecordedFor(string ods) => new() { ChangedBy = new Actor { Organisation = new OrganisationReference { OdsCode = ods } } };

    [Fact]
    public void Nothing_links_an_organisation_to_a_patient_it_never_touched()
    {
        Assert.False(OrganisationLinkRule.IsLinked("B86001", RegisteredAt("B86002"), [RecordedFor("B86002"), RecordedFor("LCR")], false, false));
        Assert.False(OrganisationLinkRule.IsLinked("B86001", null, [], false, false));
    }

    [Theory]
    [InlineData("registered")]
    [InlineData("recorded")]
    [InlineData("contributed")]
    [InlineData("relationship")]
    public void Each_kind_of_fact_links_on_its_own(string fact)
    {
        var linked = OrganisationLinkRule.IsLinked("B86001",
            fact == "registered" ? RegisteredAt("b86001") : RegisteredAt("B86002"),
            fact == "recorded" ? [RecordedFor("B86002"), RecordedFor("B86001")] : [RecordedFor("B86002")],
            contributedEntries: fact == "contributed",
            careRelationship: fact == "relationship");
        Assert.True(linked);
    }

    [Fact]
    public void An_empty_organisation_is_never_linked_even_to_a_patient_with_no_practice()
    {
        Assert.False(OrganisationLinkRule.IsLinked("", new Patient(), [new PatientVersion()], false, false));
    }

    [Fact]
    public void Only_the_configured_platform_organisations_act_for_everyone()
    {
        var options = new GovernanceOptions();
        options.PlatformGovernanceOrganisations.Add("LCR01");
        Assert.True(OrganisationLinkRule.ActsForEveryone("lcr01", options));
        Assert.False(OrganisationLinkRule.ActsForEveryone("B86001", options));
        Assert.False(OrganisationLinkRule.ActsForEveryone("", options));
    }

    private static RpcException Refusal(string? reason)
    {
        var status = new Google.Rpc.Status { Code = (int)StatusCode.PermissionDenied, Message = "refused" };
        if (reason is not null)
        {
            status.Details.Add(Google.Protobuf.WellKnownTypes.Any.Pack(new ErrorInfo { Reason = reason, Domain = "lcr.leeds.nhs.uk" }));
        }

        return status.ToRpcException();
    }

    [Theory]
    [InlineData("NO_CARE_RELATIONSHIP", AuditDenialReason.NoCareRelationship)]
    [InlineData("PURPOSE_NOT_PERMITTED", AuditDenialReason.PurposeNotPermitted)]
    [InlineData("NO_ACTIVE_ROLE", AuditDenialReason.NoActiveRole)]
    [InlineData("EMERGENCY_ACCESS_NOT_PERMITTED", AuditDenialReason.EmergencyAccessNotPermitted)]
    [InlineData("ORGANISATION_NOT_LINKED", AuditDenialReason.OrganisationNotLinked)]
    [InlineData("SOMETHING_ELSE", AuditDenialReason.Other)]
    [InlineData(null, AuditDenialReason.Other)]
    public void Identitys_refusal_reason_maps_to_the_audit_denial_reason(string? reason, AuditDenialReason expected) =>
        Assert.Equal(expected, IdentityGateway.DenialReason(Refusal(reason)));
}
