using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;
using static Lcr.Gateway.Fhir.FhirValues;

namespace Lcr.Gateway.Fhir;

/// <summary>A document (letter, referral, discharge summary) as a DocumentReference; its content is attached separately.</summary>
public static class DocumentReferenceMapper
{
    /// <param name="isCurrent">Whether this is the entry's current version (older versions are superseded).</param>
    /// <param name="contentUrl">Where the API serves the content (<c>Binary/{id}</c>); null in a self-contained Bundle.</param>
    public static R4.DocumentReference Map(Entry e, FhirMappingContext context, bool isCurrent, string? contentUrl = null)
    {
        var d = e.Document;
        var r = new R4.DocumentReference
        {
            Identifier = EntryElements.Identifiers(e, context),
            Status = e.EnteredInError ? R4.DocumentReferenceStatus.EnteredInError
                : isCurrent ? R4.DocumentReferenceStatus.Current : R4.DocumentReferenceStatus.Superseded,
            DocStatus = R4.CompositionStatus.Final,
            Type = Concept(e.Code),
            Subject = context.Patient(),
            Date = d.AuthoredTime?.ToDateTimeOffset(),
            Custodian = context.Organisation(e.Provenance?.SourceOrganisation),
            Description = Blank(d.Title),
        };
        var kind = d.Type switch
        {
            DocumentType.Referral => "Referral",
            DocumentType.ClinicLetter => "Clinic letter",
            DocumentType.DischargeSummary => "Discharge summary",
            DocumentType.CarePlan => "Care plan",
            _ => "Other clinical document",
        };
        r.Category.Add(new R4.CodeableConcept { Text = kind });
        if (!string.IsNullOrEmpty(d.Author))
        {
            r.Author.Add(new R4.ResourceReference { Display = d.Author });
        }

        if (d.AuthoringOrganisation is { OdsCode.Length: > 0 } author)
        {
            r.Author.Add(context.Organisation(author));
        }

        var attachment = new R4.Attachment
        {
            ContentType = Blank(d.ContentType) ?? "application/octet-stream",
            Title = Blank(d.Title),
            Creation = d.AuthoredTime is { } authored ? new R4.FhirDateTime(authored.ToDateTimeOffset()).Value : null,
            Url = isCurrent && !e.EnteredInError ? contentUrl : null,
        };
        r.Content.Add(new R4.DocumentReference.ContentComponent { Attachment = attachment });
        r.Text = new FhirNarrative(kind + ": " + (Blank(d.Title) ?? Text(e.Code)))
            .Row("Type", Text(e.Code))
            .Row("Author", string.Join(", ", r.Author.Select(a => a.Display).Where(x => !string.IsNullOrEmpty(x))))
            .Row("Written", Text(d.AuthoredTime?.ToDateTimeOffset()))
            .Row("Format", attachment.ContentType)
            .Row("Status", isCurrent ? null : "Superseded by a later version")
            .Source(e)
            .Build();
        return r;
    }

    /// <summary>
    /// Puts a document's current content into its DocumentReference: <c>data</c>, its SHA-1
    /// <c>hash</c>, and the content type the clinical service holds for it.
    /// </summary>
    public static void AttachContent(R4.DocumentReference document, DocumentContent content)
    {
        var attachment = document.Content[0].Attachment;
        if (content.ContentType is { Length: > 0 } contentType)
        {
            attachment.ContentType = contentType;
        }

        attachment.Data = Bytes(content);
        // Attachment.size is left out: Hl7.Fhir.R4 6.8.0 serializes it as a JSON string
        // (R5's integer64) that its own R4 parser then rejects as an unsignedInt.
#pragma warning disable CA5350 // FHIR R4 defines Attachment.hash as SHA-1: an integrity checksum the format requires, not a security control.
        attachment.Hash = SHA1.HashData(attachment.Data);
#pragma warning restore CA5350
    }

    /// <summary>Drops the content again once the resource is written, so it is not kept for the rest of the export.</summary>
    public static void DetachContent(R4.DocumentReference document)
    {
        var attachment = document.Content[0].Attachment;
        attachment.Data = null;
        attachment.Hash = null;
    }

    /// <summary>The received message's own array where it has one (it is never written to), so a document is not copied again.</summary>
    public static byte[] Bytes(DocumentContent content) =>
        MemoryMarshal.TryGetArray(content.Data.Memory, out var whole) && whole is { Offset: 0, Array: { } array } && whole.Count == array.Length
            ? array
            : content.Data.ToByteArray();
}
