using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>Long operations show a status line on a terminal and stay quiet in scripts (not interactive, --json, --plain).</summary>
public sealed class ProgressTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private async Task<(string Console, string Out, int Result)> Run(bool interactive, params string[] args)
    {
        var console = new TestConsole().Width(80);
        if (interactive)
        {
            console.Interactive();
        }

        var output = new StringWriter();
        var env = new CliEnvironment
        {
            Variables = _cli.Variables, HomeDirectory = _cli.Home, Out = output, Error = TextWriter.Null, Console = console, Interactive = interactive,
        };
        using var i = new Invocation(Settings.Resolve(Program.Build(env).Parse(["audit", "verify", .. args]), env), CancellationToken.None);
        var result = await i.WithProgressAsync("Verifying the audit log's hash chains...", report =>
        {
            report("Verifying: 41 of 42 partitions...");
            return Task.FromResult(42);
        });
        return (console.Output, output.ToString(), result);
    }

    [Fact]
    public async Task A_terminal_shows_the_status()
    {
        var (console, _, result) = await Run(interactive: true);

        Assert.Equal(42, result);
        Assert.Contains("Verifying", console);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true, "--json")]
    [InlineData(true, "--plain")]
    public async Task Scripts_get_no_progress(bool interactive, params string[] args)
    {
        var (console, output, result) = await Run(interactive, args);

        Assert.Equal(42, result);
        Assert.Equal(string.Empty, console);
        Assert.Equal(string.Empty, output);
    }
}
