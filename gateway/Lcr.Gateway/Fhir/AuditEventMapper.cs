using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Records;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>One event of the patient's access log as an AuditEvent: who, when, why, what they saw, or why they were refused.</summary>
public static class AuditEventMapper
{
    public static R4.AuditEvent Map(AuditEvent e, FhirMappingContext context)
    {
        var recorded = (e.RecordTime ?? e.OccurrenceTime)?.ToDateTimeOffset() ?? context.Now;
        var a = new R4.AuditEvent
        {
            Id = StableId("audit", e.EventId),
            Meta = context.Meta(1, recorded),
            Type = new R4.Coding(FhirSystems.Dicom, "110110", "Patient Record"),
            Action = e.Action switch
            {
                AuditAction.Contribution => R4.AuditEvent.AuditEventAction.C,
                AuditAction.ConsentChange or AuditAction.CareRelationshipChange => R4.AuditEvent.AuditEventAction.U,
                AuditAction.TokenIssued or AuditAction.EmergencyAccess => R4.AuditEvent.AuditEventAction.E,
                _ => R4.AuditEvent.AuditEventAction.R,
            },
            Recorded = recorded,
            Outcome = e.Outcome == AuditOutcome.Denied ? R4.AuditEvent.AuditEventOutcome.N4 : R4.AuditEvent.AuditEventOutcome.N0,
            OutcomeDesc = e.Outcome == AuditOutcome.Denied ? "Refused: " + Describe(e.DenialReason) : null,
            Period = e.OccurrenceTime is { } at ? new R4.Period { Start = new R4.FhirDateTime(at.ToDateTimeOffset()).Value } : null,
        };
        a.Subtype.Add(new R4.Coding(FhirSystems.AuditAction, e.Action.ToString(), Describe(e.Action)));
        var purpose = Purpose(e);
        if (purpose is not null)
        {
            a.PurposeOfEvent.Add(purpose);
        }

        var actor = e.Actor ?? new Actor();
        var who = new R4.ResourceReference
        {
            Identifier = new R4.Identifier(actor.Kind == ActorKind.System ? FhirSystems.SystemClientId : FhirSystems.ProfessionalId, Blank(actor.Id) ?? "unknown"),
            Display = Blank(actor.DisplayName),
        };
        var agent = new R4.AuditEvent.AgentComponent { Who = who, Requestor = true, Name = Blank(actor.DisplayName) };
        string? role = null;
        if (!string.IsNullOrEmpty(actor.RoleCode))
        {
            role = $"{RoleNames.Describe(actor.RoleCode)} ({actor.RoleCode})";
            agent.Role.Add(new R4.CodeableConcept { Text = role });
        }

        if (purpose is not null)
        {
            agent.PurposeOfUse.Add(purpose);
        }

        a.Agent.Add(agent);
        if (actor.Organisation is { OdsCode.Length: > 0 } org)
        {
            a.Agent.Add(new R4.AuditEvent.AgentComponent
            {
                Who = FhirMappingContext.OrganisationIdentifier(org),
                Requestor = false,
                Type = new R4.CodeableConcept { Text = "Organisation of the person or system" },
            });
        }

        a.Source = new R4.AuditEvent.SourceComponent
        {
            Site = "Leeds Care Record",
            Observer = new R4.ResourceReference { Display = "Leeds Care Record platform" },
        };
        a.Source.Type.Add(new R4.Coding(FhirSystems.SecuritySourceType, "4", "Application Server"));

        var patient = new R4.AuditEvent.EntityComponent
        {
            What = context.Patient(),
            Type = new R4.Coding(FhirSystems.EntityType, "1", "Person"),
            Role = new R4.Coding(FhirSystems.ObjectRole, "1", "Patient"),
            Description = "Audit event " + e.EventId,
        };
        var categories = string.Join(", ", e.ReturnedCategories.Select(Describe));
        if (e.ReturnedCategories.Count > 0)
        {
            patient.Detail.Add(new R4.AuditEvent.DetailComponent { Type = "Record categories shown", Value = new R4.FhirString(categories) });
        }

        const string kindOnly = "only that each exists and its kind (no code or comment)";
        if (e.AlertDetailsWithheld)
        {
            patient.Detail.Add(new R4.AuditEvent.DetailComponent { Type = "Risks and alerts shown", Value = new R4.FhirString(kindOnly) });
        }

        a.Entity.Add(patient);
        foreach (var entryId in e.ReturnedEntryIds)
        {
            a.Entity.Add(new R4.AuditEvent.EntityComponent
            {
                What = new R4.ResourceReference { Identifier = new R4.Identifier(FhirSystems.EntryId, entryId) },
                Type = new R4.Coding(FhirSystems.EntityType, "2", "System Object"),
            });
        }

        a.Text = new FhirNarrative(Describe(e.Action) + (e.Outcome == AuditOutcome.Denied ? " (refused)" : string.Empty))
            .Row("When", Text(recorded))
            .Row("Who", Blank(actor.DisplayName) ?? Blank(actor.Id))
            .Row("Role", role)
            .Row("Organisation", actor.Organisation is { OdsCode.Length: > 0 } o ? (Blank(o.DisplayName) ?? o.OdsCode) : null)
            .Row("Why", purpose?.Text ?? purpose?.Coding.FirstOrDefault()?.Display)
            .Row("Outcome", a.OutcomeDesc ?? "Permitted")
            .Row("Shown", categories)
            .Row("Entries shown", e.ReturnedEntryIds.Count > 0 ? e.ReturnedEntryIds.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : null)
            .Row("Risks and alerts shown", e.AlertDetailsWithheld ? kindOnly : null)
            .Build();
        return a;
    }

    /// <summary>
    /// Why: the purpose as a v3-ActReason code, with the reason in the patient's words
    /// (<see cref="AccessReasons"/>, the same words as the access log; never the professional's own text) as its text.
    /// </summary>
    private static R4.CodeableConcept? Purpose(AuditEvent e)
    {
        var purpose = e.AccessBasisCase == AuditEvent.AccessBasisOneofCase.EmergencyAccess ? PurposeOfUse.EmergencyCare : e.PurposeOfUse;
        R4.CodeableConcept? concept = purpose switch
        {
            PurposeOfUse.DirectCare => new R4.CodeableConcept(FhirSystems.ActReason, "TREAT", "treatment"),
            PurposeOfUse.EmergencyCare => new R4.CodeableConcept(FhirSystems.ActReason, "ETREAT", "Emergency Treatment"),
            PurposeOfUse.SubjectAccessRequest => new R4.CodeableConcept(FhirSystems.ActReason, "PATRQT", "patient requested"),
            PurposeOfUse.InformationGovernance => new R4.CodeableConcept(FhirSystems.ActReason, "HOPERAT", "healthcare operations"),
            PurposeOfUse.RecordContribution => new R4.CodeableConcept(FhirSystems.ActReason, "TREAT", "treatment"),
            _ => null,
        };
        if (concept is not null)
        {
            concept.Text = AccessReasons.Of(e);
        }

        return concept;
    }
}
