using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>Where one version of an entry came from and what happened: created, updated, or retracted (nullified).</summary>
public static class ProvenanceMapper
{
    public static R4.Provenance Map(Entry e, string resourceId, FhirMappingContext context)
    {
        var (code, display) = e.EnteredInError ? ("NULLIFY", "nullify") : e.Version <= 1 ? ("CREATE", "create") : ("UPDATE", "revise");
        var source = e.Provenance;
        var recorded = source?.RecordedTime?.ToDateTimeOffset() ?? context.Now;
        var p = new R4.Provenance
        {
            Id = StableId("provenance", resourceId),
            Meta = context.Meta(1, recorded),
            Target = [new R4.ResourceReference(context.Reference(EntryMapper.TypeName(e), resourceId))],
            Recorded = recorded,
            Activity = new R4.CodeableConcept(FhirSystems.DataOperation, code, display)
            {
                Text = e.EnteredInError ? "Retracted as entered in error" : null,
            },
        };
        var organisation = context.Organisation(source?.SourceOrganisation);
        p.Agent.Add(new R4.Provenance.AgentComponent
        {
            Type = new R4.CodeableConcept(FhirSystems.ParticipantType, "author", "Author"),
            Who = organisation,
        });
        p.Agent.Add(new R4.Provenance.AgentComponent
        {
            Type = new R4.CodeableConcept(FhirSystems.ParticipantType, "assembler", "Assembler"),
            Who = context.SourceSystem(source?.SourceOrganisation, source?.SourceSystem ?? string.Empty),
            OnBehalfOf = organisation,
        });
        var what = $"{source?.SourceSystem} record {source?.SourceEntryId}, platform version {e.Version}";
        p.Entity.Add(new R4.Provenance.EntityComponent
        {
            Role = R4.Provenance.ProvenanceEntityRole.Source,
            What = new R4.ResourceReference
            {
                Identifier = new R4.Identifier(FhirSystems.SourceEntryId, source?.SourceEntryId ?? string.Empty) { Assigner = organisation },
                Display = what,
            },
        });
        p.Text = new FhirNarrative("Provenance: " + Text(e.Code))
            .Row("What happened", e.EnteredInError ? "Retracted as entered in error" : e.Version <= 1 ? "Recorded" : "Revised")
            .Row("By", organisation.Display)
            .Row("From", what)
            .Row("When", Text(recorded))
            .Build();
        return p;
    }
}
