namespace Lcr.Cli;

/// <summary>How tables are printed: the chosen columns (<c>--columns</c>, all when null) and <c>--plain</c> (tab-separated).</summary>
internal sealed record TableFormat(IReadOnlyList<string>? Columns, bool Plain)
{
    public static readonly TableFormat Default = new(null, false);

    public static TableFormat Parse(string? columns, bool plain) => new(
        string.IsNullOrWhiteSpace(columns) ? null
            : columns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => c.ToLowerInvariant()).ToList(),
        plain);
}
