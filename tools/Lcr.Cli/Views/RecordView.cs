using System.Globalization;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>The record summary and entry lists as tables for a person at a terminal.</summary>
internal static class RecordView
{
    public static void Render(IAnsiConsole console, GetPatientRecordResponse r)
    {
        if (r.Deceased is { } deceased)
        {
            // First, before anything else: the patient has died.
            console.MarkupLineInterpolated($"[bold]{deceased.Message}[/]");
        }

        // Risks and alerts before anything else, as every view shows them.
        AlertView.Render(console, r.Alerts, r.ReturnedCategories.Contains(RecordCategory.RisksAndAlerts), r.AlertDetailsWithheld);
        if (r.Patient is { } p)
        {
            console.Write(PatientPanel(p, r.ContactDetailsWithheld));
        }

        if (r.MergedNhsNumbers.Count > 0)
        {
            console.MarkupLineInterpolated($"Merged from: {string.Join(", ", r.MergedNhsNumbers.Select(FormatNhs))} (entries keep the number they were recorded under).");
        }

        if (r.EmergencyAccess)
        {
            console.MarkupLine("[bold red]Emergency (break-glass) access:[/] this view is recorded and will be reviewed.");
        }

        if (r.PatientRestrictionsApply)
        {
            console.MarkupLine("[yellow]The patient has restrictions that apply to you: some information may not be shown. Ask the patient.[/]");
        }

        var returned = r.ReturnedCategories.ToHashSet();
        Section(console, "Active problems", returned.Contains(RecordCategory.Problems), r.ActiveProblems, RecordCategory.Problems);
        Section(console, "Current medications", returned.Contains(RecordCategory.Medications), r.CurrentMedications, RecordCategory.Medications);
        Section(console, "Allergies and intolerances", returned.Contains(RecordCategory.Allergies), r.Allergies, RecordCategory.Allergies);
        Section(console, "Latest results", returned.Contains(RecordCategory.TestResults), r.LatestResults, RecordCategory.TestResults);
        Section(console, "Recent documents", returned.Contains(RecordCategory.Documents), r.RecentDocuments, RecordCategory.Documents);

        var counts = string.Join(", ", r.CategoryCounts.Select(c => $"{Parsing.Name(c.Category)} {c.Count}"));
        console.MarkupLineInterpolated($"[grey]Entries you may see: {(counts.Length > 0 ? counts : "none")}. Record version {r.RecordVersion}. Audit event {r.AuditEventId}.[/]");
    }

    public static Panel PatientPanel(Patient p, bool contactWithheld)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow("[bold]NHS number[/]", Markup.Escape(FormatNhs(p.NhsNumber)));
        grid.AddRow("[bold]Born[/]", Markup.Escape(Date(p.BirthDate) + (p.DeathDate is { } d ? $" (died {Date(d)})" : string.Empty)));
        grid.AddRow("[bold]Gender[/]", Markup.Escape(Parsing.Name(p.Gender)));
        if (contactWithheld)
        {
            grid.AddRow("[bold]Address[/]", "[yellow]withheld (restricted record)[/]");
        }
        else
        {
            if (p.Address is { } a)
            {
                grid.AddRow("[bold]Address[/]", Markup.Escape(string.Join(", ", a.Lines.Append(a.Postcode).Where(s => s.Length > 0))));
            }

            foreach (var t in p.Telephones)
            {
                grid.AddRow($"[bold]{Markup.Escape(Parsing.Name(t.Kind))}[/]", Markup.Escape(t.Number));
            }

            if (p.RegisteredPractice is { } gp)
            {
                grid.AddRow("[bold]GP practice[/]", Markup.Escape(Org(gp)));
            }
        }

