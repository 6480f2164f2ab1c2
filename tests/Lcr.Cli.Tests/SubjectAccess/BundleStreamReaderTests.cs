using System.Text;
using Lcr.Cli.SubjectAccess;

namespace Lcr.Cli.Tests.SubjectAccess;

/// <summary>The Bundle file read one entry at a time (no host).</summary>
public sealed class BundleStreamReaderTests
{
    private static async Task<List<BundleItem>> ReadAllAsync(string json, int readSize)
    {
        using var stream = new TrickleStream(Encoding.UTF8.GetBytes(json), readSize);
        var reader = new BundleStreamReader(stream);
        var items = new List<BundleItem>();
        while (await reader.ReadAsync(CancellationToken.None) is { } item)
        {
            items.Add(item with { Json = item.Json.ToArray() }); // an entry's bytes are valid until the next read
        }

        return items;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100_000)]
    public async Task Entries_and_top_level_strings_come_out_whole_with_their_offsets_however_the_stream_is_cut(int readSize)
    {
        var big = new string('q', 150_000);
        var json = """{"resourceType":"Bundle","id":"x1","meta":{"lastUpdated":"2026-01-01T00:00:00Z"},"type":"collection","total":3,"entry":[{"fullUrl":"a","resource":{"n":[1,{"m":"{\"]"}]}}, {"fullUrl":"b","resource":{"t":"BIG"}}],"timestamp":"2026-12-07T12:00:00Z"}"""
            .Replace("BIG", big, StringComparison.Ordinal);

        var items = await ReadAllAsync(json, readSize);

        Assert.Equal(["resourceType", "id", "type", null, null, "timestamp"], items.Select(i => i.Name));
        Assert.Equal("x1", items[1].Value);
        foreach (var entry in items.Where(i => i.IsEntry))
        {
            var text = Encoding.UTF8.GetString(entry.Json.Span);
            Assert.Equal(text, json.Substring((int)entry.Offset, text.Length));
            Assert.StartsWith("{\"fullUrl\"", text, StringComparison.Ordinal);
            Assert.EndsWith("}}", text, StringComparison.Ordinal);
        }

        Assert.Contains(big, Encoding.UTF8.GetString(items[4].Json.Span), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"resourceType":"Bundle","entry":[{"fullUrl":"a","resource":{"x":1}}""")]
    [InlineData("""{"resourceType":"Bundle","entry":[{"fullUrl":"a","reso""")]
    [InlineData("""[1,2]""")]
    [InlineData("")]
    public async Task A_cut_off_or_foreign_file_is_refused_rather_than_rendered_in_part(string json) =>
        await Assert.ThrowsAnyAsync<Exception>(() => ReadAllAsync(json, 5));

    /// <summary>A stream that answers at most <c>readSize</c> bytes per read, as a slow file or pipe may.</summary>
    private sealed class TrickleStream(byte[] data, int readSize) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);
    }
}
