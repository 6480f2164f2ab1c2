using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.SubjectAccess;

/// <summary>"Who has looked at your record": one table row per AuditEvent, newest first (<see cref="AccessLogRow"/>).</summary>
internal static class AccessLogSection
{
    public static async Task WriteAsync(HtmlOut html, List<R4.AuditEvent> events, string? withheld = null)
    {
        await html.Raw("<section id=\"access\">\n<h2>Who has looked at your record</h2>\n");
        if (withheld is not null)
        {
            // Held for enhanced review: the platform's own words, nothing else.
            await html.Raw("<p class=\"none withheld\">");
            await html.Text(withheld);
            await html.Raw("</p>\n</section>\n");
            return;
        }

        await html.Raw("<p>Every time someone looks at your record, changes it or is refused, the Leeds Care Record writes it down. " +
            "This is that list, newest first. Refused attempts are included: the person was not shown anything.</p>\n");
        if (events.Count == 0)
        {
            await html.Raw("<p class=\"none\">Nobody has looked at your record.</p>\n</section>\n");
            return;
        }

        await html.Raw("<table class=\"access\">\n<thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">Their role</th>" +
            "<th scope=\"col\">Organisation</th><th scope=\"col\">What they did</th><th scope=\"col\">Why</th><th scope=\"col\">Allowed or refused</th></tr></thead>\n<tbody>\n");
        foreach (var row in events.Select(AccessLogRow.From).OrderByDescending(r => r.When))
        {
            await html.Raw(row.Allowed ? "<tr>" : "<tr class=\"refused\">");
            await html.Element("td", row.When is { } at ? UkDates.Moment(at) : "(not recorded)");
            await html.Element("td", row.Who);
            await html.Element("td", row.Role ?? "-");
            await html.Element("td", row.Organisation ?? "-");
            await html.Raw("<td>");
            await html.Text(row.Action);
            if (row.Shown is { } shown)
            {
                await html.Raw("<br><span class=\"shown\">");
                await html.Text("Shown: " + shown);
                await html.Raw("</span>");
            }

            await html.Raw("</td>");
            await html.Element("td", row.Purpose ?? "-");
            await html.Element("td", row.Allowed ? "Allowed" : "Refused" + (row.RefusalReason is { Length: > 0 } reason ? ": " + reason : string.Empty));
            await html.Raw("</tr>\n");
        }

        await html.Raw("</tbody>\n</table>\n</section>\n");
    }
}
