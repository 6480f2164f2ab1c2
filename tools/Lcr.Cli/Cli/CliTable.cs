using Spectre.Console;
using Spectre.Console.Rendering;

namespace Lcr.Cli;

/// <summary>
/// A table as the CLI prints it: a Spectre.Console table whose identifier columns never wrap (the other columns give way,
/// and when even their narrowest does not fit the console, the rightmost non-identifier columns are left out with a note
/// naming <c>--columns</c> and <c>--plain</c>), only the columns <c>--columns</c> chose, or with <c>--plain</c> tab-separated
/// lines (a header line, then one line per row, no markup) for scripts.
/// </summary>
internal sealed class CliTable
{
    /// <summary>The narrowest a wrapping column is let go before columns are left out.</summary>
    private const int FoldedWidth = 10;

    private readonly List<string[]> _rows = [];

    /// <param name="title">The title (markup), or null.</param>
    /// <param name="columns">The columns.</param>
    /// <param name="compact">No border and two spaces between columns (lists meant for 80 columns).</param>
    public CliTable(string? title, IEnumerable<CliColumn> columns, bool compact = false)
    {
        Title = title;
        Columns = [.. columns];
        Compact = compact;
        Border = compact ? TableBorder.None : TableBorder.Rounded;
    }

    /// <summary>No border, cells padded by two spaces on the right only.</summary>
    public bool Compact { get; }

    public string? Title { get; }

    public IReadOnlyList<CliColumn> Columns { get; }

    public TableBorder Border { get; }

    /// <summary>The rows, each cell as Spectre markup.</summary>
    public IReadOnlyList<string[]> Rows => _rows;

    public CliTable AddRow(params string[] markup)
    {
        if (markup.Length > Columns.Count)
        {
            throw new ArgumentException("A row has more cells than the table has columns.", nameof(markup));
        }

        _rows.Add([.. markup, .. Enumerable.Repeat(string.Empty, Columns.Count - markup.Length)]);
        return this;
    }

    /// <summary>The indexes of the columns to print, in table order; a name --columns gives that the table lacks is a usage error.</summary>
    public IReadOnlyList<int> Chosen(TableFormat format)
    {
        if (format.Columns is null)
        {
            return [.. Enumerable.Range(0, Columns.Count)];
        }

        var unknown = format.Columns.Where(c => Columns.All(k => k.Key != c)).ToList();
        if (unknown.Count > 0 || format.Columns.Count == 0)
        {
            throw new CliException(ExitCodes.Usage,
                $"--columns names a column this table does not have; its columns are {string.Join(",", Columns.Select(c => c.Key))}.");
        }

        return [.. format.Columns.Select(c => Columns.ToList().FindIndex(k => k.Key == c)).Distinct()];
    }

    /// <summary>Tab-separated: the header keys, then one line per row, markup removed and tabs and line breaks made spaces.</summary>
    public IEnumerable<string> Plain(TableFormat format)
    {
        var chosen = Chosen(format);
        yield return string.Join('\t', chosen.Select(i => Columns[i].Key));
        foreach (var row in _rows)
        {
            yield return string.Join('\t', chosen.Select(i => Flatten(Markup.Remove(row[i]))));
        }
    }

    /// <summary>Writes the table with all its columns on <paramref name="console"/>.</summary>
    public void Write(IAnsiConsole console) => Write(console, TextWriter.Null, TableFormat.Default);

    /// <summary>Writes the table: plain lines on <paramref name="out"/>, else a Spectre table on <paramref name="console"/>.</summary>
    public void Write(IAnsiConsole console, TextWriter @out, TableFormat format)
    {
        if (format.Plain)
        {
            foreach (var line in Plain(format))
            {
                @out.WriteLine(line);
            }

            return;
        }

        var chosen = Chosen(format).ToList();
        var left = new List<string>();
        var options = RenderOptions.Create(console, console.Profile.Capabilities);
        while (Narrowest(chosen, options) > console.Profile.Width && chosen.FindLastIndex(i => !Columns[i].Identifier) is var last and >= 0)
        {
            left.Insert(0, Columns[chosen[last]].Key);
            chosen.RemoveAt(last);
        }

        var table = Build(chosen);
        console.Write(table);
        if (left.Count > 0)
        {
            console.MarkupLineInterpolated($"[grey]Left out at this width: {string.Join(",", left)} (choose with --columns, or --plain).[/]");
        }
    }

    /// <summary>The narrowest the table can be: identifier columns whole, the others at their longest word (at most <see cref="FoldedWidth"/>), plus borders and padding.</summary>
    private int Narrowest(IReadOnlyList<int> chosen, RenderOptions options)
    {
        var width = Border.Visible ? chosen.Count + 1 : 0;
        foreach (var i in chosen)
        {
            var cells = _rows.Select(r => r[i]).Prepend(Markup.Escape(Columns[i].Header)).Select(c => ((IRenderable)new Markup(c)).Measure(options, int.MaxValue));
            // A long word in a wrapping column is folded by Spectre when it must be; an identifier is kept whole.
            width += (Columns[i].Identifier ? cells.Max(m => m.Max) : Math.Min(FoldedWidth, cells.Max(m => m.Min))) + 2;
        }

        return width;
    }

    private Table Build(IReadOnlyList<int> chosen)
    {
        var table = new Table { Border = Border };
        if (Title is not null)
        {
            table.Title = new TableTitle(Title);
        }

        foreach (var i in chosen)
        {
            var column = new TableColumn(Markup.Escape(Columns[i].Header));
            if (Compact)
            {
                column.PadLeft(0).PadRight(2);
            }

            if (Columns[i].Identifier)
            {
                column.NoWrap();
            }

            table.AddColumn(column);
        }

        foreach (var row in _rows)
        {
            table.AddRow(chosen.Select(i => (IRenderable)new Markup(row[i])).ToArray());
        }

        return table;
    }

    private static string Flatten(string text) => text.Replace('\t', ' ').Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ');
}
