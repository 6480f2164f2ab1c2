using Google.Protobuf;
using Google.Rpc;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lcr.ServiceDefaults.Tests;

/// <summary>The authorization middleware's refusals as gRPC statuses, without a host.</summary>
public class GrpcAuthorizationTests
{
    private sealed class NoHandler : IAuthorizationHandler
    {
        public Task HandleAsync(AuthorizationHandlerContext context) => Task.CompletedTask;
    }

    [Fact]
    public void A_challenge_is_answered_with_why_authentication_failed()
    {
        var failure = new UnauthenticatedException("TOKEN_EXPIRED", "The token has expired; request a new one.");
        Assert.Same(failure, GrpcAuthorizationResultHandler.RefusalOf(PolicyAuthorizationResult.Challenge(), failure));
        var generic = Assert.IsType<UnauthenticatedException>(GrpcAuthorizationResultHandler.RefusalOf(PolicyAuthorizationResult.Challenge(), null));
        Assert.Equal("UNAUTHENTICATED", generic.Reason);
    }

    [Fact]
    public void A_forbid_is_answered_with_the_failed_requirements_refusal()
    {
        var refusal = new PermissionDeniedException("SCOPE_NOT_PERMITTED", "This call needs a system token with the 'audit.read' scope.");
        var failure = AuthorizationFailure.Failed([new AuthorizationFailureReason(new NoHandler(), "other"), new RefusalReason(new NoHandler(), refusal)]);
        Assert.Same(refusal, GrpcAuthorizationResultHandler.RefusalOf(PolicyAuthorizationResult.Forbid(failure), null));
        Assert.IsType<PermissionDeniedException>(GrpcAuthorizationResultHandler.RefusalOf(PolicyAuthorizationResult.Forbid(), null));
    }

    [Fact]
    public async Task The_status_is_written_as_a_trailers_only_grpc_response_with_its_rich_details()
    {
        var refusal = new PermissionDeniedException("SCOPE_NOT_PERMITTED", "Needs 'audit.read' – 100%");
        refusal.Metadata["required_scope"] = "audit.read";
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/grpc";
        Assert.True(GrpcStatusResponse.IsGrpc(context));
        var status = new ErrorMappingInterceptor(NullLogger<ErrorMappingInterceptor>.Instance).StatusFor(refusal, "/x.Y/Z");
        await GrpcStatusResponse.WriteAsync(context, status);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("application/grpc", context.Response.ContentType);
        Assert.Equal("7", context.Response.Headers["grpc-status"]);
        Assert.Equal("Needs 'audit.read' %E2%80%93 100%25", context.Response.Headers["grpc-message"]);
        var details = Google.Rpc.Status.Parser.ParseFrom(Convert.FromBase64String(context.Response.Headers["grpc-status-details-bin"]!));
        var info = details.GetDetail<ErrorInfo>();
        Assert.Equal("SCOPE_NOT_PERMITTED", info.Reason);
        Assert.Equal("audit.read", info.Metadata["required_scope"]);
    }

    [Fact]
    public void Only_grpc_requests_get_grpc_statuses()
    {
        var json = new DefaultHttpContext();
        json.Request.ContentType = "application/json";
        Assert.False(GrpcStatusResponse.IsGrpc(json));
        var web = new DefaultHttpContext();
        web.Request.ContentType = "application/grpc-web+proto";
        Assert.True(GrpcStatusResponse.IsGrpc(web));
    }
}
