using System.Globalization;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// Renders a subject access export (<see cref="SubjectAccessRecord"/>, read from the Bundle) as
/// one self-contained, printable HTML document a patient can read: their details, the export's
/// time and id, a contents list, per organisation the entries by category with every version
/// (<see cref="EntrySection"/>), and who looked at the record and when (<see cref="AccessLogSection"/>).
/// Written to a <see cref="TextWriter"/> as it goes; no scripts, no external resources, and a
/// Content-Security-Policy that would stop any even if escaping failed. The Bundle stays the
/// authoritative copy; this is its readable companion (docs/subject-access.md).
/// </summary>
internal static class SubjectAccessHtmlRenderer
{
    public static async Task RenderAsync(SubjectAccessRecord record, TextWriter output, CancellationToken cancellationToken)
    {
        var html = new HtmlOut(output, cancellationToken);
        var organisations = Organisations(record);
        await html.Raw("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n" +
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n" +
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
        await html.Text("Your Leeds Care Record" + (PatientName(record.Patient) is { } name ? ": " + name : string.Empty));
        await html.Raw("</title>\n<style>\n" + Styles.Css + "</style>\n</head>\n<body>\n<header>\n<h1>Your Leeds Care Record</h1>\n");
        await html.Raw("<p class=\"lead\">This is a copy of the information the Leeds Care Record holds about you, made because you asked for it " +
            "(a subject access request). It shows what each organisation has shared, every change made to it, and who has looked at your record.</p>\n");
        await WriteExportFacts(html, record);
        await html.Raw("</header>\n");
        await WriteContents(html, record, organisations);
        await WriteAbout(html);
        await WritePatient(html, record.Patient);
        var number = 0;
        foreach (var (key, title, entries) in organisations)
        {
            await EntrySection.WriteOrganisationAsync(html, record, $"org-{++number}", title, entries);
        }

        if (organisations.Count == 0)
        {
            await html.Raw("<section class=\"organisation\"><h2>Information shared about you</h2><p class=\"none\">No organisation has shared any information about you in this part of the record.</p></section>\n");
        }

        await AccessLogSection.WriteAsync(html, record.AccessLog, record.AccessLogWithheld);
        await html.Raw("<footer><p>");
        await html.Text($"Copy reference {record.ExportId ?? "(none)"}. ");
        await html.Raw("The computer-readable file given with this copy (a FHIR Bundle) is the full and authoritative copy; this document shows the same information in words.</p></footer>\n</body>\n</html>\n");
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>The organisations that contributed, by name, each with its entries in Bundle order.</summary>
    private static List<(string Key, string Title, List<RecordEntry> Entries)> Organisations(SubjectAccessRecord record) =>
        record.Entries
            .GroupBy(e => e.OrganisationKey, StringComparer.Ordinal)
            .Select(g => (g.Key, Title: OrganisationTitle(record, g.Key), Entries: g.ToList()))
            .OrderBy(o => o.Title, StringComparer.OrdinalIgnoreCase)
            .ToList();

    public static string OrganisationTitle(SubjectAccessRecord record, string key)
    {
        if (!record.Organisations.TryGetValue(key, out var org))
        {
            return "An organisation not named in this copy";
        }

        var ods = org.Identifier.FirstOrDefault(i => i.System == SubjectAccessRecord.OdsSystem)?.Value;
        var name = org.Name is { Length: > 0 } n && n != ods ? n
            : ods is not null && record.OrganisationNames.TryGetValue(ods, out var known) ? known
            : null;
        return name is not null ? (ods is null ? name : $"{name} ({ods})") : ods is not null ? $"Organisation {ods}" : "An unnamed organisation";
    }

    private static async Task WriteExportFacts(HtmlOut html, SubjectAccessRecord record)
    {
        await html.Raw("<p class=\"facts\">");
        await html.Text("Copy made on " + (record.ExportedAt is { } at ? UkDates.Moment(at) + " (UK time)" : "(date not recorded)") + ". ");
        await html.Text("Copy reference: " + (record.ExportId ?? "(none)") + ".");
        await html.Raw("</p>\n");
    }

    private static async Task WriteContents(HtmlOut html, SubjectAccessRecord record, List<(string Key, string Title, List<RecordEntry> Entries)> organisations)
    {
        await html.Raw("<nav class=\"contents\">\n<h2>Contents</h2>\n<ol>\n<li><a href=\"#about\">How to read this copy</a></li>\n<li><a href=\"#patient\">Your details</a></li>\n");
        var number = 0;
        foreach (var (_, title, entries) in organisations)
        {
            await html.Raw($"<li><a href=\"#org-{++number}\">");
            await html.Text("From " + title);
            await html.Raw("</a>\n<ol>\n");
            foreach (var category in Enum.GetValues<EntryCategory>())
            {
                var count = entries.Count(e => e.Category == category);
                await html.Raw($"<li><a href=\"#org-{number}-{category.ToString().ToLowerInvariant()}\">");
                await html.Text($"{EntryWords.CategoryTitle(category)} ({(count == 0 ? "none" : count.ToString(CultureInfo.InvariantCulture))})");
                await html.Raw("</a></li>\n");
            }

            await html.Raw("</ol></li>\n");
        }

        await html.Raw("<li><a href=\"#access\">");
        await html.Text(record.AccessLogWithheld is not null ? "Who has looked at your record (withheld while it is reviewed)"
            : $"Who has looked at your record ({record.AccessLog.Count} {(record.AccessLog.Count == 1 ? "event" : "events")})");
        await html.Raw("</a></li>\n</ol>\n</nav>\n");
    }

    private static Task WriteAbout(HtmlOut html) => html.Raw(
        "<section id=\"about\">\n<h2>How to read this copy</h2>\n<ul>\n" +
        "<li>Information is listed by the organisation that shared it (your GP practice, hospitals and other services), then by kind: " +
        "health problems, medicines, allergies, test results, and letters and documents.</li>\n" +
        "<li>When an entry has been changed, every version is shown, newest first. The one marked <strong>current</strong> is how it stands now; " +
        "older versions are marked <strong>replaced</strong>.</li>\n" +
        "<li>An entry marked <strong>withdrawn</strong> was found to be recorded in error by the organisation that shared it. " +
        "It is no longer shown to anyone caring for you, but it is kept, with its history, and included here.</li>\n" +
        "<li>An entry marked <strong>sensitive</strong> is kept out of the view professionals see unless you agree otherwise.</li>\n" +
        "<li>Dates and times are UK time. If anything here is wrong, tell the organisation that shared it.</li>\n</ul>\n</section>\n");

    private static async Task WritePatient(HtmlOut html, R4.Patient? patient)
    {
        await html.Raw("<section id=\"patient\">\n<h2>Your details</h2>\n");
        if (patient is null)
        {
            await html.Raw("<p class=\"none\">No personal details are held in this copy.</p>\n</section>\n");
            return;
        }

        var rows = new List<(string, string?)>
        {
            ("Name", PatientName(patient)),
            ("NHS number", NhsNumber(patient.Identifier.FirstOrDefault(i => i.System == SubjectAccessRecord.NhsNumberSystem)?.Value)),
            ("Date of birth", UkDates.FromFhir(patient.BirthDate)),
            ("Gender", patient.Gender switch
            {
                R4.AdministrativeGender.Male => "Male",
                R4.AdministrativeGender.Female => "Female",
                R4.AdministrativeGender.Other => "Other",
                R4.AdministrativeGender.Unknown => "Not known",
                _ => null,
            }),
        };
        rows.AddRange(patient.Address.Select(a => ("Address", (string?)string.Join(", ", a.Line.Append(a.PostalCode).Where(s => !string.IsNullOrEmpty(s))))));
        rows.AddRange(patient.Telecom.Select(t => (t.System == R4.ContactPoint.ContactPointSystem.Email ? "Email" : t.Use switch
        {
            R4.ContactPoint.ContactPointUse.Mobile => "Mobile phone",
            R4.ContactPoint.ContactPointUse.Work => "Work phone",
            R4.ContactPoint.ContactPointUse.Temp => "Temporary phone",
            _ => "Home phone",
        }, (string?)t.Value)));
        rows.AddRange(patient.GeneralPractitioner.Select(g => ("Registered GP practice", (string?)(g.Display is { Length: > 0 } d
            ? g.Identifier?.Value is { } ods ? $"{d} ({ods})" : d
            : g.Identifier?.Value))));
        rows.Add(("Date of death", UkDates.FromFhir((patient.Deceased as R4.FhirDateTime)?.Value)));
        await EntrySection.WriteDetailsAsync(html, rows.Where(r => !string.IsNullOrWhiteSpace(r.Item2)).Select(r => (r.Item1, r.Item2!)).ToList());
        if (patient.Meta?.Security.Any(s => s.Code == "R") == true)
        {
            await html.Raw("<p class=\"notice\">Your address and telephone numbers are marked as restricted: they are hidden from the people who look at your record, " +
                "but they are included in your own copy.</p>\n");
        }

        await html.Raw("</section>\n");
    }

    private static string? PatientName(R4.Patient? patient)
    {
        var name = patient?.Name.FirstOrDefault();
        if (name is null)
        {
            return null;
        }

        var words = name.Prefix.Concat(name.Given).Append(name.Family).Where(s => !string.IsNullOrEmpty(s));
        var text = string.Join(" ", words);
        return text.Length > 0 ? text : name.Text;
    }

    /// <summary>An NHS number as it is printed on NHS letters: 999 000 0018.</summary>
    private static string? NhsNumber(string? nhs) =>
        nhs is { Length: 10 } && nhs.All(char.IsAsciiDigit) ? $"{nhs[..3]} {nhs[3..6]} {nhs[6..]}" : nhs;
}
