using System.CommandLine;

namespace Lcr.Cli;

/// <summary>The root command, global options and invocation with the documented exit codes.</summary>
internal static class CliApp
{
    public static RootCommand Root()
    {
        var root = new RootCommand(
            "lcr: the Leeds Care Record platform's command-line tool, for IG officers, the platform team and demos. " +
            "Configured by a profile file ($LCR_CONFIG or ~/.config/lcr/config.json) and LCR_* environment variables; " +
            "exit codes: 0 ok, 1 other failure, 2 usage/invalid argument, 3 not signed in, 4 permission denied, 5 not found, " +
            "6 unavailable/deadline/rate limited. See docs/cli.md.");
        GlobalOptions.AddTo(root);
        return root;
    }

    public static void Add(this Command root, Command command) => root.Subcommands.Add(command);

    public static void Add(this Command root, IEnumerable<Command> commands)
    {
        foreach (var c in commands)
        {
            root.Subcommands.Add(c);
        }
    }

    /// <summary>Parses and runs; a parse error is exit code 2 (usage), with help on stderr.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args, CliEnvironment env, CancellationToken ct = default)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            if (parse.GetValue(GlobalOptions.Json))
            {
                var failure = new Failure(ExitCodes.Usage, "INVALID_ARGUMENT", string.Join(" ", parse.Errors.Select(e => e.Message)), null, [],
                    "see `lcr " + string.Join(' ', CommandPath(parse)) + " --help`", null);
                await env.Error.WriteLineAsync(failure.ToJson());
                return ExitCodes.Usage;
            }

            foreach (var error in parse.Errors)
            {
                await env.Error.WriteLineAsync("error: " + error.Message);
            }

            await env.Error.WriteLineAsync($"  -> see `lcr {string.Join(' ', CommandPath(parse))} --help`".Replace("lcr  --", "lcr --", StringComparison.Ordinal));
            return ExitCodes.Usage;
        }

        var code = await parse.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error }, ct);
        return code;
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (r.Command is not RootCommand)
            {
                names.Insert(0, r.Command.Name);
            }
        }

        return names;
    }
}
