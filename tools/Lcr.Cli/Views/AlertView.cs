using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Spectre.Console;

namespace Lcr.Cli;

/// <summary>
/// Risks and alerts for a person at a terminal: the ALERTS block every record view starts with
/// (highest severity first, the kind in words, where each came from), and the rows of
/// <c>lcr entries --category risks-and-alerts</c>. An alert shown with its kind only (the role
/// sees only that it exists) says "kind only" where the alert itself would be.
/// </summary>
internal static class AlertView
{
    /// <summary>The ALERTS block; nothing when the view holds no alerts category.</summary>
    public static void Render(IAnsiConsole console, IReadOnlyCollection<Entry> alerts, bool returned, bool kindOnly)
    {
        if (!returned)
        {
            return;
        }

        if (alerts.Count == 0)
        {
            console.MarkupLine("[bold]ALERTS[/]: none recorded");
            return;
        }

        // Two columns (severity, then the alert in words over a few lines) so that it reads at 80 columns.
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var a in alerts.OrderByDescending(a => a.Alert?.Severity ?? AlertSeverity.Unspecified))
        {
            grid.AddRow(Severity(a), Describe(a));
        }

        var panel = new Panel(grid)
        {
            Header = new PanelHeader($"[bold red] ALERTS ({alerts.Count}) [/]"),
            Border = BoxBorder.Heavy,
            BorderStyle = new Style(Color.Red),
        };
        console.Write(panel);
        if (kindOnly)
        {
            console.MarkupLine("[yellow]Kind only: your role sees that each alert exists and its kind, not what it says.[/]");
        }
    }

    /// <summary>The columns of an alerts listing.</summary>
    public static readonly string[] Columns = ["Severity", "Alert", "Status", "Period", "From"];

    /// <summary>One row of an alerts listing (markup).</summary>
    public static string[] Row(Entry e) =>
    [
        Severity(e), Headline(e) + Comment(e), Markup.Escape(Parsing.Name(e.Status)), Markup.Escape(Period(e)),
        Markup.Escape(e.Provenance?.SourceOrganisation?.OdsCode ?? string.Empty),
    ];

    /// <summary>An alert in words: its kind and what it is (or "kind only"), what to do, where it came from and since when.</summary>
    public static string Describe(Entry e)
    {
        var from = e.Provenance?.SourceOrganisation is { } o ? "from " + RecordView.Org(o) : string.Empty;
        var period = Period(e);
        var source = string.Join(", ", new[] { from, period }.Where(x => x.Length > 0));
        return Headline(e) + Comment(e) + (source.Length > 0 ? $"\n[grey]{Markup.Escape(source)}[/]" : string.Empty);
    }

    /// <summary>The kind in words, as the readable copy and the FHIR Flag say it.</summary>
    public static string Kind(Entry e) => (e.Alert?.Kind ?? AlertKind.Unspecified) switch
    {
        AlertKind.RiskToSelf => "Risk to self",
        AlertKind.RiskToOthers => "Risk to others",
        AlertKind.RiskToStaff => "Risk to staff",
        AlertKind.Safeguarding => "Safeguarding",
        AlertKind.Clinical => "Clinical alert",
        _ => "Alert",
    };

    private static string Severity(Entry e) => (e.Alert?.Severity ?? AlertSeverity.Unspecified) switch
    {
        AlertSeverity.High => "[bold red]HIGH[/]",
        AlertSeverity.Medium => "[red]medium[/]",
        AlertSeverity.Low => "low",
        _ => string.Empty,
    };

    /// <summary>"Kind: what it is", or "Kind: kind only" when the role may not see what it is.</summary>
    private static string Headline(Entry e)
    {
        var kind = $"[bold]{Markup.Escape(Kind(e))}[/]: ";
        if (e.Code is null || string.IsNullOrEmpty(e.Code.Code) && string.IsNullOrEmpty(e.Code.Display))
        {
            return kind + "[italic]kind only[/]";
        }

        var sensitive = e.Sensitivity == Sensitivity.Sensitive ? " [magenta](sensitive)[/]" : string.Empty;
        return kind + Markup.Escape(e.Code.Display is { Length: > 0 } d ? d : e.Code.Code) + sensitive;
    }

    /// <summary>What to do (the comment), on its own line; empty when there is none or it is withheld.</summary>
    private static string Comment(Entry e) => e.Comment.Length > 0 ? $"\n{Markup.Escape(e.Comment)}" : string.Empty;

    private static string Period(Entry e)
    {
        var (start, end) = (RecordView.Date(e.Alert?.StartDate), RecordView.Date(e.Alert?.EndDate));
        return (start, end) switch
        {
            ("", "") => string.Empty,
            (_, "") => "since " + start,
            ("", _) => "until " + end,
            _ => start + " to " + end,
        };
    }
}
