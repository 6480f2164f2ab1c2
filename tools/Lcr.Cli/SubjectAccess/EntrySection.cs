using System.Globalization;
using System.Text;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// One organisation's part of the readable copy: its entries by category (an empty category
/// says so), each entry with every version newest first, marked current, replaced or withdrawn,
/// with where it came from; documents with their content when the Bundle has it.
/// </summary>
internal static class EntrySection
{
    /// <summary>Content types shown as pictures; anything else that is not text is offered as a file to save.</summary>
    private static readonly string[] Images = ["image/png", "image/jpeg", "image/gif"];

    public static async Task WriteOrganisationAsync(HtmlOut html, SubjectAccessRecord record, string anchor, string title, List<RecordEntry> entries)
    {
        await html.Raw($"<section class=\"organisation\" id=\"{anchor}\">\n<h2>");
        await html.Text("From " + title);
        await html.Raw("</h2>\n");
        foreach (var category in Enum.GetValues<EntryCategory>())
        {
            var inCategory = entries.Where(e => e.Category == category).ToList();
            await html.Raw($"<section class=\"category\" id=\"{anchor}-{category.ToString().ToLowerInvariant()}\">\n");
            await html.Element("h3", EntryWords.CategoryTitle(category));
            if (inCategory.Count == 0)
            {
                await html.Raw("<p class=\"none\">Nothing of this kind has been shared by this organisation.</p>\n");
            }

            foreach (var entry in inCategory)
            {
                await WriteEntryAsync(html, record, entry);
            }

            await html.Raw("</section>\n");
        }

        await html.Raw("</section>\n");
    }

    private static async Task WriteEntryAsync(HtmlOut html, SubjectAccessRecord record, RecordEntry entry)
    {
        var withdrawn = entry.Current.Retracted;
        await html.Raw(withdrawn ? "<article class=\"entry withdrawn\">\n<h4>" : "<article class=\"entry\">\n<h4>");
        await html.Text(EntryWords.Title(entry.Current.Resource));
        if (withdrawn)
        {
            await html.Raw(" <span class=\"badge withdrawn\">withdrawn: recorded in error</span>");
        }

        if (entry.Versions.Any(v => v.Sensitive))
        {
            await html.Raw(" <span class=\"badge sensitive\">sensitive</span>");
        }

        await html.Raw("</h4>\n");
        for (var i = entry.Versions.Count - 1; i >= 0; i--)
        {
            var version = entry.Versions[i];
            var next = i + 1 < entry.Versions.Count ? entry.Versions[i + 1] : null;
            await WriteVersionAsync(html, record, version, next, entry.Versions.Count);
        }

        await html.Raw("</article>\n");
    }

    private static async Task WriteVersionAsync(HtmlOut html, SubjectAccessRecord record, EntryVersion version, EntryVersion? next, int versions)
    {
        var state = next is not null ? "replaced" : version.Retracted ? "withdrawn" : "current";
        await html.Raw($"<div class=\"version {state}\">\n<p class=\"version-head\">");
        await html.Text(versions > 1 || version.Number > 1 ? $"Version {version.Number.ToString(CultureInfo.InvariantCulture)}" : "Version 1 (the only version)");
        await html.Raw(state switch
        {
            "current" => " <span class=\"badge current\">current</span>",
            "withdrawn" => " <span class=\"badge withdrawn\">withdrawn</span>",
            _ => " <span class=\"badge replaced\">replaced</span>",
        });
        await html.Raw("<br>");
        await html.Text(Origin(record, version, next));
        await html.Raw("</p>\n");
        await WriteDetailsAsync(html, EntryWords.Details(version.Resource));
        if (version.Resource is R4.DocumentReference document)
        {
            await WriteDocumentContentAsync(html, record, version, document, next is not null);
        }

        await html.Raw("</div>\n");
    }

