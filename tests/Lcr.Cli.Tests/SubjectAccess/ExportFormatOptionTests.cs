namespace Lcr.Cli.Tests.SubjectAccess;

/// <summary><c>lcr export --format</c>, checked before anything is asked of the platform (no host).</summary>
public sealed class ExportFormatOptionTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task An_unknown_format_is_a_usage_error()
    {
        var r = await _cli.RunAsync("export", "9990000018", "--whole-record", "--output", Path.Combine(_cli.Home, "sar.json"), "--format", "pdf");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("html", r.Error, StringComparison.Ordinal); // "Argument 'pdf' not recognized. Must be one of: json, html"
    }

    [Fact]
    public async Task An_html_output_name_would_overwrite_the_bundle_so_it_is_refused_before_exporting()
    {
        var r = await _cli.RunAsync("export", "9990000018", "--whole-record", "--output", Path.Combine(_cli.Home, "sar.html"), "--format", "html",
            "--token", "not-used", "--address", "http://127.0.0.1:1");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains("--output", r.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_cli.Home, "sar.html")));
    }
}
