using Lcr.Common.V1;

namespace Lcr.Gateway.Downstream;

/// <summary>The gateway acting for the platform itself (audit writes, key fetches, identity proxying).</summary>
public static class PlatformActor
{
    public static Actor Gateway { get; } = new()
    {
        Kind = ActorKind.Platform,
        Id = "gateway",
        Organisation = new OrganisationReference { OdsCode = "LCR" },
    };
}