        return new Panel(grid) { Header = new PanelHeader(Markup.Escape(Name(p.Name))), Border = BoxBorder.Rounded };
    }

    private static void Section(IAnsiConsole console, string title, bool returned, IReadOnlyCollection<Entry> entries, RecordCategory category)
    {
        if (!returned)
        {
            return;
        }

        if (entries.Count == 0)
        {
            console.MarkupLineInterpolated($"[bold]{title}[/]: none recorded");
            return;
        }

        Entries(title, category, entries, entryIds: false).Write(console);
    }

    /// <summary>
    /// A table of entries of one category, columns chosen for that category; with <paramref name="entryIds"/> every
    /// category ends with the entry id (what `lcr consent restrict --withhold-entry` needs), never wrapped.
    /// </summary>
    public static CliTable Entries(string title, RecordCategory category, IEnumerable<Entry> entries, bool entryIds = true)
    {
        var columns = category switch
        {
            RecordCategory.Problems => new[] { "Problem", "Status", "Onset", "From" },
            RecordCategory.Medications => ["Medication", "Dose", "Frequency", "Status", "Started", "From"],
            RecordCategory.Allergies => ["Substance", "Type", "Reaction", "Severity", "Verification", "From"],
            RecordCategory.TestResults => ["Test", "Result", "Range", "Flag", "Taken", "From"],
            RecordCategory.Documents => ["Document", "Type", "Author", "Date", "From"],
            RecordCategory.RisksAndAlerts => AlertView.Columns,
            _ => ["Entry", "Status", "Time", "From"],
        };
        var withId = entryIds || category == RecordCategory.Documents;
        var table = new CliTable(title, columns.Select(c => new CliColumn(c)).Concat(withId ? [CliColumn.Id("Entry id")] : []));
        foreach (var e in entries)
        {
            var cells = Row(category, e).ToList();
            cells.AddRange(Enumerable.Repeat(string.Empty, Math.Max(0, columns.Length - cells.Count))); // an entry without its category's details
            table.AddRow([.. cells.Take(columns.Length), .. withId ? new[] { Markup.Escape(e.Id) } : []]);
        }

        return table;
    }

    private static IEnumerable<string> Row(RecordCategory category, Entry e)
    {
        var code = Markup.Escape(e.Code?.Display ?? string.Empty);
        var from = Markup.Escape(e.Provenance?.SourceOrganisation is { } o ? Org(o) : string.Empty);
        var sensitive = e.Sensitivity == Sensitivity.Sensitive ? " [magenta](sensitive)[/]" : string.Empty;
        switch (category)
        {
            case RecordCategory.Problems when e.Problem is { } p:
                return [code + sensitive, Markup.Escape(Parsing.Name(p.ClinicalStatus)), Date(p.OnsetDate), from];
            case RecordCategory.Medications when e.Medication is { } m:
                return [code + sensitive, Markup.Escape(m.DoseText), Markup.Escape(m.FrequencyText), Markup.Escape(Parsing.Name(m.Status)), Date(m.StartDate), from];
            case RecordCategory.Allergies when e.Allergy is { } a:
                return [code, Markup.Escape(Parsing.Name(a.Type)), Markup.Escape(string.Join(", ", a.Reactions.Select(x => x.Display))),
                    Markup.Escape(a.Severity == AllergySeverity.Unspecified ? string.Empty : Parsing.Name(a.Severity)),
                    Markup.Escape(Parsing.Name(a.VerificationStatus)), from];
            case RecordCategory.TestResults when e.TestResult is { } t:
                return [code + sensitive, Markup.Escape(ResultValue(t)), Markup.Escape(t.ReferenceRange?.Text ?? string.Empty), Flag(t.AbnormalFlag),
                    Markup.Escape(Text.Time(t.EffectiveTime)), from];
            case RecordCategory.RisksAndAlerts when e.Alert is not null:
                return AlertView.Row(e);
            case RecordCategory.Documents when e.Document is { } d:
                return [Markup.Escape(d.Title) + sensitive, Markup.Escape(Parsing.Name(d.Type)), Markup.Escape(d.Author),
                    Markup.Escape(Text.Time(d.AuthoredTime)), from];
            default:
                return [code + sensitive, Markup.Escape(Parsing.Name(e.Status)), Markup.Escape(Text.Time(e.ClinicalTime)), from];
        }
    }

    public static string ResultValue(TestResult t)
    {
        if (t.Quantity is { } q)
        {
            var comparator = q.Comparator switch
            {
                QuantityComparator.LessThan => "<",
                QuantityComparator.LessOrEqual => "<=",
                QuantityComparator.GreaterOrEqual => ">=",
                QuantityComparator.GreaterThan => ">",
                _ => string.Empty,
            };
            return $"{comparator}{q.Value.ToString(CultureInfo.InvariantCulture)} {q.Unit}".Trim();
        }

        return t.TextValue;
    }

    private static string Flag(AbnormalFlag flag) => flag switch
    {
        AbnormalFlag.Unspecified => string.Empty,
        AbnormalFlag.Normal => "normal",
        AbnormalFlag.CriticallyHigh or AbnormalFlag.CriticallyLow => $"[bold red]{Parsing.Name(flag)}[/]",
        _ => $"[red]{Parsing.Name(flag)}[/]",
    };

    public static string Name(HumanName? n) =>
        n is null ? "(no name)" : string.Join(' ', new[] { n.Prefix }.Concat(n.Given).Append(n.Family).Where(s => s.Length > 0));

    public static string Org(OrganisationReference o) =>
        o.DisplayName is { Length: > 0 } name ? $"{name} ({o.OdsCode})" : o.OdsCode;

    public static string Date(Date? d) =>
        d is null || d.Year == 0 ? string.Empty : new DateOnly(d.Year, Math.Max(1, d.Month), Math.Max(1, d.Day)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>999 000 0018: the way NHS numbers are shown to people.</summary>
    public static string FormatNhs(string nhs) => nhs.Length == 10 ? $"{nhs[..3]} {nhs[3..6]} {nhs[6..]}" : nhs;

    public static string CategoryTitle(RecordCategory c) => c switch
    {
        RecordCategory.Problems => "Problems",
        RecordCategory.Medications => "Medications",
        RecordCategory.Allergies => "Allergies and intolerances",
        RecordCategory.TestResults => "Test results",
        RecordCategory.Documents => "Documents",
        RecordCategory.RisksAndAlerts => "Risks and alerts",
        _ => Parsing.Name(c),
    };
}
