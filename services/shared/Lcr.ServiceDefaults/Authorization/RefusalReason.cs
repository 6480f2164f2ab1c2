using Microsoft.AspNetCore.Authorization;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Why an authorization requirement failed, as the domain refusal the caller is answered with
/// (e.g. UNAUTHENTICATED WRONG_TYPE, PERMISSION_DENIED SCOPE_NOT_PERMITTED with its
/// <c>required_scope</c>): <see cref="GrpcAuthorizationResultHandler"/> maps it through the
/// one error mapping.
/// </summary>
public sealed class RefusalReason(IAuthorizationHandler handler, Exception refusal) : AuthorizationFailureReason(handler, refusal.Message)
{
    /// <summary>The refusal to answer with.</summary>
    public Exception Refusal { get; } = refusal;
}
