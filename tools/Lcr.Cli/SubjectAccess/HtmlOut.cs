using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// Writes HTML to a <see cref="TextWriter"/> as it goes. Markup passed to <see cref="Raw"/> is
/// the renderer's own constant text; everything from the record goes through <see cref="Text"/>,
/// which HTML-escapes it (&lt; &gt; &amp; quotes and control characters; letters of every
/// script stay readable), so content contributed by any organisation renders as text, never as markup.
/// </summary>
internal sealed class HtmlOut(TextWriter writer, CancellationToken cancellationToken)
{
    private const int Chunk = 16 * 1024;
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public CancellationToken CancellationToken => cancellationToken;

    /// <summary>The renderer's own markup (never text from the record).</summary>
    public Task Raw(string markup) => writer.WriteAsync(markup.AsMemory(), cancellationToken);

    /// <summary>Text from the record, escaped; long text is escaped and written in pieces.</summary>
    public async Task Text(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        for (var at = 0; at < text.Length;)
        {
            var length = Math.Min(Chunk, text.Length - at);
            if (at + length < text.Length && char.IsHighSurrogate(text[at + length - 1]))
            {
                length--; // never split a surrogate pair between two pieces
            }

            await writer.WriteAsync(Encoder.Encode(text.Substring(at, length)).AsMemory(), cancellationToken);
            at += length;
        }
    }

    /// <summary><c>&lt;tag class="..."&gt;escaped text&lt;/tag&gt;</c>; the tag and class are the renderer's own.</summary>
    public async Task Element(string tag, string? text, string? cssClass = null)
    {
        await Raw(cssClass is null ? $"<{tag}>" : $"<{tag} class=\"{cssClass}\">");
        await Text(text);
        await Raw($"</{tag}>");
    }

    /// <summary>Base64 of <paramref name="bytes"/>, written in pieces (a document can be 10 MiB).</summary>
    public async Task Base64(byte[] bytes)
    {
        const int piece = 3 * Chunk;
        for (var at = 0; at < bytes.Length; at += piece)
        {
            await writer.WriteAsync(Convert.ToBase64String(bytes, at, Math.Min(piece, bytes.Length - at)).AsMemory(), cancellationToken);
        }
    }
}
