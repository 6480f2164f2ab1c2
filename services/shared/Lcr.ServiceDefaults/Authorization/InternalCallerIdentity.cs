using System.Security.Claims;
using Lcr.Common.V1;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The verified internal caller of one request (<c>HttpContext.User</c>, set by
/// <see cref="InternalCredentialAuthenticationHandler"/>): the platform service that signed the
/// internal credential and the actor it acts for.
/// </summary>
public sealed class InternalCallerIdentity : ClaimsIdentity
{
    public InternalCallerIdentity(string callerService, Actor actor)
        : base([new Claim("iss", callerService), new Claim("sub", actor.Id)], InternalCredentialAuthenticationHandler.SchemeName, "sub", null)
    {
        CallerService = callerService;
        CallingActor = actor;
    }

    private InternalCallerIdentity(InternalCallerIdentity other)
        : base(other)
    {
        CallerService = other.CallerService;
        CallingActor = other.CallingActor;
    }

    /// <summary>The service that signed the credential (e.g. "gateway").</summary>
    public string CallerService { get; }

    /// <summary>The actor the credential names; clone before changing it.</summary>
    public Actor CallingActor { get; }

    public override ClaimsIdentity Clone() => new InternalCallerIdentity(this);
}
