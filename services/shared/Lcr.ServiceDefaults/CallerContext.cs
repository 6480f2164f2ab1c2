using Grpc.Core;
using Lcr.Common.V1;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Who is calling an internal service. With internal credentials configured (every real
/// deployment, and <c>make run</c>) the actor comes only from the gateway's signed credential
/// (<see cref="InternalCredentials"/>); without them (service-level tests) from these
/// <c>x-lcr-actor-*</c> headers. Services record the actor on every change.
/// </summary>
public static class CallerHeaders
{
    public const string ActorKind = "x-lcr-actor-kind";
    public const string ActorId = "x-lcr-actor-id";
    public const string ActorOrganisation = "x-lcr-actor-org";
    public const string ActorRole = "x-lcr-actor-role";

    /// <summary>
    /// Set by the gateway on privacy alert reads and decisions for a caller who sees only some
    /// organisations' alerts: their ODS codes, comma-separated (empty: none). Absent: every
    /// organisation. The audit service answers a case outside it NOT_FOUND, as an unknown one.
    /// The gateway writes "-" for no organisation (an empty value may not be sent).
    /// </summary>
    public const string OrganisationScope = "x-lcr-organisation-scope";

    /// <summary>The organisations named in <see cref="OrganisationScope"/>, or null when the header is absent.</summary>
    public static IReadOnlySet<string>? ReadOrganisationScope(ServerCallContext context) =>
        context.RequestHeaders.Get(OrganisationScope) is { } entry
            ? entry.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(o => o.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal)
            : null;

    /// <summary>Metadata asserting an actor, for outgoing calls.</summary>
    public static Metadata For(Actor actor) => new()
    {
        { ActorKind, actor.Kind switch
            {
                Lcr.Common.V1.ActorKind.Professional => "professional",
                Lcr.Common.V1.ActorKind.System => "system",
                _ => "platform",
            }
        },
        { ActorId, actor.Id },
        { ActorOrganisation, actor.Organisation?.OdsCode ?? string.Empty },
        { ActorRole, actor.RoleCode ?? string.Empty },
    };

    /// <summary>
    /// Reads the calling actor. A change must be attributable, so a write without an actor is
    /// refused with UNAUTHENTICATED.
    /// </summary>
    public static Actor RequireActor(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        if (http.User.Identities.OfType<InternalCallerIdentity>().FirstOrDefault() is { } verified)
        {
            // Signed by the gateway: the only source of the actor when internal credentials are on.
            return string.IsNullOrWhiteSpace(verified.CallingActor.Id) || verified.CallingActor.Kind == Lcr.Common.V1.ActorKind.Unspecified
                ? throw new UnauthenticatedException("CALLER_NOT_IDENTIFIED", "The internal credential names no actor.")
                : verified.CallingActor.Clone();
        }

        if (http.RequestServices.GetService(typeof(InternalCredentialsHolder)) is InternalCredentialsHolder { Value: not null })
        {
            // Credentials are on but this call was not authenticated by them (a method without
            // [InternalCaller]): never fall back to headers the caller wrote.
            throw new UnauthenticatedException("INTERNAL_CREDENTIAL_MISSING",
                "Internal services accept calls only from the platform gateway (no internal credential).");
        }

        // No internal credentials configured (Development/Test): the x-lcr-actor-* headers.
        var headers = context.RequestHeaders;
        var kind = headers.GetValue(ActorKind) switch
        {
            "professional" => Lcr.Common.V1.ActorKind.Professional,
            "system" => Lcr.Common.V1.ActorKind.System,
            "platform" => Lcr.Common.V1.ActorKind.Platform,
            _ => Lcr.Common.V1.ActorKind.Unspecified,
        };
        var id = headers.GetValue(ActorId);
        if (kind == Lcr.Common.V1.ActorKind.Unspecified || string.IsNullOrWhiteSpace(id) || id.Length > 100)
        {
            throw new UnauthenticatedException("CALLER_NOT_IDENTIFIED",
                $"This call changes the record and must say who is making it ({ActorKind} and {ActorId} metadata).");
        }

        var org = headers.GetValue(ActorOrganisation) ?? string.Empty;
        return new Actor
        {
            Kind = kind,
            Id = id,
            Organisation = new OrganisationReference { OdsCode = org.Length <= 12 ? org : string.Empty },
            RoleCode = headers.GetValue(ActorRole) ?? string.Empty,
        };
    }
}
