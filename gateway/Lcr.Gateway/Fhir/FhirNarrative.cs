using System.Text;
using System.Xml;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// A resource's readable <c>text</c>: a heading and label/value rows as a small XHTML table
/// (status generated). Every value is escaped, and characters XML cannot carry are dropped,
/// so caller-contributed text (a comment, a title) can never become markup.
/// </summary>
public sealed class FhirNarrative(string heading)
{
    private readonly List<(string Label, string Value)> _rows = [];

    /// <summary>Adds a row when <paramref name="value"/> has text.</summary>
    public FhirNarrative Row(string label, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            _rows.Add((label, value));
        }

        return this;
    }

    public R4.Narrative Build()
    {
        var div = new StringBuilder("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p><b>");
        Escape(div, heading);
        div.Append("</b></p>");
        if (_rows.Count > 0)
        {
            div.Append("<table>");
            foreach (var (label, value) in _rows)
            {
                div.Append("<tr><th>");
                Escape(div, label);
                div.Append("</th><td>");
                Escape(div, value);
                div.Append("</td></tr>");
            }

            div.Append("</table>");
        }

        div.Append("</div>");
        return new R4.Narrative { Status = R4.Narrative.NarrativeStatus.Generated, Div = div.ToString() };
    }

    /// <summary>Writes <paramref name="text"/> as XHTML character data.</summary>
    public static void Escape(StringBuilder into, string text)
    {
        // Runes: a lone surrogate becomes U+FFFD instead of an invalid XML character.
        foreach (var rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '<': into.Append("&lt;"); break;
                case '>': into.Append("&gt;"); break;
                case '&': into.Append("&amp;"); break;
                case '"': into.Append("&quot;"); break;
                case '\'': into.Append("&#39;"); break;
                case '\r' or '\n' or '\t': into.Append(' '); break;
                default:
                    if (!rune.IsBmp || XmlConvert.IsXmlChar((char)rune.Value))
                    {
                        into.Append(rune.ToString());
                    }

                    break;
            }
        }
    }
}
