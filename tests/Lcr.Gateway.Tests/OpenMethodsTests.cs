using Grpc.AspNetCore.Server;
using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Gateway.V1;
using Lcr.Security;
using Lcr.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Gateway.Tests;

/// <summary>
/// The gateway's authorization at the edge: every mapped gRPC method either has a caller policy
/// or is on the documented open list (docs/architecture.md, gateway table), and a refusal by the
/// authorization middleware is a proper gRPC status with the platform's ErrorInfo.
/// </summary>
[Collection(PlatformCollection.Name)]
public class OpenMethodsTests(PlatformFixture platform)
{
    /// <summary>The open methods, as docs/architecture.md lists them: the calls that obtain a token, the public keys, probes and tools.</summary>
    private static readonly HashSet<string> DocumentedOpen = new(StringComparer.Ordinal)
    {
        "/lcr.identity.v1.IdentityService/SignIn",
        "/lcr.identity.v1.IdentityService/IssueSystemToken",
        "/lcr.identity.v1.IdentityService/ExchangeFederatedToken",
        "/lcr.identity.v1.IdentityService/ListSigningKeys",
    };

    private static bool IsProbeOrTool(string path) =>
        path.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal) || path.StartsWith("/grpc.reflection.", StringComparison.Ordinal);

    [Fact]
    public void Every_mapped_method_has_a_caller_policy_or_is_documented_open()
    {
        var endpoints = platform.Gateway.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Where(e => e.Metadata.GetMetadata<GrpcMethodMetadata>() is not null)
            .ToList();
        var open = new List<string>();
        var unprotected = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var method = endpoint.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method.FullName;
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            var hasCallerPolicy = policies.Any(p => p is not null && CallerPolicies.RequirementOf(p, new HashSet<string>()) is not null);
            if (anonymous || (!hasCallerPolicy && IsProbeOrTool(method)))
            {
                open.Add(method);
            }
            else if (!hasCallerPolicy)
            {
                unprotected.Add(method);
            }
        }

        Assert.True(endpoints.Count > 60, $"only {endpoints.Count} gRPC methods found");
        Assert.Empty(unprotected);
        Assert.All(open, m => Assert.True(DocumentedOpen.Contains(m) || IsProbeOrTool(m), $"{m} is open but not on the documented list"));
        Assert.Subset(open.ToHashSet(StringComparer.Ordinal), DocumentedOpen);
    }

    [Fact]
    public async Task A_refusal_at_the_edge_is_a_grpc_status_with_its_reason_and_metadata()
    {
        var tokens = await MatrixTokens.GetAsync(platform);
        var clinical = new ClinicalRecordService.ClinicalRecordServiceClient(platform.Gateway.Channel);

        // No token: UNAUTHENTICATED with the verifier's reason (not a bare HTTP 401).
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.Missing,
            async () => await clinical.UpsertEntriesAsync(new UpsertEntriesRequest()));

        // The wrong kind of token: the verifier's WRONG_TYPE, as before the policies.
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.WrongType,
            async () => await clinical.UpsertEntriesAsync(new UpsertEntriesRequest(), tokens.Headers(CallerKind.SessionToken)));

        // A system token without the scope: PERMISSION_DENIED naming the scope (not a bare HTTP 403).
        var info = await RpcAssert.Fails(StatusCode.PermissionDenied, "SCOPE_NOT_PERMITTED",
            async () => await clinical.UpsertEntriesAsync(new UpsertEntriesRequest(), tokens.Headers(CallerKind.SystemWithoutScope)));
        Assert.Equal(Scopes.RecordContribute, info.Metadata["required_scope"]);

        // Streaming methods are refused the same way, before the first message.
        var export = new SubjectAccessService.SubjectAccessServiceClient(platform.Gateway.Channel)
            .ExportSubjectAccess(new ExportSubjectAccessRequest(), tokens.Headers(CallerKind.SystemFeedWithScopes));
        await RpcAssert.Fails(StatusCode.Unauthenticated, TokenRefusal.WrongType,
            async () => await export.ResponseStream.MoveNext(CancellationToken.None));
    }

    private sealed class KeysDown : ISigningKeySource
    {
        public Task<SigningKeySet> FetchAsync(CancellationToken cancellationToken) =>
            throw new Lcr.ServiceDefaults.DependencyUnavailableException("SIGNING_KEYS_UNAVAILABLE", "Identity's signing keys cannot be fetched.");
    }

    [Fact]
    public async Task A_token_that_cannot_be_verified_for_want_of_keys_is_unavailable_not_unauthenticated()
    {
        // A gateway that cannot fetch identity's keys (and has none cached): the caller may retry,
        // so the authentication handler's failure is answered UNAVAILABLE, as the verifier said.
        var tokens = await MatrixTokens.GetAsync(platform);
        await using var keyless = platform.CreateGateway(s => s.AddSingleton<ISigningKeySource>(new KeysDown()));
        var records = new GatewayService.GatewayServiceClient(keyless.Channel);
        await RpcAssert.Fails(StatusCode.Unavailable, "SIGNING_KEYS_UNAVAILABLE", async () => await records.GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = "9434765919" }, tokens.Headers(CallerKind.GpDirectCare)));
    }
}
