using System.Text.Json;
using Grpc.Core;
using Lcr.Identity.Domain;
using Lcr.Security;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Identity.Application.Federation;

/// <summary>
/// The national RBAC activities a federated session was exchanged with (<see cref="SessionClaims.Activities"/>),
/// read from the call's session token. Call it only after the caller's session was verified in the
/// same call (<see cref="CallerAuthenticator.RequireProfessionalAsync"/>): it reads, it does not verify.
/// </summary>
public static class SessionActivities
{
    /// <summary>The activity codes, or null for a session without them (password sign-in).</summary>
    public static IReadOnlyCollection<string>? Of(ServerCallContext context)
    {
        var token = BearerToken.From(context.RequestHeaders);
        if (token is null)
        {
            return null;
        }

        var jwt = new JsonWebToken(token);
        if (!jwt.TryGetPayloadValue<JsonElement>(SessionClaims.Activities, out var value) || value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        return value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
    }
}
