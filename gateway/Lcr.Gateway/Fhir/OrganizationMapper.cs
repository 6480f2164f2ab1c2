using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>Organizations (by ODS code) and the contributing systems (Devices) of a self-contained Bundle.</summary>
public static class OrganizationMapper
{
    /// <summary>The platform holds no history of an organisation's details: each is version 1, as of the mapping.</summary>
    public static R4.Organization Map(string id, string ods, string name, DateTimeOffset now)
    {
        var o = new R4.Organization { Id = id, Name = name, Meta = new R4.Meta { VersionId = "1", LastUpdated = now } };
        o.Identifier.Add(new R4.Identifier(FhirSystems.Ods, ods));
        o.Text = new FhirNarrative("Organisation").Row("Name", name).Row("ODS code", ods).Build();
        return o;
    }

    public static R4.Device Device(string id, string system, R4.ResourceReference owner, DateTimeOffset now)
    {
        var name = string.IsNullOrEmpty(system) ? "unknown" : system;
        var device = new R4.Device { Id = id, Owner = owner, Meta = new R4.Meta { VersionId = "1", LastUpdated = now } };
        device.DeviceName.Add(new R4.Device.DeviceNameComponent { Name = name, Type = R4.DeviceNameType.UserFriendlyName });
        device.Text = new FhirNarrative("Contributing clinical system").Row("System", name).Row("Organisation", owner.Display).Build();
        return device;
    }
}
