using System.Text;
using System.Text.Json;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Hl7.Fhir.Serialization;
using Lcr.Cli.SubjectAccess;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.Tests.SubjectAccess;

/// <summary>
/// Builds subject access Bundles shaped as the gateway writes them (Patient, Organizations,
/// entry versions with identifiers and meta, one Provenance per version, AuditEvents), and runs
/// the readable copy's whole pipeline on them: Bundle JSON (the Firely SDK's) → reader → HTML,
/// parsed strictly by AngleSharp.
/// </summary>
internal sealed class TestBundle
{
    private static readonly JsonSerializerOptions Json = new JsonSerializerOptions().ForFhir(R4.ModelInfo.ModelInspector);
    private readonly R4.Bundle _bundle = new()
    {
        Id = "export-1",
        Type = R4.Bundle.BundleType.Collection,
        Timestamp = new DateTimeOffset(2026, 7, 1, 9, 30, 0, TimeSpan.Zero),
    };

    private readonly List<R4.Resource> _provenance = [];
    private readonly List<R4.Resource> _audit = [];

    public static string Urn(string id) => "urn:uuid:" + id;

    public TestBundle Add(R4.Resource resource)
    {
        _bundle.Entry.Add(new R4.Bundle.EntryComponent { FullUrl = Urn(resource.Id!), Resource = resource });
        return this;
    }

    public TestBundle Patient(string nhs = "9990000018", Action<R4.Patient>? edit = null)
    {
        var p = new R4.Patient { Id = "patient" };
        p.Identifier.Add(new R4.Identifier(SubjectAccessRecord.NhsNumberSystem, nhs));
        edit?.Invoke(p);
        return Add(p);
    }

    public TestBundle Organisation(string id, string ods, string? name)
    {
        var o = new R4.Organization { Id = id, Name = name };
        o.Identifier.Add(new R4.Identifier(SubjectAccessRecord.OdsSystem, ods));
        return Add(o);
    }

    /// <summary>One version of an entry, with its Provenance (created, revised or nullified) by <paramref name="organisation"/> using EMIS Web.</summary>
    public TestBundle Version(R4.DomainResource resource, string entryId, int version, string organisation, DateTimeOffset recorded, string sourceId = "SRC-1",
        bool retracted = false)
    {
        resource.Id = $"{entryId}-v{version}";
        resource.Meta = new R4.Meta { VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture), LastUpdated = recorded };
        var identifiers = new List<R4.Identifier>
        {
            new(SubjectAccessRecord.EntryIdSystem, entryId),
            new(SubjectAccessRecord.SourceEntryIdSystem, sourceId) { Assigner = new R4.ResourceReference(Urn(organisation)) },
        };
        switch (resource)
        {
            case R4.Condition c: c.Identifier = identifiers; break;
            case R4.MedicationStatement m: m.Identifier = identifiers; break;
            case R4.AllergyIntolerance a: a.Identifier = identifiers; break;
            case R4.Observation o: o.Identifier = identifiers; break;
            case R4.DocumentReference d: d.Identifier = identifiers; break;
            case R4.Flag f: f.Identifier = identifiers; break;
        }