    /// <summary>"Added on 4 March 2024 at 10:22 by Beckett Street Surgery (B86001) using EMIS Web, their reference E1. Replaced on ...".</summary>
    private static string Origin(SubjectAccessRecord record, EntryVersion version, EntryVersion? next)
    {
        var text = new StringBuilder();
        var activity = version.Provenance?.Activity?.Coding.FirstOrDefault()?.Code;
        text.Append(version.Retracted || activity == "NULLIFY" ? "Withdrawn as recorded in error" : activity == "UPDATE" || version.Number > 1 ? "Changed" : "Added");
        if (version.Recorded is { } at)
        {
            text.Append(" on ").Append(UkDates.Moment(at));
        }

        var organisation = SubjectAccessRecord.OrganisationOf(version.Resource, version.Provenance);
        text.Append(" by ").Append(SubjectAccessHtmlRenderer.OrganisationTitle(record, organisation));
        var system = version.Provenance?.Agent.FirstOrDefault(a => a.Type?.Coding.Any(c => c.Code == "assembler") == true)?.Who?.Display;
        if (!string.IsNullOrEmpty(system))
        {
            text.Append(" using ").Append(system);
        }

        var sourceId = SubjectAccessRecord.Identifiers(version.Resource).FirstOrDefault(i => i.System == SubjectAccessRecord.SourceEntryIdSystem)?.Value;
        if (!string.IsNullOrEmpty(sourceId))
        {
            text.Append(", their reference ").Append(sourceId);
        }

        text.Append('.');
        if (next?.Recorded is { } replaced)
        {
            text.Append(" Replaced on ").Append(UkDates.Moment(replaced)).Append('.');
        }

        if (version.Sensitive)
        {
            text.Append(" Marked sensitive.");
        }

        return text.ToString();
    }

    public static async Task WriteDetailsAsync(HtmlOut html, List<(string Label, string Value)> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        await html.Raw("<dl>\n");
        foreach (var (label, value) in rows)
        {
            await html.Element("dt", label);
            await html.Element("dd", value);
            await html.Raw("\n");
        }

        await html.Raw("</dl>\n");
    }

    private static async Task WriteDocumentContentAsync(HtmlOut html, SubjectAccessRecord record, EntryVersion version, R4.DocumentReference document, bool replaced)
    {
        var attachment = await record.ReadContentAsync(version, html.CancellationToken);
        if (attachment?.Data is not { } data)
        {
            await html.Element("p", replaced
                ? "The content of this earlier version is not included in this copy: only the current version's content is kept for copies."
                : version.Retracted
                    ? "The content of a withdrawn document is not included in this copy."
                    : "The content of this document is not included in this copy.", "none");
            return;
        }

        var type = (attachment.ContentType ?? string.Empty).Split(';')[0].Trim().ToLowerInvariant();
        if (type.StartsWith("text/", StringComparison.Ordinal))
        {
            await html.Raw("<pre class=\"document\">");
            await html.Text(Encoding.UTF8.GetString(data));
            await html.Raw("</pre>\n");
        }
        else if (Images.Contains(type))
        {
            await html.Raw($"<img class=\"document\" alt=\"The document's picture\" src=\"data:{type};base64,");
            await html.Base64(data);
            await html.Raw("\">\n");
        }
        else
        {
            // Offered as a file to save, never opened as a page: a PDF keeps its type, anything else is plain bytes.
            var (safeType, extension, kind) = type == "application/pdf" ? ("application/pdf", "pdf", "PDF file") : ("application/octet-stream", "bin", "file");
            var name = $"document-{new string((document.Id ?? string.Empty).Where(char.IsAsciiLetterOrDigit).Take(12).ToArray())}.{extension}";
            await html.Raw("<p class=\"file\">");
            await html.Text($"This document is a {kind} ({Size(data.Length)}). It is included in this copy: ");
            await html.Raw($"<a download=\"{name}\" href=\"data:{safeType};base64,");
            await html.Base64(data);
            await html.Raw("\">save or open it</a>");
            await html.Text($" on a computer. It does not appear on the printed pages.");
            await html.Raw("</p>\n");
        }
    }

    private static string Size(int bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => $"{bytes / 1024.0:0} KB",
        _ => $"{bytes / (1024.0 * 1024):0.0} MB",
    };
}
