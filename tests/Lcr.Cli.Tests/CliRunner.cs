using Spectre.Console.Testing;

namespace Lcr.Cli.Tests;

/// <summary>Runs the lcr command tree in process with its own home directory, environment and captured output.</summary>
internal sealed class CliRunner : IDisposable
{
    public CliRunner(Dictionary<string, string>? variables = null)
    {
        Home = Directory.CreateTempSubdirectory("lcr-cli-test-").FullName;
        Variables = variables ?? [];
    }

    public string Home { get; }

    public Dictionary<string, string> Variables { get; }

    public string ConfigFile => Path.Combine(Home, ".config", "lcr", "config.json");

    public async Task<Result> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new TestConsole().Width(200);
        var env = new CliEnvironment
        {
            Variables = Variables,
            HomeDirectory = Home,
            Out = output,
            Error = error,
            Console = console,
            Interactive = false,
        };
        var code = await CliApp.InvokeAsync(Program.Build(env), args, env);
        return new Result(code, output + console.Output, error.ToString());
    }

    public void Dispose() => Directory.Delete(Home, recursive: true);

    internal sealed record Result(int ExitCode, string Out, string Error);
}
