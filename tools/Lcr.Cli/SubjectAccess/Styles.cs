namespace Lcr.Cli.SubjectAccess;

/// <summary>The readable copy's only styling: inline (no external resources), plain on screen, A4 on paper.</summary>
internal static class Styles
{
    public const string Css = """
        body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; line-height: 1.45; color: #0b0c0c; max-width: 60em; margin: 1.5em auto; padding: 0 1em; }
        h1 { font-size: 1.9em; margin-bottom: 0.2em; }
        h2 { font-size: 1.45em; border-bottom: 2px solid #005eb8; padding-bottom: 0.15em; margin-top: 1.6em; }
        h3 { font-size: 1.2em; margin: 1.2em 0 0.4em; }
        h4 { font-size: 1.05em; margin: 0 0 0.4em; }
        .lead { font-size: 1.1em; }
        .facts, .notice { background: #f0f4f5; padding: 0.5em 0.8em; }
        .none { color: #4c6272; font-style: italic; }
        .entry { border: 1px solid #d8dde0; border-left: 5px solid #005eb8; padding: 0.6em 0.9em; margin: 0 0 0.8em; break-inside: avoid; }
        .entry.withdrawn { border-left-color: #d5281b; }
        .version { margin: 0.4em 0 0.6em; }
        .version.replaced, .version.withdrawn { color: #425563; border-top: 1px dashed #aeb7bd; padding-top: 0.4em; }
        .version-head { margin: 0 0 0.3em; font-size: 0.95em; }
        .badge { display: inline-block; font-size: 0.8em; font-weight: bold; text-transform: uppercase; padding: 0 0.4em; border: 1px solid; border-radius: 3px; }
        .badge.current { color: #007f3b; }
        .badge.replaced { color: #425563; }
        .badge.withdrawn { color: #d5281b; }
        .badge.sensitive { color: #7c2855; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1em; margin: 0.3em 0; }
        dt { font-weight: bold; }
        dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
        pre.document { white-space: pre-wrap; overflow-wrap: anywhere; font-family: inherit; background: #f8f8f8; border: 1px solid #d8dde0; padding: 0.6em; }
        img.document { max-width: 100%; }
        table.access { width: 100%; border-collapse: collapse; font-size: 0.9em; }
        table.access th, table.access td { border: 1px solid #aeb7bd; padding: 0.3em 0.4em; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
        table.access thead { background: #e8edee; }
        tr.refused td { background: #fbeae8; }
        .shown { color: #425563; font-size: 0.9em; }
        nav.contents ol ol { font-size: 0.95em; }
        footer { margin-top: 2em; font-size: 0.9em; color: #425563; }
        @page { size: A4; margin: 18mm 15mm; }
        @media print {
          body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
          a { color: inherit; text-decoration: none; }
          h2 { break-after: avoid; }
          h3, h4 { break-after: avoid; }
          section.organisation, #access { break-before: page; }
          thead { display: table-header-group; }
          tr { break-inside: avoid; }
          p.file a { display: none; }
        }

        """;
}
