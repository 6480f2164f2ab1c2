using Spectre.Console;

namespace Lcr.Cli;

/// <summary>
/// Everything the tool takes from the process around it: environment variables, the home
/// directory, where output goes and the clock. The process uses the real ones; tests pass
/// their own, so precedence, caching and formatting are tested without touching the user's files.
/// </summary>
internal sealed class CliEnvironment
{
    public required IReadOnlyDictionary<string, string> Variables { get; init; }

    public required string HomeDirectory { get; init; }

    /// <summary>Standard output as plain text (JSON and bare tokens).</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard input (an ID token piped to `signin --id-token-file -`).</summary>
    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>Standard error (messages and hints).</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Standard output for tables and progress (Spectre.Console).</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Whether a person is at a terminal (progress bars, prompts).</summary>
    public bool Interactive { get; init; }

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public string? Variable(string name) => Variables.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public static CliEnvironment FromProcess()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            variables[(string)e.Key] = e.Value as string ?? string.Empty;
        }

        return new CliEnvironment
        {
            Variables = variables,
            HomeDirectory = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            Out = System.Console.Out,
            In = System.Console.In,
            Error = System.Console.Error,
            Console = AnsiConsole.Console,
            Interactive = !System.Console.IsOutputRedirected && !System.Console.IsInputRedirected,
        };
    }
}

/// <summary>The environment variables the tool reads (docs/cli.md).</summary>
internal static class EnvironmentNames
{
    public const string Config = "LCR_CONFIG";
    public const string Profile = "LCR_PROFILE";
    public const string Address = "LCR_ADDRESS";
    public const string User = "LCR_USER";
    public const string Password = "LCR_PASSWORD";
    public const string Purpose = "LCR_PURPOSE";
    public const string Token = "LCR_TOKEN";
    public const string Session = "LCR_SESSION";
    public const string Client = "LCR_CLIENT";
    public const string ClientSecret = "LCR_CLIENT_SECRET";
    public const string FeedClient = "LCR_FEED_CLIENT";
    public const string Timeout = "LCR_TIMEOUT";
    public const string Output = "LCR_OUTPUT";
    public const string NoCache = "LCR_NO_CACHE";

    /// <summary>LCR_IDENTITY_ADDRESS, LCR_CONSENT_ADDRESS, ...: an internal service's address for `lcr health`.</summary>
    public static string ServiceAddress(string service) => $"LCR_{service.ToUpperInvariant()}_ADDRESS";
}

/// <summary>A failure the tool reports itself, with the exit code and a message that says what to do.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>JSON writer settings for the tool's own (non-proto) JSON: readable, no needless escaping.</summary>
internal static class JsonOut
{
    public static readonly System.Text.Json.JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly System.Text.Json.JsonSerializerOptions Compact = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
