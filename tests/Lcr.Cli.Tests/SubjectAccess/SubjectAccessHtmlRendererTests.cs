using System.Text;
using AngleSharp.Dom;
using Lcr.Cli.SubjectAccess;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.Tests.SubjectAccess;

/// <summary>The readable copy of a subject access export, rendered from Bundles built in the test (no host).</summary>
public sealed class SubjectAccessHtmlRendererTests
{
    private const string Gp = "org-gp";
    private const string Hospital = "org-hospital";
    private static readonly DateTimeOffset March = new(2026, 3, 4, 10, 22, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset July = new(2026, 7, 1, 12, 5, 0, TimeSpan.Zero);

    private static TestBundle Base() => new TestBundle()
        .Patient(edit: p =>
        {
            p.Name.Add(new R4.HumanName { Given = ["Alice"], Family = "Example" });
            p.BirthDate = "1970-05-09";
            p.Gender = R4.AdministrativeGender.Female;
            p.Address.Add(new R4.Address { Line = ["1 Park Row", "Leeds"], PostalCode = "LS1 5AB" });
        })
        .Organisation(Gp, "B86001", "Beckett Street Surgery")
        .Organisation(Hospital, "RR8", "Leeds Teaching Hospitals");

    private static R4.Condition Asthma(string? note = null, string status = "active")
    {
        var c = new R4.Condition
        {
            Code = new R4.CodeableConcept("http://snomed.info/sct", "195967001", "Asthma", "Asthma"),
            ClinicalStatus = new R4.CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", status),
            VerificationStatus = new R4.CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
            Onset = new R4.FhirDateTime("2019-03"),
        };
        if (note is not null)
        {
            c.Note.Add(new R4.Annotation { Text = note });
        }

        return c;
    }

    private static R4.MedicationStatement Salbutamol(bool retracted = false)
    {
        var m = new R4.MedicationStatement
        {
            Status = retracted ? R4.MedicationStatement.MedicationStatusCodes.EnteredInError : R4.MedicationStatement.MedicationStatusCodes.Active,
            Medication = new R4.CodeableConcept { Text = "Salbutamol 100micrograms/dose inhaler" },
        };
        m.Dosage.Add(new R4.Dosage { Text = "2 puffs, when required" });
        if (retracted)
        {
            m.Note.Add(new R4.Annotation { Text = "Retracted as entered in error: recorded for the wrong patient" });
        }

        return m;
    }

    private static IElement Entry(AngleSharp.Html.Dom.IHtmlDocument doc, string title) =>
        doc.QuerySelectorAll("article.entry").Single(a => a.QuerySelector("h4")!.TextContent.Contains(title, StringComparison.Ordinal));

    [Fact]
    public async Task Record_text_is_escaped_so_markup_from_a_contributor_renders_as_text()
    {
        const string script = "<script>alert('x')</script>";
        const string image = "\"><img src=x onerror=alert(1)>";
        var doc = await Base()
            .Version(Asthma(note: script), "e1", 1, Gp, March)
            .Version(TestBundle.Letter("Letter " + image, "Dear Dr " + script + "\nPlease see."), "e2", 1, Hospital, March, sourceId: "A&E <1>")
            .Audit("a1", "ViewSummary", July, "Dr <b>Evil</b>", "GP", "B86001", "Surgery <i>x</i>")
            .DocumentAsync();

        Assert.Empty(doc.QuerySelectorAll("script"));
        Assert.Empty(doc.QuerySelectorAll("img"));
        Assert.Empty(doc.QuerySelectorAll("b, i"));
        Assert.DoesNotContain(doc.All, e => e.Attributes.Any(a => a.Name.StartsWith("on", StringComparison.Ordinal)));
        var text = doc.Body!.TextContent;
        Assert.Contains(script, text, StringComparison.Ordinal);
        Assert.Contains("Letter " + image, text, StringComparison.Ordinal);
        Assert.Contains("A&E <1>", text, StringComparison.Ordinal);
        Assert.Contains("Dr <b>Evil</b>", text, StringComparison.Ordinal);
        Assert.Contains("Dear Dr " + script, doc.QuerySelector("pre.document")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_copy_is_self_contained_and_forbids_scripts_and_external_resources()
    {
        var html = await Base().Version(Asthma(), "e1", 1, Gp, March).RenderAsync();
        var doc = TestBundle.Parse(html);

        Assert.Equal("default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            doc.QuerySelector("meta[http-equiv='Content-Security-Policy']")!.GetAttribute("content"));
        Assert.Empty(doc.QuerySelectorAll("link, script, iframe, object, embed"));
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("@media print", doc.QuerySelector("style")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("size: A4", doc.QuerySelector("style")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patient_details_export_time_id_and_contents_are_shown()
    {
        var doc = await Base().Version(Asthma(), "e1", 1, Gp, March).DocumentAsync();

        var details = doc.QuerySelector("#patient")!.TextContent;
        Assert.Contains("Alice Example", details, StringComparison.Ordinal);
        Assert.Contains("999 000 0018", details, StringComparison.Ordinal);
        Assert.Contains("9 May 1970", details, StringComparison.Ordinal);
        Assert.Contains("1 Park Row, Leeds, LS1 5AB", details, StringComparison.Ordinal);
        var facts = doc.QuerySelector(".facts")!.TextContent;
        Assert.Contains("1 July 2026 at 10:30 (UK time)", facts, StringComparison.Ordinal); // 09:30 UTC is 10:30 BST
        Assert.Contains("export-1", facts, StringComparison.Ordinal);
        var contents = doc.QuerySelectorAll("nav.contents a").Select(a => a.TextContent).ToList();
        Assert.Contains("From Beckett Street Surgery (B86001)", contents);
        Assert.Contains("Health problems and diagnoses (1)", contents);
        Assert.Contains("Medicines (none)", contents);
        Assert.All(doc.QuerySelectorAll("nav.contents a"), a => Assert.NotNull(doc.GetElementById(a.GetAttribute("href")![1..])));
    }

    [Fact]
    public async Task Every_version_is_shown_newest_first_with_the_current_one_marked_and_the_older_replaced()
    {
        var doc = await Base()
            .Version(Asthma(note: "First recorded"), "e1", 1, Gp, March)
            .Version(Asthma(note: "Now resolved", status: "resolved"), "e1", 2, Gp, July)
            .DocumentAsync();

        var versions = Entry(doc, "Asthma").QuerySelectorAll(".version").ToList();
        Assert.Equal(2, versions.Count);
        Assert.Contains("current", versions[0].ClassList);
        Assert.Contains("Version 2", versions[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Resolved", versions[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Changed on 1 July 2026 at 13:05 by Beckett Street Surgery (B86001) using EMIS Web, their reference SRC-1.", versions[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("replaced", versions[1].ClassList);
        Assert.Contains("Version 1", versions[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("Added on 4 March 2026 at 10:22", versions[1].TextContent, StringComparison.Ordinal); // GMT in March
        Assert.Contains("Replaced on 1 July 2026 at 13:05.", versions[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("First recorded", versions[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retracted_entry_is_marked_withdrawn_with_its_reason_and_keeps_the_version_before()
    {
        var doc = await Base()
            .Version(Salbutamol(), "e3", 1, Gp, March)
            .Version(Salbutamol(retracted: true), "e3", 2, Gp, July, retracted: true)
            .DocumentAsync();

        var entry = Entry(doc, "Salbutamol");
        Assert.Contains("withdrawn", entry.ClassList);
        Assert.Contains("withdrawn: recorded in error", entry.QuerySelector("h4")!.TextContent, StringComparison.Ordinal);
        var versions = entry.QuerySelectorAll(".version").ToList();
        Assert.Contains("withdrawn", versions[0].ClassList);
        Assert.Contains("Withdrawn as recorded in error on 1 July 2026", versions[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("recorded for the wrong patient", versions[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("replaced", versions[1].ClassList);
        Assert.Contains("Being taken", versions[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("2 puffs, when required", versions[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_are_grouped_by_organisation_and_empty_categories_say_so()
    {
        var doc = await Base()
            .Version(Asthma(), "e1", 1, Gp, March)
            .Version(Salbutamol(), "e3", 1, Hospital, March)
            .DocumentAsync();

        var organisations = doc.QuerySelectorAll("section.organisation").ToList();
        Assert.Equal(["From Beckett Street Surgery (B86001)", "From Leeds Teaching Hospitals (RR8)"], organisations.Select(o => o.QuerySelector("h2")!.TextContent));
        var gp = organisations[0];
        Assert.Single(gp.QuerySelectorAll("article.entry"));
        Assert.Equal(5, gp.QuerySelectorAll(".category p.none").Length); // every category but problems, risks and alerts included
        Assert.Contains("Nothing of this kind has been shared by this organisation.", gp.QuerySelector("#org-1-medications")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Salbutamol", organisations[1].QuerySelector("#org-2-medications")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_organisation_the_bundle_names_only_by_code_is_named_from_elsewhere_in_the_bundle()
    {
        var doc = await new TestBundle()
            .Patient(edit: p => p.GeneralPractitioner.Add(new R4.ResourceReference
            {
                Identifier = new R4.Identifier(SubjectAccessRecord.OdsSystem, "B86001"), Display = "Beckett Street Surgery",
            }))
            .Organisation(Gp, "B86001", "B86001")
            .Organisation(Hospital, "RR8", null)
            .Version(Asthma(), "e1", 1, Gp, March)
            .Version(Salbutamol(), "e3", 1, Hospital, March)
            .DocumentAsync();

        Assert.Equal(["From Beckett Street Surgery (B86001)", "From Organisation RR8"], doc.QuerySelectorAll("section.organisation h2").Select(h => h.TextContent));
    }

    [Fact]
    public async Task Access_log_rows_say_who_with_role_and_organisation_when_what_why_and_whether_allowed()
    {
        var doc = await Base()
            .Version(Asthma(), "e1", 1, Gp, March)
            .Audit("a1", "ViewSummary", March, "Dr Priya Shah", "GP (R8000)", "B86001", "Beckett Street Surgery", categories: "Problems, Medications", entries: 3,
                purposeText: "direct care: registered with this GP practice")
            .Audit("a2", "ViewSummary", July, "Nurse Kim Lee", "Nurse (R8001)", "RR8", "Leeds Teaching Hospitals", refused: true, reason: "No care relationship")
            .Audit("a3", "SubjectAccessExport", July.AddMinutes(5), "Ian Officer", null, null, null, purposeCode: "PATRQT", purposeText: "patient requested")
            .Audit("a4", "EmergencyAccess", March.AddMinutes(-5), "Dr Sam Cole", "Doctor", "RR8", null, purposeCode: "ETREAT",
                purposeText: "emergency access - clinical emergency")
            .DocumentAsync();

        var rows = doc.QuerySelectorAll("#access tbody tr").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent).ToList()).ToList();
        Assert.Equal(4, rows.Count);
        Assert.Equal(["4 March 2026 at 10:17", "Dr Sam Cole", "Doctor", "RR8", "Used emergency access to your record",
            "Emergency access - clinical emergency", "Allowed"], rows[3]);
        Assert.Equal(["1 July 2026 at 13:10", "Ian Officer", "-", "-", "Made a copy of your record (a subject access request)", "Your request for a copy of your record", "Allowed"], rows[0]);
        Assert.Equal(["1 July 2026 at 13:05", "Nurse Kim Lee", "Nurse (R8001)", "Leeds Teaching Hospitals (RR8)", "Looked at your record summary", "Your care", "Refused: No care relationship"], rows[1]);
        Assert.Equal("4 March 2026 at 10:22", rows[2][0]);
        // The reason in the platform's words (its one wording table), as the Bundle carries it.
        Assert.Equal("Direct care: registered with this GP practice", rows[2][5]);
        Assert.Equal("Looked at your record summaryShown: health problems, medicines (3 entries)", rows[2][4]);
        Assert.Single(doc.QuerySelectorAll("#access tr.refused"));
        Assert.Equal(["When", "Who", "Their role", "Organisation", "What they did", "Why", "Allowed or refused"], doc.QuerySelectorAll("#access thead th").Select(h => h.TextContent));
    }

    [Fact]
    public async Task An_access_log_held_for_enhanced_review_is_said_to_be_withheld_instead_of_listed()
    {
        var outcome = new R4.OperationOutcome { Id = "withheld" };
        outcome.Issue.Add(new R4.OperationOutcome.IssueComponent
        {
            Severity = R4.OperationOutcome.IssueSeverity.Information,
            Code = R4.OperationOutcome.IssueType.Suppressed,
            Details = new R4.CodeableConcept("https://leeds-care-record.nhs.uk/CodeSystem/error-reason", SubjectAccessRecord.AccessLogUnderReview)
            {
                Text = "Who has looked at your record: withheld while it is reviewed. It will be given to you when the review is complete.",
            },
        });
        var doc = await Base().Version(Asthma(), "e1", 1, Gp, March).Add(outcome).DocumentAsync();

        Assert.Empty(doc.QuerySelectorAll("#access table"));
        Assert.Contains("withheld while it is reviewed", doc.QuerySelector("#access")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Who has looked at your record (withheld while it is reviewed)", doc.QuerySelector("nav.contents")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_optional_fields_are_left_out_rather_than_failing()
    {
        // A patient with nothing but an NHS number, an entry without Provenance, dates or status, an event without an organisation or purpose.
        var bare = new R4.Condition { Code = new R4.CodeableConcept { Text = "Something" } };
        bare.Identifier.Add(new R4.Identifier(SubjectAccessRecord.EntryIdSystem, "e9"));
        var audit = new R4.AuditEvent { Id = "a9", Type = new R4.Coding("x", "y"), Recorded = March };
        audit.Agent.Add(new R4.AuditEvent.AgentComponent { Requestor = true });
        var doc = await new TestBundle().Patient().Add(bare).Add(audit).DocumentAsync();

        Assert.Contains("999 000 0018", doc.QuerySelector("#patient")!.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("Date of birth", doc.QuerySelector("#patient")!.TextContent, StringComparison.Ordinal);
        var entry = Entry(doc, "Something");
        Assert.Contains("An organisation not named in this copy", entry.TextContent, StringComparison.Ordinal);
        Assert.Empty(entry.QuerySelectorAll("dl"));
        var row = doc.QuerySelectorAll("#access tbody td").Select(c => c.TextContent).ToList();
        Assert.Equal(["4 March 2026 at 10:22", "(not recorded)", "-", "-", "Used your record", "-", "Allowed"], row);

        var empty = await new TestBundle().DocumentAsync();
        Assert.Contains("No personal details are held in this copy.", empty.Body!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Nobody has looked at your record.", empty.Body!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Document_content_is_embedded_when_the_bundle_has_it_and_noted_when_it_does_not()
    {
        var letter = new string('x', 200_000) + " end of letter"; // larger than the reader's first buffer
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.7 fake");
        var pdfDocument = TestBundle.Letter("Discharge summary", string.Empty, contentType: "application/pdf");
        pdfDocument.Content[0].Attachment.Data = pdf;
        var html = await Base()
            .Version(TestBundle.Letter("Clinic letter", "First draft", current: false), "e2", 1, Hospital, March)
            .Version(TestBundle.Letter("Clinic letter", letter), "e2", 2, Hospital, July)
            .Version(pdfDocument, "e4", 1, Hospital, July)
            .Version(TestBundle.Letter("Picture", "<svg onload=alert(1)>", contentType: "text/html"), "e5", 1, Hospital, July)
            .RenderAsync();
        var doc = TestBundle.Parse(html);

        var versions = Entry(doc, "Clinic letter").QuerySelectorAll(".version").ToList();
        Assert.EndsWith(" end of letter", versions[0].QuerySelector("pre.document")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("Dr A Jones", versions[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("The content of this earlier version is not included in this copy", versions[1].TextContent, StringComparison.Ordinal);
        var link = Entry(doc, "Discharge summary").QuerySelector("a[download]")!;
        Assert.Equal("data:application/pdf;base64," + Convert.ToBase64String(pdf), link.GetAttribute("href"));
        Assert.EndsWith(".pdf", link.GetAttribute("download"), StringComparison.Ordinal);
        Assert.Equal("<svg onload=alert(1)>", Entry(doc, "Picture").QuerySelector("pre.document")!.TextContent);
        Assert.Empty(doc.QuerySelectorAll("svg"));
    }

    [Fact]
    public async Task Reading_the_bundle_keeps_document_places_not_their_content()
    {
        var bundle = Base();
        for (var i = 1; i <= 5; i++)
        {
            bundle.Version(TestBundle.Letter($"Letter {i}", new string((char)('a' + i), 150_000)), $"d{i}", 1, Hospital, July);
        }

        using var stream = new MemoryStream(bundle.ToJson());
        var record = await SubjectAccessRecord.ReadAsync(stream, CancellationToken.None);

        var documents = record.Entries.Select(e => e.Current).ToList();
        Assert.Equal(5, documents.Count);
        Assert.All(documents, d => Assert.Null(((R4.DocumentReference)d.Resource).Content[0].Attachment.Data));
        for (var i = 5; i >= 1; i--)
        {
            var content = await record.ReadContentAsync(documents[i - 1], CancellationToken.None);
            Assert.Equal(new string((char)('a' + i), 150_000), Encoding.UTF8.GetString(content!.Data!));
        }
    }

    [Theory]
    [InlineData("2024-07-01T12:05:00Z", "1 July 2024 at 13:05")]
    [InlineData("2024-12-01T12:05:00+00:00", "1 December 2024 at 12:05")]
    [InlineData("2024-03-31T00:30:00Z", "31 March 2024 at 00:30")]
    [InlineData("2024-03-31T01:30:00Z", "31 March 2024 at 02:30")]
    [InlineData("2019-03-04", "4 March 2019")]
    [InlineData("2019-03", "March 2019")]
    [InlineData("2019", "2019")]
    [InlineData("", null)]
    [InlineData("not a date", null)]
    public void Dates_are_written_the_uk_way_in_uk_time(string fhir, string? expected) => Assert.Equal(expected, UkDates.FromFhir(fhir));
}