        Add(resource);
        var code = retracted ? "NULLIFY" : version == 1 ? "CREATE" : "UPDATE";
        var p = new R4.Provenance
        {
            Id = "prov-" + resource.Id,
            Target = [new R4.ResourceReference(Urn(resource.Id))],
            Recorded = recorded,
            Activity = new R4.CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-DataOperation", code),
        };
        p.Agent.Add(new R4.Provenance.AgentComponent
        {
            Type = new R4.CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author"),
            Who = new R4.ResourceReference(Urn(organisation)),
        });
        p.Agent.Add(new R4.Provenance.AgentComponent
        {
            Type = new R4.CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler"),
            Who = new R4.ResourceReference(Urn("device-1")) { Display = "EMIS Web" },
        });
        _provenance.Add(p);
        return this;
    }

    /// <summary>An access log event as the gateway maps it: the person (name, role), their organisation, purpose, outcome, what was shown.</summary>
    public TestBundle Audit(string id, string action, DateTimeOffset at, string? who, string? role, string? orgOds, string? orgName,
        string purposeCode = "TREAT", string? purposeText = null, bool refused = false, string? reason = null, string? categories = null, int entries = 0)
    {
        var a = new R4.AuditEvent
        {
            Id = id,
            Type = new R4.Coding("http://dicom.nema.org/resources/ontology/DCM", "110110"),
            Recorded = at,
            Outcome = refused ? R4.AuditEvent.AuditEventOutcome.N4 : R4.AuditEvent.AuditEventOutcome.N0,
            OutcomeDesc = refused ? "Refused: " + reason : null,
            Period = new R4.Period { Start = new R4.FhirDateTime(at).Value },
        };
        a.Subtype.Add(new R4.Coding("https://leeds-care-record.nhs.uk/CodeSystem/audit-action", action));
        a.PurposeOfEvent.Add(new R4.CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActReason", purposeCode) { Text = purposeText });
        var agent = new R4.AuditEvent.AgentComponent { Requestor = true, Name = who, Who = new R4.ResourceReference { Display = who } };
        if (role is not null)
        {
            agent.Role.Add(new R4.CodeableConcept { Text = role });
        }

        a.Agent.Add(agent);
        if (orgOds is not null)
        {
            a.Agent.Add(new R4.AuditEvent.AgentComponent
            {
                Requestor = false,
                Who = new R4.ResourceReference { Identifier = new R4.Identifier(SubjectAccessRecord.OdsSystem, orgOds), Display = orgName },
            });
        }

        var patient = new R4.AuditEvent.EntityComponent { What = new R4.ResourceReference(Urn("patient")), Role = new R4.Coding("http://terminology.hl7.org/CodeSystem/object-role", "1") };
        if (categories is not null)
        {
            patient.Detail.Add(new R4.AuditEvent.DetailComponent { Type = "Record categories shown", Value = new R4.FhirString(categories) });
        }

        a.Entity.Add(patient);
        for (var i = 0; i < entries; i++)
        {
            a.Entity.Add(new R4.AuditEvent.EntityComponent
            {
                What = new R4.ResourceReference { Identifier = new R4.Identifier(SubjectAccessRecord.EntryIdSystem, $"e{i}") },
                Type = new R4.Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2"),
            });
        }

        _audit.Add(a);
        return this;
    }

    /// <summary>The Bundle's JSON as the Firely SDK writes it (Provenances and AuditEvents last, as the gateway orders them).</summary>
    public byte[] ToJson()
    {
        foreach (var r in _provenance.Concat(_audit))
        {
            Add(r);
        }

        _provenance.Clear();
        _audit.Clear();
        return JsonSerializer.SerializeToUtf8Bytes(_bundle, Json);
    }

    /// <summary>Reads and renders the Bundle; the HTML text.</summary>
    public async Task<string> RenderAsync()
    {
        using var stream = new MemoryStream(ToJson());
        var record = await SubjectAccessRecord.ReadAsync(stream, CancellationToken.None);
        var html = new StringWriter();
        await SubjectAccessHtmlRenderer.RenderAsync(record, html, CancellationToken.None);
        return html.ToString();
    }

    /// <summary>Renders and parses strictly: a parse error (malformed HTML) fails the test.</summary>
    public async Task<IHtmlDocument> DocumentAsync() => Parse(await RenderAsync());

    public static IHtmlDocument Parse(string html) => new HtmlParser(new HtmlParserOptions { IsStrictMode = true }).ParseDocument(html);

    public static R4.DocumentReference Letter(string title, string text, string contentType = "text/plain", bool current = true)
    {
        var d = new R4.DocumentReference
        {
            Status = current ? R4.DocumentReferenceStatus.Current : R4.DocumentReferenceStatus.Superseded,
            Description = title,
            Date = new DateTimeOffset(2026, 3, 4, 10, 0, 0, TimeSpan.Zero),
        };
        d.Category.Add(new R4.CodeableConcept { Text = "Clinic letter" });
        d.Author.Add(new R4.ResourceReference { Display = "Dr A Jones" });
        var attachment = new R4.Attachment { ContentType = contentType, Title = title };
        if (current)
        {
            attachment.Data = Encoding.UTF8.GetBytes(text);
        }

        d.Content.Add(new R4.DocumentReference.ContentComponent { Attachment = attachment });
        return d;
    }
}
