using Grpc.AspNetCore.Server;
using Grpc.Core;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Identity.Tests;

/// <summary>Identity's own callers through ASP.NET Core authentication and the caller policies.</summary>
[Collection(IdentityCollection.Name)]
public class CallerPolicyTests(IdentityHost host)
{
    /// <summary>The calls any caller (the gateway, with its internal credential) may make without a bearer token.</summary>
    private static readonly HashSet<string> Open = new(StringComparer.Ordinal)
    {
        "SignIn", "IssueSystemToken", "ExchangeFederatedToken", "ListSigningKeys", "CheckOrganisationLink", "ListActiveRoleAssignments",
    };

    [Fact]
    public void Every_method_needs_the_internal_credential_and_every_method_but_the_open_ones_a_caller_policy()
    {
        var methods = host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => (Grpc: e.Metadata.GetMetadata<GrpcMethodMetadata>(), e.Metadata))
            .Where(e => e.Grpc?.Method.ServiceName == "lcr.identity.v1.IdentityService")
            .ToList();
        Assert.True(methods.Count >= 25, $"only {methods.Count} methods found");
        foreach (var (grpc, metadata) in methods)
        {
            var policies = metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            Assert.Contains(InternalCallerAttribute.PolicyName, policies);
            var callerPolicy = policies.Any(p => p is not null && CallerPolicies.RequirementOf(p, new HashSet<string>()) is not null);
            Assert.True(callerPolicy != Open.Contains(grpc!.Method.Name), $"{grpc.Method.Name}: caller policy {callerPolicy}, open {Open.Contains(grpc.Method.Name)}");
        }
    }

    [Fact]
    public async Task Refusals_keep_their_reasons()
    {
        // No bearer token, a session where a system token is needed, a system token without the scope.
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.Missing,
            async () => await host.Client.ListOrganisationsAsync(new ListOrganisationsRequest()));
        var info = await RpcAssert.Fails(StatusCode.PermissionDenied, "SCOPE_NOT_PERMITTED",
            async () => await host.Client.ListSystemClientsAsync(new ListSystemClientsRequest(), await host.SystemAsync("rr8-ppm-feed")));
        Assert.Equal(Scopes.IdentityAdmin, info.Metadata["required_scope"]);
    }
}
