using System.Globalization;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// What the mappers need to know about where their resources go. A subject access export is
/// one self-contained Bundle: every resource is named <c>urn:uuid:</c>, each entry version is
/// its own resource, and the organisations and source systems are resources in the Bundle.
/// The FHIR API serves current versions under their platform entry ids, refers to resources by
/// relative URL (<c>Patient/{id}</c>), and to organisations by their ODS code.
/// </summary>
public sealed class FhirMappingContext
{
    private readonly bool _bundle;
    private readonly Dictionary<string, string> _organisationIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _deviceIds = new(StringComparer.OrdinalIgnoreCase);

    private FhirMappingContext(bool bundle, string nhsNumber, DateTimeOffset now)
    {
        _bundle = bundle;
        NhsNumber = nhsNumber;
        PatientId = PatientId(nhsNumber);
        Now = now;
    }

    /// <summary>For a self-contained Bundle (the subject access export).</summary>
    public static FhirMappingContext ForBundle(string nhsNumber, DateTimeOffset now) => new(true, nhsNumber, now);

    /// <summary>For the FHIR API's reads and searches.</summary>
    public static FhirMappingContext ForApi(string nhsNumber, DateTimeOffset now) => new(false, nhsNumber, now);

    public string NhsNumber { get; }

    public string PatientId { get; }

    /// <summary>When the mapping is made: the fallback time of anything the platform holds no time for.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The Organization resources referred to so far (self-contained Bundles only).</summary>
    public List<R4.Resource> Organisations { get; } = [];

    /// <summary>The Device resources (source systems) referred to so far (self-contained Bundles only).</summary>
    public List<R4.Resource> Devices { get; } = [];

    /// <summary>A reference to another resource of this output.</summary>
    public string Reference(string type, string id) => _bundle ? Urn(id) : type + "/" + id;

    public R4.ResourceReference Patient() => new(Reference("Patient", PatientId));

    /// <summary>The resource id of one version of an entry.</summary>
    public string EntryResourceId(Entry e) =>
        _bundle ? StableId("entry", e.Id + "|" + e.Version.ToString(CultureInfo.InvariantCulture)) : e.Id;

    /// <summary>The organisation with this ODS code: an Organization resource created once in a Bundle, else a reference by ODS code.</summary>
    public R4.ResourceReference Organisation(OrganisationReference? org)
    {
        var ods = org?.OdsCode is { Length: > 0 } code ? code.ToUpperInvariant() : "UNKNOWN";
        var display = org?.DisplayName is { Length: > 0 } d ? d : ods;
        if (!_bundle)
        {
            return new R4.ResourceReference { Type = "Organization", Identifier = new R4.Identifier(FhirSystems.Ods, ods), Display = display };
        }

        if (!_organisationIds.TryGetValue(ods, out var id))
        {
            id = StableId("organisation", ods);
            _organisationIds[ods] = id;
            Organisations.Add(OrganizationMapper.Map(id, ods, display, Now));
        }

        return new R4.ResourceReference(Urn(id)) { Display = display };
    }

    /// <summary>A reference by ODS code only, whatever the output (a registered practice, an actor's organisation).</summary>
    public static R4.ResourceReference OrganisationIdentifier(OrganisationReference org) => new()
    {
        Type = "Organization",
        Identifier = new R4.Identifier(FhirSystems.Ods, org.OdsCode.ToUpperInvariant()),
        Display = org.DisplayName is { Length: > 0 } d ? d : null,
    };

    /// <summary>The contributing clinical system, as a Device owned by its organisation (Bundles); a display-only reference otherwise.</summary>
    public R4.ResourceReference SourceSystem(OrganisationReference? org, string system)
    {
        if (!_bundle)
        {
            return new R4.ResourceReference { Display = string.IsNullOrEmpty(system) ? "unknown" : system };
        }

        var key = (org?.OdsCode ?? string.Empty) + "|" + system;
        if (!_deviceIds.TryGetValue(key, out var id))
        {
            id = StableId("device", key);
            _deviceIds[key] = id;
            Devices.Add(OrganizationMapper.Device(id, system, Organisation(org), Now));
        }

        return new R4.ResourceReference(Urn(id)) { Display = system };
    }

    /// <summary>When the entry was recorded on the platform, as a FHIR dateTime.</summary>
    public string Recorded(Entry e) => new R4.FhirDateTime(e.Provenance?.RecordedTime?.ToDateTimeOffset() ?? Now).Value!;

    /// <summary>meta with a version and a time; <paramref name="lastUpdated"/> falls back to <see cref="Now"/>.</summary>
    public R4.Meta Meta(long version, DateTimeOffset? lastUpdated) => new()
    {
        VersionId = Math.Max(version, 1).ToString(CultureInfo.InvariantCulture),
        LastUpdated = lastUpdated ?? Now,
    };
}
