using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// One line of "who has looked at your record", in plain words, from one AuditEvent: when,
/// who (name, role, organisation), what they did, why, whether it was allowed or refused, and
/// what they were shown. Pure: the renderer escapes every value.
/// </summary>
internal sealed record AccessLogRow(DateTimeOffset? When, string Who, string? Role, string? Organisation, string Action, string? Purpose,
    bool Allowed, string? RefusalReason, string? Shown)
{
    public static AccessLogRow From(R4.AuditEvent e)
    {
        var person = e.Agent.FirstOrDefault(a => a.Requestor == true) ?? e.Agent.FirstOrDefault();
        var organisation = e.Agent.FirstOrDefault(a => !ReferenceEquals(a, person) && a.Who is not null)?.Who;
        var purpose = e.PurposeOfEvent.FirstOrDefault() ?? person?.PurposeOfUse.FirstOrDefault();
        var subtype = e.Subtype.FirstOrDefault();
        var patient = e.Entity.FirstOrDefault(x => x.Role?.Code == "1");
        var categories = patient?.Detail.FirstOrDefault(d => d.Type == "Record categories shown")?.Value as R4.FhirString;
        var entries = e.Entity.Count(x => x.Type?.Code == "2");
        var shown = categories?.Value is { Length: > 0 } c
            ? CategoryWords(c) + (entries > 0 ? $" ({entries} {(entries == 1 ? "entry" : "entries")})" : string.Empty)
            : entries > 0 ? $"{entries} {(entries == 1 ? "entry" : "entries")}" : null;
        var refused = e.Outcome is not (null or R4.AuditEvent.AuditEventOutcome.N0);
        return new AccessLogRow(
            When: e.Period?.StartElement?.ToDateTimeOffset(TimeSpan.Zero) ?? e.Recorded,
            Who: person?.Name ?? person?.Who?.Display ?? person?.Who?.Identifier?.Value ?? "(not recorded)",
            Role: person?.Role.Select(EntryWords.Concept).FirstOrDefault(r => r is not null),
            Organisation: OrganisationName(organisation),
            Action: ActionWords(subtype?.Code, subtype?.Display),
            Purpose: PurposeWords(purpose),
            Allowed: !refused,
            RefusalReason: refused ? Reason(e.OutcomeDesc) : null,
            Shown: refused ? null : shown);
    }

    private static string? OrganisationName(R4.ResourceReference? org)
    {
        if (org is null)
        {
            return null;
        }

        var ods = org.Identifier?.Value;
        return org.Display is { Length: > 0 } name ? (ods is null || name == ods ? name : $"{name} ({ods})") : ods;
    }

    /// <summary>The platform's category names ("Demographics, Problems") as the copy's headings call them.</summary>
    private static string CategoryWords(string categories) => string.Join(", ", categories.Split(", ").Select(c => c switch
    {
        "Demographics" => "personal details",
        "Problems" => "health problems",
        "Medications" => "medicines",
        "Allergies" => "allergies",
        "Test results" => "test results",
        "Documents" => "letters and documents",
        "Risks and alerts" => "risks and alerts",
        _ => c,
    }));

    /// <summary>The platform's audit action (AuditEvent.subtype code) in words.</summary>
    public static string ActionWords(string? code, string? display) => code switch
    {
        "ViewSummary" => "Looked at your record summary",
        "ViewCategory" => "Looked at part of your record",
        "ViewEntry" => "Looked at an entry in your record",
        "ViewDocument" => "Opened a document",
        "ViewDemographics" => "Looked at your personal details",
        "Search" => "Searched for your record",
        "TokenIssued" => "Was given access to your record",
        "EmergencyAccess" => "Used emergency access to your record",
        "Contribution" => "Added or changed information in your record",
        "ConsentChange" => "Recorded a change to your sharing choices",
        "AuditQuery" => "Checked who has looked at your record",
        "SubjectAccessExport" => "Made a copy of your record (a subject access request)",
        "CareRelationshipChange" => "Recorded that they care for you (or no longer do)",
        "SelfClaimedRelationship" => "Recorded themselves that they are caring for you",
        "RecordSealed" => "Sealed your record",
        "RecordUnsealed" => "Lifted the seal on your record",
        "PrivacyReviewDecision" => "Reviewed an access to your record",
        "NhsNumberSuperseded" => "Recorded that two of your NHS numbers are the same person (merged)",
        "NhsNumberSupersessionWithdrawn" => "Undid a merge of two NHS numbers recorded in error",
        _ => display is { Length: > 0 } ? display : "Used your record",
    };

    private static readonly HashSet<string> StandardDisplays = new(StringComparer.OrdinalIgnoreCase)
    {
        "treatment", "Emergency Treatment", "patient requested", "healthcare operations",
    };

    private static string? PurposeWords(R4.CodeableConcept? purpose)
    {
        if (purpose is null)
        {
            return null;
        }

        // The platform writes the reason in the patient's words as the text (its one wording table,
        // e.g. "direct care: inpatient stay"); shown as written, never reworded here. A copy
        // without it (older exports) falls back to the purpose code in words.
        var text = purpose.Text;
        var standard = string.IsNullOrEmpty(text) || StandardDisplays.Contains(text) || purpose.Coding.Any(c => string.Equals(c.Display, text, StringComparison.OrdinalIgnoreCase));
        if (!standard)
        {
            return char.ToUpperInvariant(text![0]) + text[1..];
        }

        return purpose.Coding.FirstOrDefault()?.Code switch
        {
            "TREAT" => "Your care",
            "ETREAT" => "Emergency care",
            "PATRQT" => "Your request for a copy of your record",
            "HOPERAT" => "Managing the record (information governance)",
            _ => EntryWords.Concept(purpose),
        };
    }

    /// <summary>The refusal reason as the platform wrote it ("Refused: No care relationship"), without the prefix.</summary>
    private static string? Reason(string? description)
    {
        const string prefix = "Refused: ";
        return description is null ? null
            : description.StartsWith(prefix, StringComparison.Ordinal) ? description[prefix.Length..]
            : description;
    }
}
