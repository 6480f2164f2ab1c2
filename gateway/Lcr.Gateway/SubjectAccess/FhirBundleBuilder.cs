using Lcr.Clinical.V1;
using Lcr.Gateway.Fhir;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// Turns a <see cref="SubjectAccessData"/> into a FHIR R4 Bundle (type collection) with the
/// mappers of <c>Fhir/</c>, the same ones the FHIR API uses: pure, no I/O, so the mapping is
/// tested without a host. The mapping table is in docs/subject-access.md. Every entry version
/// is its own resource (meta.versionId = the platform version, identifier = the platform entry
/// id and the source's id), with one Provenance naming its source organisation, source system,
/// source id and what happened; every resource carries a readable narrative.
/// </summary>
public static class FhirBundleBuilder
{
    public const string NhsNumberSystem = FhirSystems.NhsNumber;
    public const string OdsSystem = FhirSystems.Ods;
    public const string EntryIdSystem = FhirSystems.EntryId;
    public const string SourceEntryIdSystem = FhirSystems.SourceEntryId;

    /// <summary>
    /// The code (in <see cref="FhirSystems.ErrorReason"/>) of the OperationOutcome that stands in
    /// for the access log while it is held for enhanced review.
    /// </summary>
    public const string AccessLogUnderReview = "ACCESS_LOG_UNDER_REVIEW";

    /// <summary>The words the export and its readable copy use for a withheld access log.</summary>
    public const string AccessLogWithheldText =
        "Who has looked at your record: withheld while it is reviewed. It will be given to you when the review is complete.";

    /// <summary>
    /// Builds the Bundle. The resources appear as: Patient, Organizations, Devices, entries
    /// (risks and alerts, as Flags, first), reports, Provenances, AuditEvents (or, while the
    /// access log is under review, one OperationOutcome saying it is withheld).
    /// </summary>
    public static R4.Bundle Build(SubjectAccessData data)
    {
        var context = FhirMappingContext.ForBundle(data.NhsNumber, data.CreatedAt);
        var patient = PatientMapper.Map(data.Patient, context);
        var entries = new List<R4.Resource>();
        var provenance = new List<R4.Resource>();
        foreach (var item in data.Entries)
        {
            // Oldest first, so each version's resource follows the one it replaced.
            foreach (var version in item.Versions.OrderBy(v => v.Version))
            {
                var isCurrent = version.Version == item.Current.Version;
                if (EntryMapper.Map(version, context, isCurrent) is not { } resource)
                {
                    continue;
                }

                if (resource is R4.DocumentReference && isCurrent && !version.EnteredInError)
                {
                    // The content is fetched and attached only while this resource is written out
                    // (SubjectAccessBundleWriter), so an export holds one document at a time.
                    resource.AddAnnotation(new PendingDocumentContent(version.Id));
                }

                entries.Add(resource);
                provenance.Add(ProvenanceMapper.Map(version, resource.Id!, context));
            }
        }

        var reports = DiagnosticReportMapper.Map(data.Entries.Select(x => x.Current), context).ToList<R4.Resource>();
        var audit = data.AccessLogWithheld
            ? [AccessLogWithheld(data.BundleId)]
            : data.AccessLog.Select(e => AuditEventMapper.Map(e, context)).ToList<R4.Resource>();

        var bundle = new R4.Bundle
        {
            Id = data.BundleId,
            Identifier = new R4.Identifier(FhirSystems.ExportId, data.BundleId),
            Type = R4.Bundle.BundleType.Collection,
            Timestamp = data.CreatedAt,
            Meta = new R4.Meta { LastUpdated = data.CreatedAt },
        };
        // Alerts first among the clinical resources, as in every view (stable: each entry's versions stay in order).
        var ordered = entries.Where(r => r is R4.Flag).Concat(entries.Where(r => r is not R4.Flag));
        foreach (var r in new R4.Resource[] { patient }.Concat(context.Organisations).Concat(context.Devices).Concat(ordered).Concat(reports)
                     .Concat(provenance).Concat(audit))
        {
            bundle.Entry.Add(new R4.Bundle.EntryComponent { FullUrl = FhirValues.Urn(r.Id!), Resource = r });
        }

        return bundle;
    }

    /// <summary>The statement, in place of the AuditEvents, that the access log is withheld while it is reviewed.</summary>
    public static R4.OperationOutcome AccessLogWithheld(string bundleId)
    {
        var outcome = new R4.OperationOutcome { Id = FhirValues.StableId("access-log-withheld", bundleId) };
        outcome.Issue.Add(new R4.OperationOutcome.IssueComponent
        {
            Severity = R4.OperationOutcome.IssueSeverity.Information,
            Code = R4.OperationOutcome.IssueType.Suppressed,
            Details = new R4.CodeableConcept(FhirSystems.ErrorReason, AccessLogUnderReview, "Access log under review") { Text = AccessLogWithheldText },
        });
        outcome.Text = new FhirNarrative("Who has looked at your record").Row("Status", AccessLogWithheldText).Build();
        return outcome;
    }

    /// <summary>Puts a document's current content into its DocumentReference (<see cref="DocumentReferenceMapper.AttachContent"/>).</summary>
    public static void AttachContent(R4.DocumentReference document, DocumentContent content) => DocumentReferenceMapper.AttachContent(document, content);

    /// <summary>Drops the content again once the resource is written.</summary>
    public static void DetachContent(R4.DocumentReference document) => DocumentReferenceMapper.DetachContent(document);

}
