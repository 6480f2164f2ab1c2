namespace Lcr.Cli;

/// <summary>
/// A column of a <see cref="CliTable"/>. An identifier column (case id, event id, restriction id, entry id, NHS number,
/// ODS code, time) is never wrapped: it is what the next command needs, whole; the other columns give way.
/// </summary>
internal sealed record CliColumn(string Header, bool Identifier = false)
{
    /// <summary>The name <c>--columns</c> takes: the header in lower case with dashes for spaces ("case-id").</summary>
    public string Key => Header.ToLowerInvariant().Replace(' ', '-');

    /// <summary>An identifier column.</summary>
    public static CliColumn Id(string header) => new(header, Identifier: true);
}
