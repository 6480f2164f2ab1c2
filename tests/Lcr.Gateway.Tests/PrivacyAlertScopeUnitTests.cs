using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Access;

namespace Lcr.Gateway.Tests;

/// <summary>Whose privacy alerts a caller sees, without a host.</summary>
public class PrivacyAlertScopeUnitTests
{
    private static readonly HashSet<string> Rr8AndB86001 = new(["RR8", "B86001"], StringComparer.Ordinal);

    [Fact]
    public void A_listing_is_forced_onto_the_callers_organisations()
    {
        var forced = PrivacyAlertScope.Restrict(new ListPrivacyReviewCasesRequest { ActorId = "x" }, Rr8AndB86001)!;
        Assert.Equal(["B86001", "RR8"], forced.OrganisationOdsCodes);
        Assert.Equal("x", forced.ActorId);
    }

    [Fact]
    public void Asking_for_another_organisation_gets_nothing_and_asking_for_several_keeps_only_the_callers()
    {
        Assert.Null(PrivacyAlertScope.Restrict(new ListPrivacyReviewCasesRequest { OrganisationOdsCode = "RGD" }, Rr8AndB86001));
        Assert.Null(PrivacyAlertScope.Restrict(new ListPrivacyReviewCasesRequest { OrganisationOdsCodes = { "RGD" } }, Rr8AndB86001));
        Assert.Equal(["RR8"], PrivacyAlertScope.Restrict(new ListPrivacyReviewCasesRequest { OrganisationOdsCodes = { "rr8", "RGD" } },
            Rr8AndB86001)!.OrganisationOdsCodes);
        var one = PrivacyAlertScope.Restrict(new ListPrivacyReviewCasesRequest { OrganisationOdsCode = "rr8" }, Rr8AndB86001)!;
        Assert.Equal("rr8", one.OrganisationOdsCode);
        Assert.Equal(["B86001", "RR8"], one.OrganisationOdsCodes);
    }

    [Fact]
    public void The_platform_sees_everything_as_asked()
    {
        var request = new ListPrivacyReviewCasesRequest { OrganisationOdsCode = "RGD" };
        Assert.Same(request, PrivacyAlertScope.Restrict(request, null));
        Assert.True(new PrivacyAlertCaller(new Actor(), null, new Dictionary<string, string>()).Sees(null));
    }

    [Fact]
    public void A_privacy_officer_sees_their_organisations_cases_and_decides_in_their_role_there()
    {
        var officer = new PrivacyAlertCaller(new Actor { Kind = ActorKind.Professional, Id = "p" }, Rr8AndB86001,
            new Dictionary<string, string> { ["RR8"] = "R0001", ["B86001"] = "R0001" });
        Assert.True(officer.Sees("RR8"));
        Assert.False(officer.Sees("RGD"));
        Assert.False(officer.Sees(null));
        var acting = officer.ActingFor("B86001");
        Assert.Equal(("B86001", "R0001"), (acting.Organisation.OdsCode, acting.RoleCode));

        Assert.Equal("B86001,RR8", officer.ScopeHeaders()!.Get(Lcr.ServiceDefaults.CallerHeaders.OrganisationScope)!.Value);
        Assert.Equal("-", new PrivacyAlertCaller(new Actor(), new HashSet<string>(), new Dictionary<string, string>()).ScopeHeaders()!
            .Get(Lcr.ServiceDefaults.CallerHeaders.OrganisationScope)!.Value);
        Assert.Null(new PrivacyAlertCaller(new Actor(), null, new Dictionary<string, string>()).ScopeHeaders());

        var system = new Actor { Kind = ActorKind.System, Id = "tool", Organisation = new OrganisationReference { OdsCode = "RR8" } };
        Assert.Same(system, new PrivacyAlertCaller(system, Rr8AndB86001, new Dictionary<string, string>()).ActingFor("RR8"));
    }
}
