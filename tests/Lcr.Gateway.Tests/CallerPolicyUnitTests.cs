using System.Security.Claims;
using Lcr.Common.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Tests;

/// <summary>The caller policies' coarse check, without a host.</summary>
public class CallerPolicyUnitTests
{
    private static readonly HashSet<string> AllKinds = new([TokenTypes.Access, TokenTypes.System, TokenTypes.Session], StringComparer.Ordinal);

    private static ClaimsPrincipal System(params string[] scopes) => new(new CallerIdentity(TokenTypes.System, "feed",
        new VerifiedSystemToken("t", "feed", "Feed", "B86001", scopes.ToHashSet(), DateTimeOffset.UtcNow.AddMinutes(5)), scopes));

    private static ClaimsPrincipal Access() => new(new CallerIdentity(TokenTypes.Access, "prof",
        new VerifiedAccessToken("t", "prof", "Dr A", "B86001", "R8000", "ra", "9434765919", PurposeOfUse.InformationGovernance,
            new HashSet<RecordCategory>(), null, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5), "k"), []));

    private static ClaimsPrincipal Session() => new(new CallerIdentity(TokenTypes.Session, "prof",
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken("eyJhbGciOiJub25lIn0.eyJzdWIiOiJwcm9mIn0."), []));

    private static CallerRequirement Policy(string name) => CallerPolicies.RequirementOf(name, AllKinds)!;

    private static string? ReasonOf(string policy, ClaimsPrincipal principal) => Policy(policy).Check(principal)?.Reason;

    [Fact]
    public void A_system_policy_needs_a_system_token_with_its_scope()
    {
        var policy = CallerPolicies.SystemScope(Scopes.AuditRead);
        Assert.Null(ReasonOf(policy, System(Scopes.AuditRead, Scopes.AuditReview)));
        var refusal = Policy(policy).Check(System(Scopes.AuditReview))!;
        Assert.Equal("SCOPE_NOT_PERMITTED", refusal.Reason);
        Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, refusal.Code);
        Assert.Equal(Scopes.AuditRead, refusal.Metadata["required_scope"]);
        Assert.Equal(TokenRefusal.WrongType, ReasonOf(policy, Access()));
        Assert.Equal(TokenRefusal.WrongType, ReasonOf(policy, Session()));
        Assert.Equal(TokenRefusal.Missing, ReasonOf(policy, new ClaimsPrincipal(new ClaimsIdentity())));
    }

    [Fact]
    public void The_governance_policy_admits_an_access_token_or_a_system_token_with_the_scope()
    {
        var policy = CallerPolicies.Governance(Scopes.ConsentWrite);
        Assert.Null(ReasonOf(policy, Access()));
        Assert.Null(ReasonOf(policy, System(Scopes.ConsentWrite)));
        Assert.Equal("SCOPE_NOT_PERMITTED", ReasonOf(policy, System(Scopes.ConsentRead)));
        Assert.Equal(TokenRefusal.WrongType, ReasonOf(policy, Session()));
    }

    [Fact]
    public void The_session_or_system_scope_policy_admits_a_session_or_a_system_token_with_the_scope()
    {
        var policy = CallerPolicies.SessionOrSystemScope(Scopes.AuditReview);
        Assert.Null(ReasonOf(policy, Session()));
        Assert.Null(ReasonOf(policy, System(Scopes.AuditReview)));
        Assert.Equal("SCOPE_NOT_PERMITTED", ReasonOf(policy, System(Scopes.AuditRead)));
        Assert.Equal(TokenRefusal.WrongType, ReasonOf(policy, Access()));
        Assert.Null(CallerPolicies.RequirementOf(CallerPolicies.SessionOrSystemScopePrefix, AllKinds));
    }

    [Fact]
    public void Kind_policies_admit_their_kind_only_and_any_admits_every_kind_the_service_takes()
    {
        Assert.Null(ReasonOf(CallerPolicies.AccessToken, Access()));
        Assert.Equal(TokenRefusal.WrongType, ReasonOf(CallerPolicies.AccessToken, System(Scopes.RecordContribute)));
        Assert.Null(ReasonOf(CallerPolicies.Session, Session()));
        Assert.Equal(TokenRefusal.WrongType, ReasonOf(CallerPolicies.Session, Access()));
        Assert.All(new[] { Access(), Session(), System() }, p => Assert.Null(ReasonOf(CallerPolicies.Authenticated, p)));
        Assert.Null(CallerPolicies.RequirementOf("something-else", AllKinds));
        Assert.Null(CallerPolicies.RequirementOf(CallerPolicies.SystemScopePrefix, AllKinds));
    }

    [Fact]
    public void The_principal_carries_the_verified_token_so_nothing_verifies_it_again()
    {
        var access = Access();
        Assert.Equal("9434765919", access.AccessToken()!.NhsNumber);
        Assert.Null(access.SystemToken());
        Assert.Equal("prof", access.VerifiedSubject());
        var cloned = access.Clone();
        Assert.Same(access.AccessToken(), cloned.AccessToken());
        Assert.Equal("feed", System().SystemToken()!.ClientId);
        Assert.Null(new ClaimsPrincipal(new ClaimsIdentity()).VerifiedSubject());
        _ = new RefusalReason(new CallerRequirementHandler(), CallerRequirement.ScopeNotPermitted(Scopes.AuditRead));
    }
}
